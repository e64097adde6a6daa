// SPDX-License-Identifier: GPL-2.0
/*
 * Placement: which servers hold each extent of MEMX_EXTENT_PAGES pages.
 *
 * One word per extent (memx_client.h, MEMX_EXTENT_SHIFT): the slots of up
 * to replicas= servers holding a copy, 0 for an extent never written (it
 * reads as zeroes and is placed at its first write), MEMX_EXT_LOST once
 * every copy was lost (restart, lost session): its reads and writes fail
 * until a discard or write-zeroes of the whole extent returns it to
 * unplaced. Every change goes through memx_place_update(), which keeps the
 * counts (per server, placed, degraded) in step with the words.
 */
#include <linux/vmalloc.h>
#include <linux/random.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include "memx_client.h"

/* Extents memx_place_lose() looks at per hold of place_lock: 4 GiB. */
#define MEMX_LOSE_BATCH		4096U

int memx_place_init(struct memx_dev *d, u64 size, unsigned int replicas)
{
	d->nr_pages = size >> MEMX_PAGE_SHIFT;
	d->nr_extents = DIV_ROUND_UP_ULL(d->nr_pages, MEMX_EXTENT_PAGES);
	d->replicas = replicas;
	spin_lock_init(&d->place_lock);
	d->extents = vzalloc(array_size(d->nr_extents, sizeof(*d->extents)));
	return d->extents ? 0 : -ENOMEM;
}

void memx_place_exit(struct memx_dev *d)
{
	vfree(d->extents);
	d->extents = NULL;
}

/* Does extent word @w count as degraded? */
static bool memx_place_degraded(struct memx_dev *d, u32 w)
{
	unsigned int n = memx_ext_ncopies(w);

	return n && n < d->replicas;
}

/*
 * Set the word of @ext to @w, keeping the counts: each server's extents,
 * placed, degraded. Called with place_lock held.
 */
static void memx_place_update(struct memx_dev *d, u32 ext, u32 w)
{
	u32 old = d->extents[ext];
	unsigned int k;
	u8 v;

	lockdep_assert_held(&d->place_lock);
	for (k = 0; k < MEMX_MAX_REPLICAS; k++) {
		v = memx_ext_copy(old, k);
		if (v && !memx_ext_has(w, v)) {
			struct memx_server *srv = &d->servers[v - 1];

			spin_lock(&srv->lock);
			if (srv->extents)
				srv->extents--;
			spin_unlock(&srv->lock);
		}
		v = memx_ext_copy(w, k);
		if (v && !memx_ext_has(old, v)) {
			struct memx_server *srv = &d->servers[v - 1];

			spin_lock(&srv->lock);
			srv->extents++;
			spin_unlock(&srv->lock);
		}
	}
	d->placed += !!memx_ext_ncopies(w) - !!memx_ext_ncopies(old);
	WRITE_ONCE(d->degraded, d->degraded + memx_place_degraded(d, w) -
		   memx_place_degraded(d, old));
	WRITE_ONCE(d->extents[ext], w);
}

/* @w without its copy on the server of slot + 1 @v (copies compacted). */
static u32 memx_ext_without(u32 w, u8 v)
{
	u32 out = 0;
	unsigned int k, n = 0;

	for (k = 0; k < MEMX_MAX_REPLICAS; k++) {
		u8 c = memx_ext_copy(w, k);

		if (c && c != v)
			out |= (u32)c << (8 * n++);
	}
	return out;
}

/* Pages a server can still take, by its advert and what we placed since. */
static s64 memx_place_room(struct memx_server *srv)
{
	lockdep_assert_held(&srv->lock);
	return (s64)srv->free - (s64)srv->placed;
}

/* May the server take a new copy (placement or the mover's)? */
static bool memx_place_open(struct memx_server *srv)
{
	lockdep_assert_held(&srv->lock);
	return srv->state == MEMX_SRV_OPEN && !srv->draining &&
	       !srv->evicting && !srv->losing && memx_server_alive(srv);
}

/*
 * Can the copy on the server of slot + 1 @v serve its extent now: open
 * session not being lost, not gone, and with @strict not evicted either?
 * Called with place_lock held.
 */
static bool memx_place_live(struct memx_dev *d, u8 v, bool strict)
{
	struct memx_server *srv = &d->servers[v - 1];
	bool ok;

	lockdep_assert_held(&d->place_lock);
	spin_lock(&srv->lock);
	ok = srv->state == MEMX_SRV_OPEN && !srv->losing &&
	     !memx_server_gone(d, srv) && (!strict || !srv->evicting);
	spin_unlock(&srv->lock);
	return ok;
}

