// SPDX-License-Identifier: GPL-2.0
/*
 * memx_server: module parameters, load and unload.
 *
 *   insmod memx_server.ko ifname=eth1[,eth2...] capacity=2G
 *	[max_sessions=64] [reasm_timeout_ms=1000] [reserve_pages=256]
 *	[drain_timeout=30]
 *
 * rmmod of a server that still holds pages drains it first: clients are
 * told (MEMX_ADV_DRAINING) and move their pages elsewhere, while we keep
 * serving; unload goes on once nothing is held or after drain_timeout.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/delay.h>
#include <linux/nsproxy.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "memx_server.h"
#include "param.h"

static char *ifname;
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "interfaces to serve on, comma separated (up to 8)");

static char *capacity;
module_param(capacity, charp, 0444);
MODULE_PARM_DESC(capacity, "bytes to store at most, K/M/G/T suffixes (>= 4K)");

static unsigned int max_sessions = 64;
module_param(max_sessions, uint, 0444);
MODULE_PARM_DESC(max_sessions, "client sessions at most (1..4096, default 64)");

static unsigned int reasm_timeout_ms = 1000;
module_param(reasm_timeout_ms, uint, 0444);
MODULE_PARM_DESC(reasm_timeout_ms,
		 "how long a fragmented page may wait for the rest (10..60000 ms, default 1000)");

static unsigned int reserve_pages = 256;
module_param(reserve_pages, uint, 0444);
MODULE_PARM_DESC(reserve_pages,
		 "free pages kept for when atomic allocation fails (0..65536, default 256)");

static unsigned int drain_timeout = 30;
module_param(drain_timeout, uint, 0644);
MODULE_PARM_DESC(drain_timeout,
		 "seconds rmmod waits for clients to move their pages away (0: do not wait, default 30)");

struct memx_srv memx_srv;

u64 memx_frames_in(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < memx_srv.nports; i++)
		n += atomic64_read(&memx_srv.ports[i].rx_frames);
	return n;
}

u64 memx_frames_out(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < memx_srv.nports; i++)
		n += atomic64_read(&memx_srv.ports[i].tx_frames);
	return n;
}

static int memx_parse_capacity(u64 *pages)
{
	u64 bytes;
	int ret;

	ret = memx_parse_bytes("capacity", capacity, &bytes);
	if (ret)
		return ret;
	if (bytes < MEMX_PAGE_SIZE) {
		pr_err("capacity=%s is less than one page (%u bytes)\n",
		       capacity, MEMX_PAGE_SIZE);
		return -EINVAL;
	}
	*pages = bytes >> MEMX_PAGE_SHIFT;
	if (*pages > totalram_pages() * (PAGE_SIZE / MEMX_PAGE_SIZE))
		pr_warn("capacity=%s is more than this machine's RAM\n",
			capacity);
	return 0;
}

static void memx_close_ports(void)
{
	struct memx_srv *srv = &memx_srv;

	while (srv->nports)
		memx_port_close(&srv->ports[--srv->nports]);
}

static int memx_open_ports(void)
{
	struct memx_srv *srv = &memx_srv;
	struct net *net = current->nsproxy->net_ns;
	char *names, *cur, *name;
	unsigned int i;
	int err = 0;

	if (!ifname || !*ifname) {
		pr_err("ifname= is required, e.g. ifname=eth1 or ifname=eth1,eth2\n");
		return -EINVAL;
	}
	names = kstrdup(ifname, GFP_KERNEL);
	if (!names)
		return -ENOMEM;

	cur = strim(names);
	while ((name = strsep(&cur, ",")) != NULL) {
		name = strim(name);
		if (!*name || strlen(name) >= IFNAMSIZ) {
			pr_err("ifname=%s: bad interface name '%s'\n",
			       ifname, name);
			err = -EINVAL;
			goto err_close;
		}
		if (srv->nports == MEMX_SRV_MAX_PORTS) {
			pr_err("ifname=%s: at most %u interfaces\n", ifname,
			       MEMX_SRV_MAX_PORTS);
			err = -EINVAL;
			goto err_close;
		}
		for (i = 0; i < srv->nports; i++) {
			if (!strcmp(srv->ports[i].ifname, name)) {
				pr_err("ifname=%s: '%s' given twice\n",
				       ifname, name);
				err = -EINVAL;
				goto err_close;
			}
		}
		err = memx_port_open(&srv->ports[srv->nports], net, name,
				     &memx_srv_port_ops, srv);
		if (err) {
			pr_err("ifname=%s: cannot use '%s' (%s)\n", ifname,
			       name, err == -ENODEV ? "no such interface" :
			       "not Ethernet");
			goto err_close;
		}
		srv->nports++;
	}
	kfree(names);
	return 0;

err_close:
	memx_close_ports();
	kfree(names);
	return err;
}

static void memx_print_objects(const char *when)
{
	struct memx_srv_stats *st = &memx_srv.st;

	pr_info("%s: pages_alloc=%lld pages_freed=%lld sessions_alloc=%lld sessions_freed=%lld sessions_open=%u used_pages=%lld tombstones=%lld\n",
		when, atomic64_read(&st->pages_alloc),
		atomic64_read(&st->pages_freed),
		atomic64_read(&st->sessions_alloc),
		atomic64_read(&st->sessions_freed),
		memx_session_count(),
		atomic64_read(&memx_srv.used_pages),
		atomic64_read(&st->tombstones));
}

/* How often rmmod looks whether the clients are done moving. */
#define MEMX_DRAIN_POLL_MS	100
/* Once nothing is held, how long rmmod waits for the clients' CLOSE. */
#define MEMX_DRAIN_CLOSE_MS	2000

