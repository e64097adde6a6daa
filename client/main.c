// SPDX-License-Identifier: GPL-2.0
/*
 * memx_client: a block device (/dev/memx0) stored in the RAM of memx
 * servers on the local Ethernet segment.
 *
 *   insmod memx_client.ko ifname=eth1 size=4G [servers=MAC,MAC]
 *          [replicas=1] [rebuild_rate=64] [io_timeout=30] [nr_queues=0]
 *          [queue_depth=64]
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/cpumask.h>
#include <net/net_namespace.h>
#include "memx_client.h"
#include "param.h"

static char *ifname;
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "network interface the servers are on (required)");

static char *size;
module_param(size, charp, 0444);
MODULE_PARM_DESC(size,
		 "device size, with suffix K, M, G or T; a multiple of 4K (required)");

static char *servers;
module_param(servers, charp, 0444);
MODULE_PARM_DESC(servers,
		 "comma-separated MAC addresses of the only servers to use (default: any)");

static unsigned int replicas = 1;
module_param(replicas, uint, 0444);
MODULE_PARM_DESC(replicas,
		 "copies of each extent, on distinct servers: 1, 2 or 3 (default 1)");

static unsigned int rebuild_rate = 64;
module_param(rebuild_rate, uint, 0444);
MODULE_PARM_DESC(rebuild_rate,
		 "most MiB per second copied to re-create missing copies (default 64)");

static unsigned int io_timeout = 30;
module_param(io_timeout, uint, 0444);
MODULE_PARM_DESC(io_timeout,
		 "seconds before a request that cannot complete fails with EIO (default 30)");

static unsigned int nr_queues;
module_param(nr_queues, uint, 0444);
MODULE_PARM_DESC(nr_queues, "hardware queues (default 0: one per CPU)");

static unsigned int queue_depth = 64;
module_param(queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "requests in flight per queue (default 64)");

static unsigned int readahead = 256;
module_param(readahead, uint, 0444);
MODULE_PARM_DESC(readahead,
		 "pages of read-ahead for a lone sequential reader such as swap-in, 0 or at least 64 (default 256)");

static struct memx_dev *memx_dev;

/*
 * size=: bytes with an optional K, M, G or T suffix, a multiple of 4 KiB.
 * It need not be a multiple of the 1 MiB extent: the last extent is then
 * short, and placement covers the size rounded up to whole extents.
 */
static int memx_parse_size(const char *s, u64 *bytes)
{
	u64 v;
	int ret;

	ret = memx_parse_bytes("size", s, &v);
	if (ret)
		return ret;
	if (!v || v & (MEMX_PAGE_SIZE - 1)) {
		pr_err("size=%s: must be a non-zero multiple of 4K\n", s);
		return -EINVAL;
	}
	if (v > MEMX_MAX_SIZE) {
		pr_err("size=%s: at most %lluT\n", s, MEMX_MAX_SIZE >> 40);
		return -EINVAL;
	}
	*bytes = v;
	return 0;
}

static int memx_check_params(u64 *bytes)
{
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		pr_err("ifname= is required: the interface the servers are on\n");
		return -EINVAL;
	}
	ret = memx_parse_size(size, bytes);
	if (ret)
		return ret;
	if (replicas < 1 || replicas > MEMX_MAX_REPLICAS) {
		pr_err("replicas=%u: must be 1..%u\n", replicas,
		       MEMX_MAX_REPLICAS);
		return -EINVAL;
	}
	if (!rebuild_rate || rebuild_rate > 100000) {
		pr_err("rebuild_rate=%u: must be 1..100000 MiB/s\n",
		       rebuild_rate);
		return -EINVAL;
	}
	if (!io_timeout || io_timeout > 3600) {
		pr_err("io_timeout=%u: must be 1..3600 seconds\n", io_timeout);
		return -EINVAL;
	}
	if (nr_queues > nr_cpu_ids) {
		pr_err("nr_queues=%u: at most %u (CPUs)\n", nr_queues,
		       nr_cpu_ids);
		return -EINVAL;
	}
	if (readahead && (readahead < 4 * MEMX_PF_WINDOW || readahead > 65536)) {
		pr_err("readahead=%u: must be 0 or %u..65536 pages\n", readahead,
		       4 * MEMX_PF_WINDOW);
		return -EINVAL;
	}
	if (queue_depth < 1 || queue_depth > 1024) {
		pr_err("queue_depth=%u: must be 1..1024\n", queue_depth);
		return -EINVAL;
	}
	return 0;
}