/*
 * Does the server of slot + 1 @v, in its current session, still hold
 * pages of a dropped copy of @ext (memx_dev.stale)? Then it may not get
 * @ext again until the mover has discarded them. Called with place_lock
 * held.
 */
static bool memx_place_is_stale(struct memx_dev *d, u32 ext, u8 v)
{
	struct memx_server *srv = &d->servers[v - 1];
	unsigned int i;

	lockdep_assert_held(&d->place_lock);
	for (i = 0; i < d->nstale; i++)
		if (d->stale[i].ext == ext && d->stale[i].v == v &&
		    d->stale[i].session == READ_ONCE(srv->session))
			return true;
	return false;
}

/**
 * memx_place_stale_next() - a dropped copy whose pages are to be freed
 * @d: the device
 * @e: set to it; it stays listed (its server is not given that extent)
 *	until memx_place_stale_done(), so no new copy can be written there
 *	while the mover's discard is on its way
 *
 * Return: false when there is none.
 */
bool memx_place_stale_next(struct memx_dev *d, struct memx_stale *e)
{
	bool ret = false;

	spin_lock_bh(&d->place_lock);
	if (d->nstale) {
		*e = d->stale[0];
		ret = true;
	}
	spin_unlock_bh(&d->place_lock);
	return ret;
}

/* The mover is done with @e (discarded, or its session gone). */
void memx_place_stale_done(struct memx_dev *d, const struct memx_stale *e)
{
	unsigned int i;

	spin_lock_bh(&d->place_lock);
	for (i = 0; i < d->nstale; i++) {
		if (d->stale[i].ext == e->ext && d->stale[i].v == e->v &&
		    d->stale[i].session == e->session) {
			d->stale[i] = d->stale[--d->nstale];
			break;
		}
	}
	spin_unlock_bh(&d->place_lock);
}

/*
 * A candidate's score: the fraction of its capacity still free, in 1/1024,
 * minus a little for load (frames per second / 16, from its advert), so
 * that of two servers about as full the idler one wins.
 */
static u64 memx_place_score(s64 room, u64 capacity, u32 load)
{
	u64 frac = div64_u64((u64)room << 10, max_t(u64, capacity, 1));

	return div_u64(frac * 1024, 1024 + min_t(u32, load, 65536) / 64);
}

/* Index of the candidate a random draw weighted by @room picks. */
static unsigned int memx_place_draw(const s64 *room, unsigned int n,
				    u64 total)
{
	u64 r;
	unsigned int i;

	div64_u64_rem(get_random_u64(), total, &r);
	for (i = 0; i < n - 1; i++) {
		if (r < (u64)room[i])
			break;
		r -= room[i];
	}
	return i;
}

/**
 * memx_place_extent() - place the extent of @page, if still unplaced
 * @d: the device
 * @page: a page of the extent
 * @w: set to the extent's word (placed now, or by a racing placement, or
 *	lost meanwhile)
 *
 * Candidates are the servers alive, with an open session, neither
 * draining nor evicted, with room for a whole extent by their last advert
 * less what we placed there since. Each of the replicas= copies goes to
 * the better of two candidates drawn at random, weighted by their room,
 * among those not holding a copy yet: the one with the larger fraction of
 * its capacity free (less a bit for load). Servers fill in proportion to
 * their capacity, a large server is not buried under every new extent,
 * and none is picked while full ("the power of two choices", as in
 * Mitzenmacher's balls into bins, weighted).
 *
 * With fewer candidates than replicas, the extent waits while a server
 * found in the last MEMX_DEAD_AFTER is still opening its session (at
 * load, servers appear one advert at a time); then it is placed with the
 * copies it can have (degraded, logged once): the mover adds the others
 * when servers can take them.
 *
 * Return: 0 (*@w set); -EAGAIN when no server can take it now;
 * -ENOSPC when servers are there but all of them are full (and none that
 * is not dead could become usable: opening, or suspect).
 */
