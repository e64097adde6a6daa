// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and their page stores.
 *
 * Session lifetime. The table (memx_srv.sessions) holds one reference on
 * each session. The receive path finds a session under RCU and pins it with
 * refcount_inc_not_zero(); the memory is freed with kfree_rcu(), so that
 * attempt is safe even against a concurrent final put. Closing a session
 * (CLOSE, rmmod) unlinks it from the table
 * under sess_lock and moves the table's reference to the reap list; the
 * reap work then marks it dead under the xarray lock and the reassembly
 * lock, after which nobody inserts a page or claims a reassembly slot, and
 * frees every page, tombstone and reassembly buffer in process context
 * (a session may hold millions of pages: too many for a softirq). Receive
 * paths that still hold a reference see ->dead and answer NOSESSION.
 *
 * Lock order: sess_lock, then a session's xa_lock or reasm_lock (never both
 * of those at once); reserve_lock is innermost. All are taken with _bh:
 * the receive softirq and the advert timer use them.
 */
#include <linux/etherdevice.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "memx_server.h"

/* Sequence numbers as stored: page_private and tombstones hold 63 bits. */
static inline unsigned long memx_seq_key(u64 seq)
{
	return (unsigned long)(seq & LONG_MAX);
}

static unsigned long memx_entry_seq(void *entry)
{
	if (xa_is_value(entry))
		return xa_to_value(entry);
	return page_private((struct page *)entry);
}

/*
 * @entry (a page, a tombstone or NULL) holds the write or discard of key
 * @key or a newer one: a write of @key there is applied or superseded.
 */
static bool memx_entry_covers(void *entry, unsigned long key)
{
	return entry && key <= memx_entry_seq(entry);
}

/* ---- pages ------------------------------------------------------------ */

static void memx_reserve_refill(struct work_struct *work)
{
	struct memx_srv *srv = &memx_srv;
	struct page *page;

	for (;;) {
		spin_lock_bh(&srv->reserve_lock);
		if (srv->reserve_count >= srv->reserve_target) {
			spin_unlock_bh(&srv->reserve_lock);
			break;
		}
		spin_unlock_bh(&srv->reserve_lock);

		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page)
			break;
		atomic64_inc(&srv->st.pages_alloc);
		spin_lock_bh(&srv->reserve_lock);
		list_add(&page->lru, &srv->reserve);
		srv->reserve_count++;
		spin_unlock_bh(&srv->reserve_lock);
		cond_resched();
	}
}

/**
 * memx_page_get() - a page for the store, from any context
 *
 * GFP_ATOMIC first; when that fails, the reserve (refilled by a work item).
 * Return: the page (private 0), or NULL.
 */
struct page *memx_page_get(void)
{
	struct memx_srv *srv = &memx_srv;
	struct page *page;

	page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	if (page) {
		atomic64_inc(&srv->st.pages_alloc);
		return page;
	}

	spin_lock_bh(&srv->reserve_lock);
	page = list_first_entry_or_null(&srv->reserve, struct page, lru);
	if (page) {
		list_del(&page->lru);
		srv->reserve_count--;
	}
	spin_unlock_bh(&srv->reserve_lock);
	if (page) {
		atomic64_inc(&srv->st.reserve_used);
		if (!READ_ONCE(srv->stopping))
			schedule_work(&srv->refill_work);
	}
	return page;
}

/* Give back a page obtained from memx_page_get(). */
void memx_page_free(struct page *page)
{
	set_page_private(page, 0);
	atomic64_inc(&memx_srv.st.pages_freed);
	put_page(page);
}

static void memx_page_release(void *buf, void *ctx)
{
	if (buf)
		memx_page_free(buf);
}

/* Count one more stored page, unless that would pass the capacity. */
static bool memx_capacity_take(void)
{
	struct memx_srv *srv = &memx_srv;
	s64 used = atomic64_read(&srv->used_pages);

	do {
		if (used >= (s64)srv->capacity_pages)
			return false;
	} while (!atomic64_try_cmpxchg(&srv->used_pages, &used, used + 1));
	return true;
}