/*
 * rmmod, before anything stops: if pages are held, drain and wait (bounded
 * by drain_timeout) until the clients have moved them, then a moment more
 * (MEMX_DRAIN_CLOSE_MS, within drain_timeout) for their sessions to close,
 * so their CLOSE is answered rather than lost. The advert timer and the
 * receive path run as usual meanwhile; the reap work frees a closed
 * session's pages.
 */
static void memx_drain_before_unload(void)
{
	struct memx_srv *srv = &memx_srv;
	unsigned int tmo = READ_ONCE(drain_timeout);
	unsigned long end, closed;
	s64 used;

	used = atomic64_read(&srv->used_pages);
	if (!used || !tmo)
		return;
	pr_info("unload: draining %lld pages first (at most %u s)\n", used,
		tmo);
	memx_drain_unload();
	end = jiffies + (unsigned long)tmo * HZ;
	while ((used = atomic64_read(&srv->used_pages)) > 0 &&
	       time_before(jiffies, end))
		msleep(MEMX_DRAIN_POLL_MS);
	if (used > 0) {
		pr_warn("unload: drain gave up after %u s, %lld pages still held\n",
			tmo, used);
		return;
	}
	closed = jiffies + msecs_to_jiffies(MEMX_DRAIN_CLOSE_MS);
	if (time_after(closed, end))
		closed = end;
	while (memx_session_count() && time_before(jiffies, closed))
		msleep(MEMX_DRAIN_POLL_MS);
	pr_info("unload: drained, %u sessions left\n", memx_session_count());
}

static int __init memx_server_init(void)
{
	struct memx_srv *srv = &memx_srv;
	int err;

	err = memx_parse_capacity(&srv->capacity_pages);
	if (err)
		return err;
	if (!max_sessions || max_sessions > MEMX_SRV_MAX_SESSIONS) {
		pr_err("max_sessions=%u: must be 1..%u\n", max_sessions,
		       MEMX_SRV_MAX_SESSIONS);
		return -EINVAL;
	}
	if (reasm_timeout_ms < 10 || reasm_timeout_ms > 60000) {
		pr_err("reasm_timeout_ms=%u: must be 10..60000\n",
		       reasm_timeout_ms);
		return -EINVAL;
	}
	if (reserve_pages > 65536) {
		pr_err("reserve_pages=%u: must be 0..65536\n", reserve_pages);
		return -EINVAL;
	}
	srv->max_sessions = max_sessions;
	srv->reasm_timeout = msecs_to_jiffies(reasm_timeout_ms);
	srv->reserve_target = reserve_pages;
	spin_lock_init(&srv->drain_lock);
	do {
		srv->srv_gen = get_random_u32();
	} while (!srv->srv_gen);

	err = memx_store_init();
	if (err)
		goto err_out;
	err = memx_net_init();
	if (err)
		goto err_store;
	err = memx_open_ports();
	if (err)
		goto err_net;
	err = memx_sysfs_init();
	if (err)
		goto err_ports;
	memx_advert_start();

	pr_info("loaded: srv_gen=%08x capacity=%llu pages on %s, max_sessions=%u\n",
		srv->srv_gen, srv->capacity_pages, ifname, srv->max_sessions);
	return 0;

err_ports:
	memx_close_ports();
err_net:
	memx_net_exit();
err_store:
	WRITE_ONCE(srv->stopping, true);
	memx_store_exit();
err_out:
	return err;
}

static void __exit memx_server_exit(void)
{
	memx_drain_before_unload();
	memx_advert_stop();
	memx_sysfs_exit();
	memx_close_ports();
	memx_net_exit();
	memx_store_exit();
	memx_print_objects("unloaded");
}

module_init(memx_server_init);
module_exit(memx_server_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memx: network memory server over raw Ethernet (RMAP)");
MODULE_AUTHOR("memx developers");
