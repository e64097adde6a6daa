// SPDX-License-Identifier: GPL-2.0
/*
 * Placement: which server holds each extent of MEMX_EXTENT_PAGES pages.
 *
 * One byte per extent (1 KiB of client memory per GiB of device): 0 for
 * an extent never written (it reads as zeroes and is placed at its first
 * write), server slot + 1 once placed, MEMX_EXT_LOST once its server lost
 * it (restart, lost session): its reads and writes fail until a discard
 * or write-zeroes of the whole extent returns it to unplaced.
 */
#include <linux/vmalloc.h>
#include <linux/random.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include "memx_client.h"

/* Extents memx_place_lose() looks at per hold of place_lock: 4 GiB. */
#define MEMX_LOSE_BATCH		4096U

int memx_place_init(struct memx_dev *d, u64 size)
{
	d->nr_pages = size >> MEMX_PAGE_SHIFT;
	d->nr_extents = DIV_ROUND_UP_ULL(d->nr_pages, MEMX_EXTENT_PAGES);
	spin_lock_init(&d->place_lock);
	d->extents = vzalloc(d->nr_extents);
	return d->extents ? 0 : -ENOMEM;
}

void memx_place_exit(struct memx_dev *d)
{
	vfree(d->extents);
	d->extents = NULL;
}

/* The extent byte of @page (lockless: a placement may be racing). */
u8 memx_place_get(struct memx_dev *d, u64 page)
{
	return READ_ONCE(d->extents[page >> MEMX_EXTENT_SHIFT]);
}

/* Pages a server can still take, by its advert and what we placed since. */
static s64 memx_place_room(struct memx_server *srv)
{
	lockdep_assert_held(&srv->lock);
	return (s64)srv->free - (s64)srv->placed;
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
 *
 * Candidates are the servers alive, with an open session, not draining,
 * with room for a whole extent by their last advert less what we placed
 * there since. Of two candidates drawn at random, weighted by their room,
 * the one with the larger fraction of its capacity free (less a bit for
 * load) gets the extent: servers fill in proportion to their capacity, a
 * large server is not buried under every new extent, and none is picked
 * while full ("the power of two choices", as in Mitzenmacher's balls into
 * bins, weighted).
 *
 * Return: the extent byte (slot + 1, or whatever a racing placement or
 * loss left there); MEMX_EXT_UNPLACED when no server can take it now;
 * MEMX_PLACE_FULL when servers are there but all of them are full (and
 * none that is not dead could become usable: opening, or suspect).
 */
int memx_place_extent(struct memx_dev *d, u64 page)
{
	u32 ext = page >> MEMX_EXTENT_SHIFT;
	struct memx_server *cand[MEMX_MAX_SERVERS], *best;
	s64 room[MEMX_MAX_SERVERS];
	u64 score[MEMX_MAX_SERVERS], total = 0;
	unsigned int i, n = 0, a, b;
	bool full = false, pending = false;
	u8 v;

	spin_lock_bh(&d->place_lock);
	v = d->extents[ext];
	if (v != MEMX_EXT_UNPLACED)
		goto out;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock(&srv->lock);
		if (srv->state == MEMX_SRV_OPEN && !srv->draining &&
		    memx_server_alive(srv)) {
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
		} else if (!srv->draining && !memx_server_dead(srv)) {
			/* opening a session, or suspect: may take it soon */
			pending = true;
		}
		spin_unlock(&srv->lock);
	}
	if (!n) {
		spin_unlock_bh(&d->place_lock);
		return full && !pending ? MEMX_PLACE_FULL : MEMX_EXT_UNPLACED;
	}
	a = memx_place_draw(room, n, total);
	b = memx_place_draw(room, n, total);
	best = cand[score[b] > score[a] ? b : a];

	spin_lock(&best->lock);
	best->placed += MEMX_EXTENT_PAGES;
	best->extents++;
	spin_unlock(&best->lock);
	v = best->slot + 1;
	WRITE_ONCE(d->extents[ext], v);
out:
	spin_unlock_bh(&d->place_lock);
	return v;
}

/*
 * Return the extent of @page to unplaced (a whole-extent discard), if it
 * still holds @expect.
 */