static void memx_capacity_put(void)
{
	atomic64_dec(&memx_srv.used_pages);
}

/* ---- the page store --------------------------------------------------- */

/**
 * memx_store_write() - store a page if its write is the newest there
 * @s: the session (held)
 * @index: page number
 * @seq: the write's sequence number
 * @page: the assembled page; owned by this function in every case
 *
 * Return: MEMX_S_OK (stored, or a newer write/discard is there: nothing to
 * do), MEMX_S_NOSPACE (the page would be new and the server is full),
 * MEMX_S_BUSY (no memory for the xarray node), MEMX_S_NOSESSION (closed).
 */
int memx_store_write(struct memx_session *s, u64 index, u64 seq,
		     struct page *page)
{
	unsigned long key = memx_seq_key(seq);
	bool added = false;
	void *old, *cur;
	int st;

	set_page_private(page, key);
	xa_lock_bh(&s->pages);
	if (s->dead) {
		st = MEMX_S_NOSESSION;
		goto out_free;
	}
	old = xa_load(&s->pages, index);
	if (memx_entry_covers(old, key)) {
		atomic64_inc(&memx_srv.st.stale_writes);
		st = MEMX_S_OK;
		goto out_free;
	}
	if (!old || xa_is_value(old)) {
		if (!memx_capacity_take()) {
			st = MEMX_S_NOSPACE;
			goto out_free;
		}
		added = true;
	}
	cur = __xa_store(&s->pages, index, page, GFP_ATOMIC | __GFP_NOWARN);
	if (xa_is_err(cur)) {
		if (added)
			memx_capacity_put();
		st = MEMX_S_BUSY;
		goto out_free;
	}
	if (added)
		s->npages++;
	if (old && xa_is_value(old))
		atomic64_dec(&memx_srv.st.tombstones);
	xa_unlock_bh(&s->pages);
	/* The old page's share of the capacity passes to the new one. */
	if (old && !xa_is_value(old))
		memx_page_free(old);
	return MEMX_S_OK;

out_free:
	xa_unlock_bh(&s->pages);
	memx_page_free(page);
	return st;
}

/**
 * memx_store_write_check() - judge a write before a buffer is taken for it
 * @s: the session (held)
 * @index: page number
 * @seq: the write's sequence number
 * @stale: set when the write is already applied or superseded (then there
 *	is nothing to store: acknowledge it)
 *
 * Lets the receive path refuse a write that memx_store_write() would
 * refuse anyway before it claims a reassembly slot or a page (perhaps
 * from the reserve) for it: every retransmitted fragment of a write
 * refused for space would otherwise take one again. The answer may be
 * out of date by the time the page is complete; memx_store_write() judges
 * again then.
 *
 * Return: MEMX_S_OK, MEMX_S_NOSPACE (the page would be new and the server
 * is full) or MEMX_S_NOSESSION (closed).
 */
int memx_store_write_check(struct memx_session *s, u64 index, u64 seq,
			   bool *stale)
{
	struct memx_srv *srv = &memx_srv;
	int st = MEMX_S_OK;
	void *entry;

	*stale = false;
	xa_lock_bh(&s->pages);
	if (s->dead) {
		st = MEMX_S_NOSESSION;
		goto out;
	}
	entry = xa_load(&s->pages, index);
	if (memx_entry_covers(entry, memx_seq_key(seq)))
		*stale = true;
	else if ((!entry || xa_is_value(entry)) &&
		 atomic64_read(&srv->used_pages) >= (s64)srv->capacity_pages)
		st = MEMX_S_NOSPACE;
out:
	xa_unlock_bh(&s->pages);
	return st;
}

/**
 * memx_store_applied() - which pages of a write request are stored
 * @s: the session (held)
 * @first: the request's first page
 * @n: its pages, at most BITS_PER_LONG
 * @seq: the request's sequence number
 * @stored: set to a mask, bit i set when page @first + i holds this write
 *	or a newer write or discard (what memx_store_write_check() calls
 *	stale)
 *
 * Return: MEMX_S_OK, or MEMX_S_NOSESSION when the session is closed.
 */