int memx_place_extent(struct memx_dev *d, u64 page, u32 *w)
{
	u32 ext = page >> MEMX_EXTENT_SHIFT;
	struct memx_server *cand[MEMX_MAX_SERVERS];
	s64 room[MEMX_MAX_SERVERS];
	u64 score[MEMX_MAX_SERVERS], total = 0;
	unsigned int i, n = 0, a, b, k;
	bool full = false, pending = false, opening = false, few;
	u32 nw = 0;

	spin_lock_bh(&d->place_lock);
	*w = d->extents[ext];
	if (*w != MEMX_EXT_UNPLACED)
		goto out;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv) || memx_place_is_stale(d, ext, i + 1))
			continue;
		spin_lock(&srv->lock);
		if (memx_place_open(srv)) {
			room[n] = memx_place_room(srv);
			if (room[n] >= MEMX_EXTENT_PAGES) {
				score[n] = memx_place_score(room[n],
							    srv->capacity,
							    srv->load);
				total += room[n];
				cand[n++] = srv;
			} else {
				full = true;
			}
		} else if (!srv->draining && !srv->evicting &&
			   !memx_server_dead(srv)) {
			/* opening a session, or suspect: may take it soon */
			pending = true;
			if (srv->state != MEMX_SRV_OPEN &&
			    memx_server_alive(srv) &&
			    time_before(jiffies, srv->found + MEMX_DEAD_AFTER))
				opening = true;
		}
		spin_unlock(&srv->lock);
	}
	if (!n) {
		spin_unlock_bh(&d->place_lock);
		return full && !pending ? -ENOSPC : -EAGAIN;
	}
	few = n < d->replicas;
	if (few && opening) {
		spin_unlock_bh(&d->place_lock);
		return -EAGAIN;
	}
	for (k = 0; k < d->replicas && n; k++) {
		a = memx_place_draw(room, n, total);
		b = memx_place_draw(room, n, total);
		if (score[b] > score[a])
			a = b;
		spin_lock(&cand[a]->lock);
		cand[a]->placed += MEMX_EXTENT_PAGES;
		spin_unlock(&cand[a]->lock);
		nw |= (u32)(cand[a]->slot + 1) << (8 * k);
		/* the next copy goes elsewhere */
		total -= room[a];
		n--;
		cand[a] = cand[n];
		room[a] = room[n];
		score[a] = score[n];
	}
	memx_place_update(d, ext, nw);
	*w = nw;
	if (few && !d->few_warned) {
		d->few_warned = true;
		spin_unlock_bh(&d->place_lock);
		pr_warn("fewer servers can take extents than replicas=%u: new extents get fewer copies until more servers can take them\n",
			d->replicas);
		return 0;
	}
	if (!few)
		d->few_warned = false;
out:
	spin_unlock_bh(&d->place_lock);
	return 0;
}

/*
 * A whole-extent discard of @page's extent completed on the copies of
 * @acked (or, for a lost extent, @acked is MEMX_EXT_LOST): return it to
 * unplaced if every copy it still has was among them.
 */
void memx_place_reset(struct memx_dev *d, u64 page, u32 acked)
{
	u32 ext = page >> MEMX_EXTENT_SHIFT, w;
	bool all = true, lost;
	unsigned int k;

	spin_lock_bh(&d->place_lock);
	w = d->extents[ext];
	lost = w == MEMX_EXT_LOST;
	if (w == MEMX_EXT_UNPLACED || lost != !!(acked & MEMX_EXT_LOST))
		goto out;
	for (k = 0; k < memx_ext_ncopies(w); k++)
		all &= memx_ext_has(acked, memx_ext_copy(w, k));
	if (all)
		memx_place_update(d, ext, MEMX_EXT_UNPLACED);
out:
	spin_unlock_bh(&d->place_lock);
}

/**
 * memx_place_drop() - drop the copy of @ext on the server of slot + 1 @v
 * @d: the device
 * @ext: the extent
 * @v: slot + 1
 * @stale: the server is reachable and keeps the pages of that copy: note
 *	them (memx_dev.stale) for the mover to discard
 *
 * Its server missed a write (or cannot be reached): from now on no request
 * reads it or waits for it, and the mover makes a copy elsewhere. Only
 * while another copy can serve the extent (memx_place_live()): the last
 * live copy is never dropped, that would turn data into zeroes or errors.
 * Return: 0 when the extent has no copy there any more (dropped now or
 * before); -EBUSY when no other copy is live (nothing dropped); -ENOSPC
 * when dropped, but the stale list is full: the caller evicts the server
 * instead (its session's close frees the pages).
 */