void memx_place_reset(struct memx_dev *d, u64 page, u8 expect)
{
	u32 ext = page >> MEMX_EXTENT_SHIFT;

	spin_lock_bh(&d->place_lock);
	if (d->extents[ext] == expect) {
		if (expect != MEMX_EXT_UNPLACED && expect != MEMX_EXT_LOST) {
			struct memx_server *srv = &d->servers[expect - 1];

			spin_lock(&srv->lock);
			if (srv->extents)
				srv->extents--;
			spin_unlock(&srv->lock);
		}
		WRITE_ONCE(d->extents[ext], MEMX_EXT_UNPLACED);
	}
	spin_unlock_bh(&d->place_lock);
}

/*
 * @srv lost every page we stored there: its extents now fail I/O (never
 * read back as zeroes, which would be silent data loss). Process context
 * (memx_server's lose_work): the table is walked MEMX_LOSE_BATCH extents
 * per hold of @place_lock, so a large device does not keep bottom halves
 * off for long. No extent is placed on @srv meanwhile: it is not OPEN
 * while ->losing is set.
 */
void memx_place_lose(struct memx_dev *d, struct memx_server *srv)
{
	u8 v = srv->slot + 1;
	u64 lost = 0;
	u32 ext = 0, end;

	might_sleep();
	while (ext < d->nr_extents) {
		end = min_t(u32, d->nr_extents - ext, MEMX_LOSE_BATCH) + ext;
		spin_lock_bh(&d->place_lock);
		for (; ext < end; ext++) {
			if (d->extents[ext] == v) {
				WRITE_ONCE(d->extents[ext], MEMX_EXT_LOST);
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
}

/**
 * memx_place_move_target() - a server to move an extent of @from to
 * @d: the device
 * @from: the draining server the extent is on
 * @srv_gen: set to the chosen server's generation
 * @session: set to our session there
 *
 * The alive, open, non-draining server with the most room, if it has room
 * for a whole extent; that room is taken (->placed) until its next advert.
 * The mover writes there on the session returned and gives the extent to
 * it only if that session is still the current one (memx_place_move()).
 * Return: the server, or NULL if none can take the extent.
 */
struct memx_server *memx_place_move_target(struct memx_dev *d,
					   struct memx_server *from,
					   u32 *srv_gen, u32 *session)
{
	struct memx_server *best = NULL;
	s64 best_room = 0;
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];
		s64 room;

		if (srv == from || !memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		room = (s64)srv->free - (s64)srv->placed;
		if (srv->state == MEMX_SRV_OPEN && !srv->draining &&
		    !srv->losing && memx_server_alive(srv) &&
		    room >= MEMX_EXTENT_PAGES && room > best_room) {
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

/**
 * memx_place_move() - give extent @ext, copied from @from, to @to
 * @d: the device
 * @ext: the extent
 * @from: the server it was copied from
 * @to: the server it was copied to
 * @srv_gen: @to's generation when the copy was written
 * @session: our session on @to when the copy was written
 *
 * Only if the extent is still on @from (not lost, not discarded whole
 * meanwhile) and the session the copy went to is still @to's current one:
 * a session lost since has lost the copy, and its extents may have been
 * marked lost already without this one.
 * Return: true when the extent now names @to.
 */
bool memx_place_move(struct memx_dev *d, u32 ext, struct memx_server *from,
		     struct memx_server *to, u32 srv_gen, u32 session)
{
	bool moved = false;

	spin_lock_bh(&d->place_lock);
	if (d->extents[ext] != from->slot + 1)
		goto out;
	spin_lock(&to->lock);
	if (to->state == MEMX_SRV_OPEN && to->srv_gen == srv_gen &&
	    to->session == session) {
		to->extents++;
		moved = true;
	}
	spin_unlock(&to->lock);
	if (!moved)
		goto out;
	spin_lock(&from->lock);
	if (from->extents)
		from->extents--;
	spin_unlock(&from->lock);
	WRITE_ONCE(d->extents[ext], to->slot + 1);
out:
	spin_unlock_bh(&d->place_lock);
	return moved;
}

/*
 * Does any extent name @srv? Process context: the whole table is read, a
 * batch at a time; the caller rechecks under the locks what it acts on.
 */
bool memx_place_holds(struct memx_dev *d, struct memx_server *srv)
{
	u8 v = srv->slot + 1;
	u32 ext;

	might_sleep();
	for (ext = 0; ext < d->nr_extents; ext++) {
		if (READ_ONCE(d->extents[ext]) == v)
			return true;
		if (!((ext + 1) % MEMX_LOSE_BATCH))
			cond_resched();
	}
	return false;
}
