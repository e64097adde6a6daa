// SPDX-License-Identifier: GPL-2.0
/*
 * Status in /sys/kernel/memx_server/, read only (clients: root only),
 * and one control: drain.
 * Removed at rmmod before the ports close, so readers always see live
 * ports; sessions are read under RCU.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include "memx_server.h"

static const char *const memx_status_names[MEMX_S_MAX + 1] = {
	[MEMX_S_OK] = "ok",
	[MEMX_S_NOSPACE] = "nospace",
	[MEMX_S_NOSESSION] = "nosession",
	[MEMX_S_BADREQ] = "badreq",
	[MEMX_S_BUSY] = "busy",
	[MEMX_S_UNSUPP] = "unsupp",
};

static u64 memx_drops(unsigned int why)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < memx_srv.nports; i++)
		n += atomic64_read(&memx_srv.ports[i].rx_drop[why]);
	return n;
}

#define MEMX_RO(_name) \
	static struct kobj_attribute memx_attr_##_name = __ATTR_RO(_name)

static ssize_t capacity_show(struct kobject *kobj, struct kobj_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  memx_srv.capacity_pages * MEMX_PAGE_SIZE);
}

MEMX_RO(capacity);

static ssize_t used_show(struct kobject *kobj, struct kobj_attribute *a,
			 char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&memx_srv.used_pages) * MEMX_PAGE_SIZE);
}

MEMX_RO(used);

static ssize_t used_pages_show(struct kobject *kobj, struct kobj_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&memx_srv.used_pages));
}

MEMX_RO(used_pages);

static ssize_t sessions_show(struct kobject *kobj, struct kobj_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", memx_session_count());
}

MEMX_RO(sessions);

/* Room kept at the end of the page for the "... N more" line. */
#define MEMX_MORE_ROOM	32

/*
 * One line per session: MAC cli_gen session pages. Sessions that do not
 * fit in the page are summed up in a last line "... N more". Root only:
 * MAC, cli_gen and session id are what a CLOSE or DISCARD needs to be
 * taken for the client's.
 */
static ssize_t clients_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *buf)
{
	struct memx_session *s;
	unsigned int i, more = 0;
	char line[64];
	int len = 0, n;

	rcu_read_lock();
	for (i = 0; i < memx_srv.max_sessions; i++) {
		s = rcu_dereference(memx_srv.sessions[i]);
		if (!s)
			continue;
		if (more) {
			more++;
			continue;
		}
		n = scnprintf(line, sizeof(line), "%pM %08x %08x %lu\n",
			      s->mac, s->cli_gen, s->id, READ_ONCE(s->npages));
		if (len + n > PAGE_SIZE - MEMX_MORE_ROOM) {
			more = 1;
			continue;
		}
		len += sysfs_emit_at(buf, len, "%s", line);
	}
	rcu_read_unlock();
	if (more)
		len += sysfs_emit_at(buf, len, "... %u more\n", more);
	return len;
}

static struct kobj_attribute memx_attr_clients =
	__ATTR_RO_MODE(clients, 0400);

static ssize_t frames_in_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n", memx_frames_in());
}

MEMX_RO(frames_in);

static ssize_t frames_out_show(struct kobject *kobj, struct kobj_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%llu\n", memx_frames_out());
}

MEMX_RO(frames_out);

/* ERROR replies sent, by status */
static ssize_t errors_show(struct kobject *kobj, struct kobj_attribute *a,
			   char *buf)
{
	unsigned int i;
	int len = 0;

	for (i = MEMX_S_OK + 1; i <= MEMX_S_MAX; i++)
		len += sysfs_emit_at(buf, len, "%s %lld\n",
				     memx_status_names[i],
				     atomic64_read(&memx_srv.st.errors[i]));
	return len;
}

MEMX_RO(errors);

static ssize_t malformed_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	unsigned int i;
	u64 n = 0;

	for (i = MEMX_DROP_NONE + 1; i < MEMX_DROP_MAX; i++)
		n += memx_drops(i);
	return sysfs_emit(buf, "%llu\n", n);
}

MEMX_RO(malformed);

static ssize_t malformed_detail_show(struct kobject *kobj,
				     struct kobj_attribute *a, char *buf)
{
	unsigned int i;
	int len = 0;

	for (i = MEMX_DROP_NONE + 1; i < MEMX_DROP_MAX; i++)
		len += sysfs_emit_at(buf, len, "%s %llu\n",
				     memx_drop_names[i], memx_drops(i));
	return len;
}

MEMX_RO(malformed_detail);

static ssize_t srv_gen_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *buf)
{
	return sysfs_emit(buf, "%08x\n", memx_srv.srv_gen);
}

MEMX_RO(srv_gen);

/*
 * drain: 1 while draining (clients move their pages away, no new session is
 * opened), else 0. Root writes 1 to start, 0 to stop (refused with EBUSY
 * while rmmod drains).
 */
static ssize_t drain_show(struct kobject *kobj, struct kobj_attribute *a,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(memx_srv.draining));
}

