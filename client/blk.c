// SPDX-License-Identifier: GPL-2.0
/*
 * The block device: blk-mq tag set, queue_rq, the disk.
 *
 * Blocks are 4 KiB, logical and physical, and buffers are 4 KiB aligned
 * (dma_alignment 4095), so each block of a request is one whole page at
 * offset 0: a read or write carries at most MEMX_MAX_PAGES_PER_OP of them
 * and never crosses an extent (chunk_sectors), so it goes to one server.
 * Discards and write-zeroes may cross one: the block layer does not split
 * those at chunk_sectors (blk_rq_get_max_sectors() skips discards,
 * bio_split_discard() ignores chunks, and so does 6.1's
 * bio_split_write_zeroes()), so req.c handles them one extent at a time.
 *
 * There is no volatile write cache: a write completes only when every
 * page of it has been acknowledged, i.e. stored in a server's RAM, so a
 * flush has nothing to wait for and completes at once. (Server RAM is no
 * more durable than that: memx is for swap and scratch data.)
 *
 * The mover (mover.c) sends driver-private requests (REQ_OP_DRV_IN,
 * REQ_OP_DRV_OUT) on tags reserved for it, whose pdu it fills itself.
 *
 * No I/O scheduler (BLK_MQ_F_NO_SCHED): replies find their request with
 * blk_mq_tag_to_rq() on the driver tags, whose requests live as long as
 * the tag set; a scheduler's requests would be freed on an elevator switch
 * under a late reply's feet. For memory on the network, the scheduler
 * would not help anyway.
 */
#include <linux/blkdev.h>
#include "memx_client.h"

static int memx_major;

static blk_status_t memx_queue_rq(struct blk_mq_hw_ctx *hctx,
				  const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_dev *d = hctx->queue->queuedata;
	u64 pos = blk_rq_pos(rq), bytes = blk_rq_bytes(rq), nr;
	struct req_iterator iter;
	struct bio_vec bv;
	unsigned int n = 0;

	blk_mq_start_request(rq);

	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		/* Every acknowledged write is in a server's RAM already. */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	case REQ_OP_READ:
		cmd->op = MEMX_T_READ;
		break;
	case REQ_OP_WRITE:
		cmd->op = MEMX_T_WRITE;
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		cmd->op = MEMX_T_DISCARD;
		break;
	case REQ_OP_DRV_IN:
	case REQ_OP_DRV_OUT:
		/* The mover's or read-ahead's: pdu filled by its sender. */
		if (unlikely((!cmd->mover && !cmd->prefetch) || !cmd->nr ||
			     cmd->page + cmd->nr > d->nr_pages))
			goto bad;
		memx_req_start(rq);
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}

	/* Only swap may use the reserves (memx_client.h). */
	cmd->gfp = rq->cmd_flags & REQ_SWAP ? MEMX_GFP_SWAP : MEMX_GFP_IO;
	cmd->mover = false;
	cmd->prefetch = false;
	cmd->page = pos >> (MEMX_PAGE_SHIFT - SECTOR_SHIFT);
	nr = bytes >> MEMX_PAGE_SHIFT;
	if (unlikely((pos & ((MEMX_PAGE_SIZE >> SECTOR_SHIFT) - 1)) ||
		     (bytes & (MEMX_PAGE_SIZE - 1)) || !nr ||
		     cmd->page + nr > d->nr_pages))
		goto bad;
	/* A discard's first part: up to the end of its first extent. */
	cmd->nr = memx_extent_part(cmd->page, nr);

	if (cmd->op != MEMX_T_DISCARD) {
		if (unlikely(nr > MEMX_MAX_PAGES_PER_OP || cmd->nr != nr))
			goto bad;
		rq_for_each_segment(bv, rq, iter) {
			if (unlikely(n >= cmd->nr || bv.bv_offset ||
				     bv.bv_len != MEMX_PAGE_SIZE))
				goto bad;
			cmd->pages[n++] = bv.bv_page;
		}
		if (unlikely(n != cmd->nr))
			goto bad;
	}

	if (cmd->op == MEMX_T_READ) {
		if (memx_pf_read(d, rq))
			return BLK_STS_OK;
	} else {
		memx_pf_write(d, cmd->page, nr);
	}
	memx_req_start(rq);
	return BLK_STS_OK;

bad:
	pr_warn_ratelimited("bad request: op %u sector %llu bytes %llu\n",
			    req_op(rq), pos, bytes);
	atomic64_inc(&d->stats.errors);
	return BLK_STS_IOERR;
}

static int memx_init_request(struct blk_mq_tag_set *set, struct request *rq,
			     unsigned int hctx_idx, unsigned int numa_node)
{
	memx_req_init(blk_mq_rq_to_pdu(rq), set->driver_data);
	return 0;
}

static void memx_exit_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx)
{
	memx_req_exit(blk_mq_rq_to_pdu(rq));
}

static const struct blk_mq_ops memx_mq_ops = {
	.queue_rq	= memx_queue_rq,
	.timeout	= memx_req_timeout,
	.init_request	= memx_init_request,
	.exit_request	= memx_exit_request,
};

static const struct block_device_operations memx_fops = {
	.owner		= THIS_MODULE,
};

/**
 * memx_blk_find() - the request a reply's tag names, or NULL
 * @d: the device
 * @tag: the reply's tag, a blk_mq_unique_tag()
 *
 * The request may be idle or belong to another seq by now: the caller
 * checks its state under its lock.
 */