int memx_store_applied(struct memx_session *s, u64 first, unsigned int n,
		       u64 seq, unsigned long *stored)
{
	unsigned long key = memx_seq_key(seq), mask = 0;
	unsigned int i;
	void *entry;

	BUILD_BUG_ON(MEMX_MAX_PAGES_PER_OP > BITS_PER_LONG);
	*stored = 0;
	xa_lock_bh(&s->pages);
	if (s->dead) {
		xa_unlock_bh(&s->pages);
		return MEMX_S_NOSESSION;
	}
	for (i = 0; i < n; i++) {
		entry = xa_load(&s->pages, first + i);
		if (memx_entry_covers(entry, key))
			mask |= BIT(i);
	}
	xa_unlock_bh(&s->pages);
	*stored = mask;
	return MEMX_S_OK;
}

/**
 * memx_store_read() - look a page up for a read reply
 * @s: the session (held)
 * @index: page number
 * @page: set to the page with a reference (put_page() it), or to NULL when
 *	the page reads as zeroes or the session is closed
 *
 * Return: MEMX_S_OK, or MEMX_S_NOSESSION when the session is closed: its
 * pages are being freed, and reading absent ones as zeroes would hand the
 * client data it never wrote.
 */
int memx_store_read(struct memx_session *s, u64 index, struct page **page)
{
	XA_STATE(xas, &s->pages, index);
	void *entry;
	int st = MEMX_S_OK;

	/*
	 * Receive path only (softirq): BH is off already, and under the
	 * lock xas_load() needs no RCU section of its own (xa_load() takes
	 * one): three calls less on the hottest request.
	 */
	lockdep_assert_in_softirq();
	*page = NULL;
	xa_lock(&s->pages);
	if (s->dead) {
		st = MEMX_S_NOSESSION;
		goto out;
	}
	entry = xas_load(&xas);
	if (entry && !xa_is_value(entry)) {
		*page = entry;
		get_page(*page);
	}
out:
	xa_unlock(&s->pages);
	return st;
}

/**
 * memx_store_discard() - drop pages, leaving tombstones
 * @s: the session (held)
 * @index: first page number
 * @count: pages
 * @seq: the discard's sequence number
 *
 * Each page whose entry is older than @seq is freed and replaced with a
 * tombstone, so a late duplicate of an older write cannot bring the data
 * back. Absent pages stay absent.
 *
 * Return: MEMX_S_OK, or MEMX_S_NOSESSION when the session is closed (some
 * pages may have been dropped before that was seen).
 */
int memx_store_discard(struct memx_session *s, u64 index, u32 count,
		       u64 seq)
{
	unsigned long key = memx_seq_key(seq);
	struct page *freed;
	void *old, *cur;
	u32 i;

	for (i = 0; i < count; i++) {
		freed = NULL;
		xa_lock_bh(&s->pages);
		if (s->dead) {
			xa_unlock_bh(&s->pages);
			return MEMX_S_NOSESSION;
		}
		old = xa_load(&s->pages, index + i);
		if (old && key > memx_entry_seq(old)) {
			/* Replaces an existing entry: allocates nothing. */
			cur = __xa_store(&s->pages, index + i,
					 xa_mk_value(key), GFP_ATOMIC);
			if (!xa_is_err(cur) && !xa_is_value(old)) {
				freed = old;
				s->npages--;
				memx_capacity_put();
				atomic64_inc(&memx_srv.st.tombstones);
			}
		}
		xa_unlock_bh(&s->pages);
		if (freed)
			memx_page_free(freed);
	}
	return MEMX_S_OK;
}

/* ---- reassembly ------------------------------------------------------- */

/**
 * memx_write_frag() - add one WRITE fragment to the session's reassembly
 * @s: the session (held)
 * @m: the fragment's header
 * @skb: the frame (payload at MEMX_HDR_LEN)
 * @done: set to the assembled page (private not set) when this fragment
 *	completed it, else NULL.
 *
 * Return: MEMX_S_OK (fragment taken, ignored as a duplicate, or rejected as
 * an overlap and counted), or MEMX_S_BUSY (no slot or no page),
 * MEMX_S_NOSESSION (closed).
 */