static int __init memx_client_init(void)
{
	struct memx_dev *d;
	u64 bytes;
	int ret;

	ret = memx_check_params(&bytes);
	if (ret)
		return ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->io_timeout = (unsigned long)io_timeout * HZ;

	ret = memx_place_init(d, bytes, replicas);
	if (ret)
		goto err_free;
	memx_mover_init(d, rebuild_rate);
	ret = memx_pf_init(d, readahead);
	if (ret)
		goto err_place;
	ret = memx_servers_init(d, servers);
	if (ret)
		goto err_pf;
	ret = memx_net_init();
	if (ret)
		goto err_servers_init;
	ret = memx_blk_init(d, nr_queues ?: num_online_cpus(), queue_depth);
	if (ret)
		goto err_net;
	ret = memx_port_open(&d->port, current->nsproxy->net_ns, ifname,
			     &memx_client_port_ops, d);
	if (ret) {
		pr_err("ifname=%s: cannot bind the interface (%d)\n", ifname,
		       ret);
		goto err_blk;
	}
	memx_servers_start(d);
	ret = memx_blk_add(d);
	if (ret) {
		pr_err("cannot add the disk (%d)\n", ret);
		goto err_servers;
	}
	memx_mover_start(d);
	memx_dev = d;
	pr_info("memx0: %llu bytes (%u extents of %lu KiB, %u %s each) on %s, generation %08x\n",
		bytes, d->nr_extents, MEMX_EXTENT_PAGES * MEMX_PAGE_SIZE / 1024,
		replicas, replicas > 1 ? "copies" : "copy", ifname,
		d->cli_gen);
	return 0;

err_servers:
	memx_servers_stop(d);
	memx_port_close(&d->port);
	memx_frames_drain();
err_blk:
	memx_blk_exit(d);
err_net:
	memx_net_exit();
err_servers_init:
	memx_servers_exit(d);
err_pf:
	memx_pf_exit(d);
err_place:
	memx_place_exit(d);
err_free:
	kfree(d);
	return ret;
}

static void __exit memx_client_exit(void)
{
	struct memx_dev *d = memx_dev;
	struct memx_stats *s = &d->stats;

	memx_mover_stop(d);
	memx_pf_stop(d);
	memx_blk_del(d);
	memx_servers_stop(d);
	memx_port_close(&d->port);
	memx_frames_drain();
	memx_blk_exit(d);
	memx_net_exit();
	memx_servers_exit(d);
	memx_pf_exit(d);
	memx_place_exit(d);
	pr_info("unloaded: requests started %lld ended %lld, sessions opened %lld closed %lld lost %lld, retransmits %lld timeouts %lld errors %lld late %lld\n",
		(s64)atomic64_read(&s->rq_started),
		(s64)atomic64_read(&s->rq_ended),
		(s64)atomic64_read(&s->sessions_opened),
		(s64)atomic64_read(&s->sessions_closed),
		(s64)atomic64_read(&s->sessions_lost),
		(s64)atomic64_read(&s->retransmits),
		(s64)atomic64_read(&s->timeouts),
		(s64)atomic64_read(&s->errors),
		(s64)atomic64_read(&s->late_replies));
	kfree(d);
}

module_init(memx_client_init);
module_exit(memx_client_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memx: block device in the RAM of servers on the LAN");
MODULE_AUTHOR("memx developers");