int memx_place_drop(struct memx_dev *d, u32 ext, u8 v, bool stale)
{
	unsigned int k;
	int ret = -EBUSY;
	u32 w;

	spin_lock_bh(&d->place_lock);
	w = d->extents[ext];
	if (w == MEMX_EXT_LOST || !memx_ext_has(w, v)) {
		ret = 0;
		goto out;
	}
	for (k = 0; k < memx_ext_ncopies(w); k++)
		if (memx_ext_copy(w, k) != v &&
		    memx_place_live(d, memx_ext_copy(w, k), false))
			ret = 0;
	if (ret)
		goto out;
	memx_place_update(d, ext, memx_ext_without(w, v));
	atomic64_inc(&d->stats.dropped);
	if (stale) {
		if (d->nstale < MEMX_STALE_MAX)
			d->stale[d->nstale++] = (struct memx_stale){
				.ext = ext,
				.v = v,
				.session = READ_ONCE(d->servers[v - 1].session),
			};
		else
			ret = -ENOSPC;
	}
out:
	spin_unlock_bh(&d->place_lock);
	if (!ret || ret == -ENOSPC)
		memx_mover_kick(d);
	return ret;
}

/*
 * The mover: drop the copies of @ext on servers of @mask (slots, evicted
 * ones), if a copy on another server stays that can serve the extent
 * (live, not evicted either): an evicted server's copies are valid, and
 * better kept than an extent left with dead copies only. Return: the
 * extent's word after.
 */
u32 memx_place_shed(struct memx_dev *d, u32 ext, u32 mask)
{
	unsigned int k, n;
	bool keep = false;
	u32 w, nw;
	u8 v;

	spin_lock_bh(&d->place_lock);
	w = d->extents[ext];
	n = memx_ext_ncopies(w);
	for (k = 0; k < n; k++) {
		v = memx_ext_copy(w, k);
		if (!(mask & BIT(v - 1)) && memx_place_live(d, v, true))
			keep = true;
	}
	if (keep) {
		nw = w;
		for (k = 0; k < n; k++) {
			v = memx_ext_copy(w, k);
			if (mask & BIT(v - 1)) {
				nw = memx_ext_without(nw, v);
				atomic64_inc(&d->stats.dropped);
			}
		}
		if (nw != w)
			memx_place_update(d, ext, nw);
		w = nw;
	}
	spin_unlock_bh(&d->place_lock);
	return w;
}

/*
 * @srv lost every page we stored there: its copies go; an extent that had
 * no other copy fails I/O (never read back as zeroes, which would be
 * silent data loss). Process context (memx_server's lose_work): the table
 * is walked MEMX_LOSE_BATCH extents per hold of @place_lock, so a large
 * device does not keep bottom halves off for long. No extent is placed on
 * @srv meanwhile: it is not OPEN while ->losing is set.
 */
void memx_place_lose(struct memx_dev *d, struct memx_server *srv)
{
	u8 v = srv->slot + 1;
	u64 lost = 0, dropped = 0;
	u32 ext = 0, end, w;

	might_sleep();
	while (ext < d->nr_extents) {
		end = min_t(u32, d->nr_extents - ext, MEMX_LOSE_BATCH) + ext;
		spin_lock_bh(&d->place_lock);
		for (; ext < end; ext++) {
			w = d->extents[ext];
			if (w == MEMX_EXT_LOST || !memx_ext_has(w, v))
				continue;
			if (memx_ext_ncopies(w) > 1) {
				memx_place_update(d, ext,
						  memx_ext_without(w, v));
				dropped++;
			} else {
				memx_place_update(d, ext, MEMX_EXT_LOST);
				lost++;
			}
		}
		spin_unlock_bh(&d->place_lock);
		cond_resched();
	}
	spin_lock_bh(&d->place_lock);
	spin_lock(&srv->lock);
	srv->extents = 0;
	srv->pages_held = 0;
	spin_unlock(&srv->lock);
	spin_unlock_bh(&d->place_lock);
	if (lost) {
		atomic64_add(lost, &d->stats.lost_extents);
		pr_warn("server %pM lost our data: %llu extents now fail I/O\n",
			srv->mac, lost);
	}
	if (dropped) {
		atomic64_add(dropped, &d->stats.dropped);
		pr_warn("server %pM lost our data: %llu extents keep their other copies and get new ones\n",
			srv->mac, dropped);
		memx_mover_kick(d);
	}
}