int memx_write_frag(struct memx_session *s, const struct memx_msg *m,
		    struct sk_buff *skb, struct page **done)
{
	struct memx_reasm_key key = {
		.session = s->id, .seq = m->seq, .page = m->page,
	};
	u64 now = get_jiffies_64();
	struct memx_reasm_slot *slot;
	struct page *page;
	unsigned int n;
	int st = MEMX_S_OK;

	*done = NULL;
	spin_lock_bh(&s->reasm_lock);
	if (s->reasm_dead) {
		st = MEMX_S_NOSESSION;
		goto out;
	}
	slot = memx_reasm_find(&s->reasm, &key);
	if (!slot) {
		n = memx_reasm_expire(&s->reasm, now, memx_page_release, NULL);
		atomic64_add(n, &memx_srv.st.reasm_expired);
		slot = memx_reasm_claim(&s->reasm, &key, now);
		if (!slot) {
			st = MEMX_S_BUSY;
			goto out;
		}
		page = memx_page_get();
		if (!page) {
			memx_reasm_release(&s->reasm, slot);
			st = MEMX_S_BUSY;
			goto out;
		}
		slot->buf = page;
	}

	switch (memx_frag_add(&slot->mask, m->frag_off, m->frag_len)) {
	case MEMX_FRAG_PARTIAL:
	case MEMX_FRAG_COMPLETE:
		/* memx_parse_hdr() checked the frame holds frag_len bytes. */
		page = slot->buf;
		if (WARN_ON_ONCE(skb_copy_bits(skb, MEMX_HDR_LEN,
					       page_address(page) + m->frag_off,
					       m->frag_len))) {
			memx_page_free(memx_reasm_release(&s->reasm, slot));
			break;
		}
		if (slot->mask == ~0ULL)
			*done = memx_reasm_release(&s->reasm, slot);
		break;
	case MEMX_FRAG_DUP:
		break;
	default:
		atomic64_inc(&memx_srv.st.reasm_bad);
		break;
	}
out:
	spin_unlock_bh(&s->reasm_lock);
	return st;
}

/* From the advert timer: expire stale reassemblies of every session. */
void memx_reasm_expire_all(void)
{
	struct memx_srv *srv = &memx_srv;
	u64 now = get_jiffies_64();
	struct memx_session *s;
	unsigned int i, n;

	rcu_read_lock();
	for (i = 0; i < srv->max_sessions; i++) {
		s = rcu_dereference(srv->sessions[i]);
		if (!s)
			continue;
		spin_lock_bh(&s->reasm_lock);
		n = 0;
		if (!s->reasm_dead)
			n = memx_reasm_expire(&s->reasm, now,
					      memx_page_release, NULL);
		spin_unlock_bh(&s->reasm_lock);
		atomic64_add(n, &srv->st.reasm_expired);
	}
	rcu_read_unlock();
}

/* ---- sessions --------------------------------------------------------- */

struct memx_session *memx_session_lookup(u32 id)
{
	struct memx_srv *srv = &memx_srv;
	unsigned int slot = id & MEMX_SID_SLOT_MASK;
	struct memx_session *s;

	if (!slot || slot > srv->max_sessions)
		return NULL;
	rcu_read_lock();
	s = rcu_dereference(srv->sessions[slot - 1]);
	if (s && (s->id != id || !refcount_inc_not_zero(&s->ref)))
		s = NULL;
	rcu_read_unlock();
	return s;
}

void memx_session_put(struct memx_session *s)
{
	if (!refcount_dec_and_test(&s->ref))
		return;
	/* The reap work emptied it; nobody can insert into a dead session. */
	WARN_ON_ONCE(!xa_empty(&s->pages) || s->npages);
	atomic64_inc(&memx_srv.st.sessions_freed);
	kfree_rcu(s, rcu);
}