struct request *memx_blk_find(struct memx_dev *d, u32 tag)
{
	u16 hwq = blk_mq_unique_tag_to_hwq(tag);
	struct blk_mq_tags *tags;

	if (hwq >= d->tag_set.nr_hw_queues)
		return NULL;
	tags = d->tag_set.tags[hwq];
	if (!tags)
		return NULL;
	return blk_mq_tag_to_rq(tags, blk_mq_unique_tag_to_tag(tag));
}

/* Everything that differs between 6.1 (queue setters) and 6.9+ (limits). */
static struct gendisk *memx_blk_alloc_disk(struct memx_dev *d)
{
	const unsigned int max_sectors =
		MEMX_MAX_PAGES_PER_OP << (MEMX_PAGE_SHIFT - SECTOR_SHIFT);
#ifdef MEMX_HAVE_BLK_ALLOC_DISK_LIM
	struct queue_limits lim = {
		.logical_block_size	= MEMX_PAGE_SIZE,
		.physical_block_size	= MEMX_PAGE_SIZE,
		.io_min			= MEMX_PAGE_SIZE,
		.dma_alignment		= MEMX_PAGE_SIZE - 1,
		.max_hw_sectors		= max_sectors,
		.max_segments		= MEMX_MAX_PAGES_PER_OP,
		.chunk_sectors		= MEMX_EXTENT_SECTORS,
		.max_hw_discard_sectors	= MEMX_EXTENT_SECTORS,
		.discard_granularity	= MEMX_PAGE_SIZE,
		.max_write_zeroes_sectors = MEMX_EXTENT_SECTORS,
#ifdef MEMX_HAVE_BLK_FEAT
		/*
		 * Not rotational, no write cache, no FUA. With replicas,
		 * stable writes: a page being written is not changed until
		 * every copy has it, or the copies could differ.
		 */
		.features		= d->replicas > 1 ?
					  BLK_FEAT_STABLE_WRITES : 0,
#endif
	};

	return blk_mq_alloc_disk(&d->tag_set, &lim, d);
#else
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_mq_alloc_disk(&d->tag_set, d);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, MEMX_PAGE_SIZE);
	blk_queue_physical_block_size(q, MEMX_PAGE_SIZE);
	blk_queue_io_min(q, MEMX_PAGE_SIZE);
	blk_queue_dma_alignment(q, MEMX_PAGE_SIZE - 1);
	blk_queue_max_hw_sectors(q, max_sectors);
	blk_queue_max_segments(q, MEMX_MAX_PAGES_PER_OP);
	blk_queue_chunk_sectors(q, MEMX_EXTENT_SECTORS);
	blk_queue_max_discard_sectors(q, MEMX_EXTENT_SECTORS);
	q->limits.discard_granularity = MEMX_PAGE_SIZE;
	blk_queue_max_write_zeroes_sectors(q, MEMX_EXTENT_SECTORS);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	blk_queue_write_cache(q, false, false);
	if (d->replicas > 1)
		blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, q);
	return disk;
#endif
}

int memx_blk_init(struct memx_dev *d, unsigned int nr_queues,
		  unsigned int depth)
{
	struct gendisk *disk;
	int ret;

	memx_major = register_blkdev(0, "memx");
	if (memx_major < 0)
		return memx_major;

	d->tag_set.ops = &memx_mq_ops;
	d->tag_set.nr_hw_queues = nr_queues;
	/* The mover's requests have tags of their own. */
	d->tag_set.queue_depth = depth + MEMX_MOVER_TAGS;
	d->tag_set.reserved_tags = MEMX_MOVER_TAGS;
	d->tag_set.numa_node = NUMA_NO_NODE;
	d->tag_set.cmd_size = sizeof(struct memx_cmd);
	d->tag_set.flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_NO_SCHED;
	d->tag_set.driver_data = d;
	d->tag_set.timeout = d->io_timeout + 10 * HZ;
	ret = blk_mq_alloc_tag_set(&d->tag_set);
	if (ret)
		goto err_blkdev;

	disk = memx_blk_alloc_disk(d);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_tags;
	}
	disk->major = memx_major;
	disk->first_minor = 0;
	disk->minors = 1;
	disk->fops = &memx_fops;
	disk->private_data = d;
	snprintf(disk->disk_name, DISK_NAME_LEN, "memx0");
	set_capacity(disk, d->nr_pages << (MEMX_PAGE_SHIFT - SECTOR_SHIFT));
	d->disk = disk;
	return 0;

err_tags:
	blk_mq_free_tag_set(&d->tag_set);
err_blkdev:
	unregister_blkdev(memx_major, "memx");
	return ret;
}

int memx_blk_add(struct memx_dev *d)
{
	return device_add_disk(NULL, d->disk, memx_attr_groups);
}

/* Remove the disk: waits for every request to end (io_timeout bounds). */
void memx_blk_del(struct memx_dev *d)
{
	del_gendisk(d->disk);
}

/* After memx_blk_del() (or instead of it, if never added). */
void memx_blk_exit(struct memx_dev *d)
{
	put_disk(d->disk);
	d->disk = NULL;
	blk_mq_free_tag_set(&d->tag_set);
	unregister_blkdev(memx_major, "memx");
}
