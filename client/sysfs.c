// SPDX-License-Identifier: GPL-2.0
/*
 * Status in /sys/block/memx0/memx/: servers (one line per server), device
 * counters, and "objects", the module's own object counts, balanced once
 * the device is idle.
 */
#include <linux/blkdev.h>
#include <linux/sysfs.h>
#include "memx_client.h"

static struct memx_dev *memx_sysfs_dev(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t servers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct memx_dev *d = memx_sysfs_dev(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];
		u64 capacity, free, held, retrans;
		u32 srtt, rto, extents, cwnd, inflight;
		bool evicting;

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		capacity = srv->capacity;
		free = srv->free;
		srtt = memx_rtt_srtt_us(&srv->rtt);
		rto = memx_rtt_rto_us(&srv->rtt);
		extents = srv->extents;
		held = srv->pages_held;
		retrans = srv->retransmits;
		cwnd = srv->cwnd;
		inflight = srv->inflight;
		evicting = srv->evicting;
		spin_unlock_bh(&srv->lock);
		len += sysfs_emit_at(buf, len,
				     "%pM %s %llu %llu %u %u %u %llu %llu %u %u %s\n",
				     srv->mac, memx_server_liveness(srv),
				     capacity << MEMX_PAGE_SHIFT,
				     free << MEMX_PAGE_SHIFT, srtt, rto,
				     extents, held, retrans, cwnd, inflight,
				     evicting ? "evicting" : "-");
	}
	return len;
}
static DEVICE_ATTR_RO(servers);

static ssize_t pages_stored_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct memx_dev *d = memx_sysfs_dev(dev);
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		sum += srv->pages_held;
		spin_unlock_bh(&srv->lock);
	}
	return sysfs_emit(buf, "%llu\n", sum);
}
static DEVICE_ATTR_RO(pages_stored);

/* Counters of struct memx_stats, one file each. */
struct memx_stat_attr {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t memx_stat_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct memx_stat_attr *sa = container_of(attr, struct memx_stat_attr,
						 attr);
	struct memx_dev *d = memx_sysfs_dev(dev);
	atomic64_t *v = (void *)&d->stats + sa->offset;

	return sysfs_emit(buf, "%lld\n", (s64)atomic64_read(v));
}

static struct memx_stat_attr memx_stat_attrs[] = {
	{ __ATTR(retransmits, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, retransmits) },
	{ __ATTR(timeouts, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, timeouts) },
	{ __ATTR(errors, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, errors) },
	{ __ATTR(late_replies, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, late_replies) },
	{ __ATTR(nospace, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, nospace) },
	{ __ATTR(lost_extents, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, lost_extents) },
	{ __ATTR(tx_failed, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, tx_failed) },
	{ __ATTR(drain_moved, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, drain_moved) },
	{ __ATTR(rebuilt, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, rebuilt) },
	{ __ATTR(dropped, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, dropped) },
	{ __ATTR(ra_pages, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, ra_pages) },
	{ __ATTR(ra_hits, 0444, memx_stat_show, NULL),
	  offsetof(struct memx_stats, ra_hits) },
};

static ssize_t replicas_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", memx_sysfs_dev(dev)->replicas);
}
static DEVICE_ATTR_RO(replicas);

/* Extents with at least one copy. */
static ssize_t placed_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(memx_sysfs_dev(dev)->placed));
}
static DEVICE_ATTR_RO(placed);

/* Extents with fewer copies than replicas (rebuilt: copies made since). */
static ssize_t degraded_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(memx_sysfs_dev(dev)->degraded));
}
static DEVICE_ATTR_RO(degraded);

/* Extents still on draining servers (drain_moved: those moved off). */
static ssize_t drain_pending_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  memx_drain_pending(memx_sysfs_dev(dev)));
}
static DEVICE_ATTR_RO(drain_pending);

static ssize_t malformed_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct memx_dev *d = memx_sysfs_dev(dev);
	s64 sum = 0;
	unsigned int i;

	for (i = MEMX_DROP_NONE + 1; i < MEMX_DROP_MAX; i++)
		sum += atomic64_read(&d->port.rx_drop[i]);
	return sysfs_emit(buf, "%lld\n", sum);
}
static DEVICE_ATTR_RO(malformed);

static ssize_t inflight_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct memx_dev *d = memx_sysfs_dev(dev);

	return sysfs_emit(buf, "%lld\n",
			  (s64)(atomic64_read(&d->stats.rq_started) -
				atomic64_read(&d->stats.rq_ended)));
}
static DEVICE_ATTR_RO(inflight);

static ssize_t objects_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	struct memx_dev *d = memx_sysfs_dev(dev);
	struct memx_stats *s = &d->stats;

	return sysfs_emit(buf,
			  "requests_started %lld\nrequests_ended %lld\nsessions_opened %lld\nsessions_closed %lld\nsessions_lost %lld\n",
			  (s64)atomic64_read(&s->rq_started),
			  (s64)atomic64_read(&s->rq_ended),
			  (s64)atomic64_read(&s->sessions_opened),
			  (s64)atomic64_read(&s->sessions_closed),
			  (s64)atomic64_read(&s->sessions_lost));
}
static DEVICE_ATTR_RO(objects);

static struct attribute *memx_attrs[] = {
	&dev_attr_servers.attr,
	&dev_attr_pages_stored.attr,
	&memx_stat_attrs[0].attr.attr,
	&memx_stat_attrs[1].attr.attr,
	&memx_stat_attrs[2].attr.attr,
	&memx_stat_attrs[3].attr.attr,
	&memx_stat_attrs[4].attr.attr,
	&memx_stat_attrs[5].attr.attr,
	&memx_stat_attrs[6].attr.attr,
	&memx_stat_attrs[7].attr.attr,
	&memx_stat_attrs[8].attr.attr,
	&memx_stat_attrs[9].attr.attr,
	&memx_stat_attrs[10].attr.attr,
	&memx_stat_attrs[11].attr.attr,
	&dev_attr_replicas.attr,
	&dev_attr_placed.attr,
	&dev_attr_degraded.attr,
	&dev_attr_drain_pending.attr,
	&dev_attr_malformed.attr,
	&dev_attr_inflight.attr,
	&dev_attr_objects.attr,
	NULL,
};

static const struct attribute_group memx_attr_group = {
	.name = "memx",
	.attrs = memx_attrs,
};

const struct attribute_group *memx_attr_groups[] = {
	&memx_attr_group,
	NULL,
};