/* Unlink from the table; the table's reference goes to the reap list. */
static void memx_session_unlink(struct memx_session *s)
{
	struct memx_srv *srv = &memx_srv;
	unsigned int slot = (s->id & MEMX_SID_SLOT_MASK) - 1;

	lockdep_assert_held(&srv->sess_lock);
	RCU_INIT_POINTER(srv->sessions[slot], NULL);
	srv->nsessions--;
	list_add_tail(&s->reap_node, &srv->reap_list);
}

/* Process context: mark @s dead and free everything it holds. */
static void memx_session_empty(struct memx_session *s)
{
	unsigned long index, n = 0;
	void *entry;

	spin_lock_bh(&s->reasm_lock);
	s->reasm_dead = true;
	memx_reasm_drain(&s->reasm, memx_page_release, NULL);
	spin_unlock_bh(&s->reasm_lock);

	xa_lock_bh(&s->pages);
	s->dead = true;
	xa_for_each(&s->pages, index, entry) {
		__xa_erase(&s->pages, index);
		if (xa_is_value(entry)) {
			atomic64_dec(&memx_srv.st.tombstones);
		} else {
			s->npages--;
			memx_capacity_put();
			memx_page_free(entry);
		}
		if (!(++n % 1024)) {
			xa_unlock_bh(&s->pages);
			cond_resched();
			xa_lock_bh(&s->pages);
		}
	}
	xa_unlock_bh(&s->pages);
	xa_destroy(&s->pages);
}

static void memx_reap_work(struct work_struct *work)
{
	struct memx_srv *srv = &memx_srv;
	struct memx_session *s;

	for (;;) {
		spin_lock_bh(&srv->sess_lock);
		s = list_first_entry_or_null(&srv->reap_list,
					     struct memx_session, reap_node);
		if (s)
			list_del_init(&s->reap_node);
		spin_unlock_bh(&srv->sess_lock);
		if (!s)
			break;
		memx_session_empty(s);
		memx_session_put(s);
	}
}

/**
 * memx_session_open() - find or create the session of a client instance
 * @mac: the client's MAC address
 * @cli_gen: the client's generation
 * @create: create it if there is none (false while draining)
 * @id: its id
 * @npages: pages it holds
 *
 * Sessions of the same MAC with another cli_gen are left alone: they may
 * belong to an earlier load of that client (whose pages then stay until
 * the server unloads; clients CLOSE on unload), but also to another sender
 * on that interface, and closing a live session would lose its pages.
 * Return: 0, -EBUSY (max_sessions open, or none and !@create), -ENOMEM.
 */
int memx_session_open(const u8 *mac, u32 cli_gen, bool create, u32 *id,
		      unsigned long *npages)
{
	struct memx_srv *srv = &memx_srv;
	struct memx_session *s, *ns;
	int i, free_slot = -1;

	ns = create ? kzalloc(sizeof(*ns), GFP_ATOMIC | __GFP_NOWARN) : NULL;

	spin_lock_bh(&srv->sess_lock);
	for (i = 0; i < srv->max_sessions; i++) {
		s = rcu_dereference_protected(srv->sessions[i],
					      lockdep_is_held(&srv->sess_lock));
		if (!s) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (s->cli_gen == cli_gen && ether_addr_equal(s->mac, mac)) {
			*id = s->id;
			*npages = READ_ONCE(s->npages);
			spin_unlock_bh(&srv->sess_lock);
			kfree(ns);
			return 0;
		}
	}
	if (free_slot < 0 || !ns) {
		spin_unlock_bh(&srv->sess_lock);
		kfree(ns);
		return ns || !create ? -EBUSY : -ENOMEM;
	}

	srv->slot_gen[free_slot]++;
	ns->id = (u32)srv->slot_gen[free_slot] << MEMX_SID_SLOT_BITS |
		 (free_slot + 1);
	ns->cli_gen = cli_gen;
	ether_addr_copy(ns->mac, mac);
	refcount_set(&ns->ref, 1);
	INIT_LIST_HEAD(&ns->reap_node);
	xa_init_flags(&ns->pages, XA_FLAGS_LOCK_BH);
	spin_lock_init(&ns->reasm_lock);
	memx_reasm_init(&ns->reasm, ns->reasm_slots, MEMX_SRV_REASM_SLOTS,
			srv->reasm_timeout);
	atomic64_inc(&srv->st.sessions_alloc);
	rcu_assign_pointer(srv->sessions[free_slot], ns);
	srv->nsessions++;
	*id = ns->id;
	*npages = 0;
	spin_unlock_bh(&srv->sess_lock);
	pr_info("session %08x opened for %pM (cli_gen %08x)\n",
		ns->id, mac, cli_gen);
	return 0;
}