static ssize_t drain_store(struct kobject *kobj, struct kobj_attribute *a,
			   const char *buf, size_t count)
{
	bool on;
	int err;

	err = kstrtobool(buf, &on);
	if (err)
		return err;
	err = memx_drain_set(on);
	return err ? err : count;
}

static struct kobj_attribute memx_attr_drain = __ATTR_RW(drain);

/* Module objects and internal counters, "name value" per line */
static ssize_t objects_show(struct kobject *kobj, struct kobj_attribute *a,
			    char *buf)
{
	struct memx_srv_stats *st = &memx_srv.st;
	u64 nomem = 0, txerr = 0;
	unsigned int i;
	int len = 0;

	for (i = 0; i < memx_srv.nports; i++) {
		nomem += atomic64_read(&memx_srv.ports[i].rx_nomem);
		txerr += atomic64_read(&memx_srv.ports[i].tx_errors);
	}
	len += sysfs_emit_at(buf, len, "pages_alloc %lld\n",
			     atomic64_read(&st->pages_alloc));
	len += sysfs_emit_at(buf, len, "pages_freed %lld\n",
			     atomic64_read(&st->pages_freed));
	len += sysfs_emit_at(buf, len, "sessions_alloc %lld\n",
			     atomic64_read(&st->sessions_alloc));
	len += sysfs_emit_at(buf, len, "sessions_freed %lld\n",
			     atomic64_read(&st->sessions_freed));
	len += sysfs_emit_at(buf, len, "reserve_pages %u\n",
			     READ_ONCE(memx_srv.reserve_count));
	len += sysfs_emit_at(buf, len, "reserve_used %lld\n",
			     atomic64_read(&st->reserve_used));
	len += sysfs_emit_at(buf, len, "tombstones %lld\n",
			     atomic64_read(&st->tombstones));
	len += sysfs_emit_at(buf, len, "stale_writes %lld\n",
			     atomic64_read(&st->stale_writes));
	len += sysfs_emit_at(buf, len, "reasm_bad %lld\n",
			     atomic64_read(&st->reasm_bad));
	len += sysfs_emit_at(buf, len, "reasm_expired %lld\n",
			     atomic64_read(&st->reasm_expired));
	len += sysfs_emit_at(buf, len, "ignored %lld\n",
			     atomic64_read(&st->ignored));
	len += sysfs_emit_at(buf, len, "tx_fail %lld\n",
			     atomic64_read(&st->tx_fail));
	len += sysfs_emit_at(buf, len, "reused %lld\n",
			     atomic64_read(&st->reused));
	len += sysfs_emit_at(buf, len, "rx_nomem %llu\n", nomem);
	len += sysfs_emit_at(buf, len, "tx_errors %llu\n", txerr);
	return len;
}

MEMX_RO(objects);

/* Per interface: name state mtu rx_frames tx_frames */
static ssize_t ports_show(struct kobject *kobj, struct kobj_attribute *a,
			  char *buf)
{
	struct memx_port *p;
	unsigned int i;
	int len = 0;

	for (i = 0; i < memx_srv.nports; i++) {
		p = &memx_srv.ports[i];
		len += sysfs_emit_at(buf, len, "%s %s %u %lld %lld\n",
				     p->ifname,
				     !rcu_access_pointer(p->dev) ? "gone" :
				     READ_ONCE(p->up) ? "up" : "down",
				     READ_ONCE(p->mtu),
				     atomic64_read(&p->rx_frames),
				     atomic64_read(&p->tx_frames));
	}
	return len;
}

MEMX_RO(ports);

static struct attribute *memx_attrs[] = {
	&memx_attr_capacity.attr,
	&memx_attr_used.attr,
	&memx_attr_used_pages.attr,
	&memx_attr_sessions.attr,
	&memx_attr_clients.attr,
	&memx_attr_frames_in.attr,
	&memx_attr_frames_out.attr,
	&memx_attr_errors.attr,
	&memx_attr_malformed.attr,
	&memx_attr_malformed_detail.attr,
	&memx_attr_srv_gen.attr,
	&memx_attr_objects.attr,
	&memx_attr_ports.attr,
	&memx_attr_drain.attr,
	NULL,
};

static const struct attribute_group memx_attr_group = {
	.attrs = memx_attrs,
};

int memx_sysfs_init(void)
{
	int err;

	memx_srv.kobj = kobject_create_and_add("memx_server", kernel_kobj);
	if (!memx_srv.kobj)
		return -ENOMEM;
	err = sysfs_create_group(memx_srv.kobj, &memx_attr_group);
	if (err) {
		kobject_put(memx_srv.kobj);
		memx_srv.kobj = NULL;
	}
	return err;
}

void memx_sysfs_exit(void)
{
	if (!memx_srv.kobj)
		return;
	sysfs_remove_group(memx_srv.kobj, &memx_attr_group);
	kobject_put(memx_srv.kobj);
	memx_srv.kobj = NULL;
}