/**
 * memx_place_move_target() - a server for a new copy of an extent
 * @d: the device
 * @ext: the extent (a server keeping a stale copy of it is no candidate)
 * @exclude: the extent's word: servers holding a copy are not candidates
 * @srv_gen: set to the chosen server's generation
 * @session: set to our session there
 *
 * The alive, open server, neither draining nor evicted, with the most
 * room, if it has room for a whole extent; that room is taken (->placed)
 * until its next advert, or memx_place_unreserve(). The mover writes there on the session returned
 * and gives the copy to it only if that session is still the current one
 * (memx_place_move()).
 * Return: the server, or NULL if none can take the extent.
 */
struct memx_server *memx_place_move_target(struct memx_dev *d, u32 ext,
					   u32 exclude, u32 *srv_gen,
					   u32 *session)
{
	struct memx_server *best = NULL;
	s64 best_room = 0;
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];
		s64 room;

		if (memx_ext_has(exclude, i + 1) || !memx_server_used(srv))
			continue;
		spin_lock_bh(&d->place_lock);
		if (memx_place_is_stale(d, ext, i + 1)) {
			spin_unlock_bh(&d->place_lock);
			continue;
		}
		spin_unlock_bh(&d->place_lock);
		spin_lock_bh(&srv->lock);
		room = memx_place_room(srv);
		if (memx_place_open(srv) && room >= MEMX_EXTENT_PAGES &&
		    room > best_room) {
			best = srv;
			best_room = room;
		}
		spin_unlock_bh(&srv->lock);
	}
	if (!best)
		return NULL;
	spin_lock_bh(&best->lock);
	if (best->state != MEMX_SRV_OPEN) {
		spin_unlock_bh(&best->lock);
		return NULL;
	}
	best->placed += MEMX_EXTENT_PAGES;
	*srv_gen = best->srv_gen;
	*session = best->session;
	spin_unlock_bh(&best->lock);
	return best;
}

/* The room memx_place_move_target() took on @srv is not used after all. */
void memx_place_unreserve(struct memx_server *srv)
{
	spin_lock_bh(&srv->lock);
	srv->placed -= min_t(u64, srv->placed, MEMX_EXTENT_PAGES);
	spin_unlock_bh(&srv->lock);
}

/**
 * memx_place_move() - give extent @ext a copy on @to
 * @d: the device
 * @ext: the extent
 * @from: slot + 1 of the copy @to replaces (a drain), or 0 (a new copy)
 * @to: the server the extent was copied to
 * @srv_gen: @to's generation when the copy was written
 * @session: our session on @to when the copy was written
 *
 * Only if the extent still has the copy @from (for a new copy: still
 * fewer than replicas), none on @to, @to may still take copies (neither
 * draining nor evicted), and the session the copy went to is still @to's
 * current one: a session lost since has lost the copy, and
 * its extents may have been dropped already without this one.
 * Return: true when the extent now has its copy on @to.
 */
bool memx_place_move(struct memx_dev *d, u32 ext, u8 from,
		     struct memx_server *to, u32 srv_gen, u32 session)
{
	bool ok;
	u32 w;

	spin_lock_bh(&d->place_lock);
	w = d->extents[ext];
	ok = w != MEMX_EXT_UNPLACED && w != MEMX_EXT_LOST &&
	     !memx_ext_has(w, to->slot + 1) &&
	     (from ? memx_ext_has(w, from) :
	      memx_ext_ncopies(w) < d->replicas);
	if (ok) {
		spin_lock(&to->lock);
		ok = to->state == MEMX_SRV_OPEN && to->srv_gen == srv_gen &&
		     to->session == session && !to->losing &&
		     !to->evicting && !to->draining;
		spin_unlock(&to->lock);
	}
	if (ok) {
		if (from)
			w = memx_ext_without(w, from);
		w |= (u32)(to->slot + 1) << (8 * memx_ext_ncopies(w));
		memx_place_update(d, ext, w);
	}
	spin_unlock_bh(&d->place_lock);
	return ok;
}

/*
 * Does any extent have a copy on @srv? Process context: the whole table is
 * read, a batch at a time; the caller rechecks under the locks what it
 * acts on.
 */
bool memx_place_holds(struct memx_dev *d, struct memx_server *srv)
{
	u8 v = srv->slot + 1;
	u32 ext, w;

	might_sleep();
	for (ext = 0; ext < d->nr_extents; ext++) {
		w = READ_ONCE(d->extents[ext]);
		if (w != MEMX_EXT_LOST && memx_ext_has(w, v))
			return true;
		if (!((ext + 1) % MEMX_LOSE_BATCH))
			cond_resched();
	}
	return false;
}