/* Close @s (held by the caller); a second close does nothing. */
void memx_session_close(struct memx_session *s)
{
	struct memx_srv *srv = &memx_srv;
	unsigned int slot = (s->id & MEMX_SID_SLOT_MASK) - 1;
	bool unlinked = false;

	spin_lock_bh(&srv->sess_lock);
	if (rcu_access_pointer(srv->sessions[slot]) == s) {
		memx_session_unlink(s);
		unlinked = true;
	}
	spin_unlock_bh(&srv->sess_lock);
	if (unlinked) {
		schedule_work(&srv->reap_work);
		pr_info("session %08x of %pM closed\n", s->id, s->mac);
	}
}

/* rmmod, after the ports are closed: close and free every session. */
void memx_session_close_all(void)
{
	struct memx_srv *srv = &memx_srv;
	struct memx_session *s;
	unsigned int i;

	spin_lock_bh(&srv->sess_lock);
	for (i = 0; i < srv->max_sessions; i++) {
		s = rcu_dereference_protected(srv->sessions[i],
					      lockdep_is_held(&srv->sess_lock));
		if (s)
			memx_session_unlink(s);
	}
	spin_unlock_bh(&srv->sess_lock);
	memx_reap_work(&srv->reap_work);
	flush_work(&srv->reap_work);
}

unsigned int memx_session_count(void)
{
	return READ_ONCE(memx_srv.nsessions);
}

/* ---- init/exit -------------------------------------------------------- */

int memx_store_init(void)
{
	struct memx_srv *srv = &memx_srv;
	unsigned int i;

	atomic64_set(&srv->used_pages, 0);
	spin_lock_init(&srv->sess_lock);
	INIT_LIST_HEAD(&srv->reap_list);
	INIT_WORK(&srv->reap_work, memx_reap_work);
	spin_lock_init(&srv->reserve_lock);
	INIT_LIST_HEAD(&srv->reserve);
	srv->reserve_count = 0;
	INIT_WORK(&srv->refill_work, memx_reserve_refill);

	srv->sessions = kcalloc(srv->max_sessions, sizeof(*srv->sessions),
				GFP_KERNEL);
	if (!srv->sessions)
		return -ENOMEM;
	srv->slot_gen = kcalloc(srv->max_sessions, sizeof(*srv->slot_gen),
				GFP_KERNEL);
	if (!srv->slot_gen)
		goto err_sessions;
	/*
	 * Ids of a previous load must not be valid on this one, even if a
	 * request carried a matching srv_gen: start every slot's
	 * generation at a random point rather than at zero.
	 */
	for (i = 0; i < srv->max_sessions; i++)
		srv->slot_gen[i] = get_random_u32();

	memx_reserve_refill(&srv->refill_work);
	return 0;

err_sessions:
	kfree(srv->sessions);
	srv->sessions = NULL;
	return -ENOMEM;
}

/* After the ports are closed and the advert timer stopped. */
void memx_store_exit(void)
{
	struct memx_srv *srv = &memx_srv;
	struct page *page, *tmp;

	memx_session_close_all();
	cancel_work_sync(&srv->refill_work);
	list_for_each_entry_safe(page, tmp, &srv->reserve, lru) {
		list_del(&page->lru);
		memx_page_free(page);
	}
	srv->reserve_count = 0;
	/* Sessions go with kfree_rcu(); wait for them before counting. */
	rcu_barrier();
	kfree(srv->slot_gen);
	kfree(srv->sessions);
}
