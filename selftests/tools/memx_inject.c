// SPDX-License-Identifier: GPL-2.0
/*
 * memx_inject - send malformed (and a few valid) RMAP frames at a memx
 * module from inside a test guest, over an AF_PACKET raw socket.
 *
 * usage: memx_inject -i IFACE -d DSTMAC [-n COUNT] [-s SEED] [-p USEC] MODE
 *
 * Every malformed frame starts from a valid header built by memx_build_hdr()
 * (rmap/frame.c) and breaks exactly one thing, so the receiver's drop
 * counters say which check caught it:
 *   truncated     a valid frame cut short               (drop "trunc")
 *   oversized     a valid frame with bytes appended     (drop "len")
 *   badversion    version != MEMX_VERSION               (drop "version")
 *   badtype       type 0 or > MEMX_T_MAX                (drop "type")
 *   badfrag       WRITE fragment off/len/total broken   (drop "frag")
 *   badflags      unknown flag, ZERO off DATA, trailer
 *                 without AUTH                          (drop "flags")
 *   random        random bytes after our ethertype, and random mutations
 *                 of a valid WRITE                      (any, or accepted)
 *   write-frags   WRITE fragments of a made-up session: duplicates,
 *                 overlaps, out-of-page and over-long ones (the server
 *                 drops them or answers NOSESSION)
 *   valid-discover  well-formed DISCOVERs (proves the path works)
 *   all           every malformed mode in turn, COUNT frames each
 * COUNT frames are sent per mode (default 100). Exit 0 when all were sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "frame.h"

#define ETH_HDR		14
#define MAX_FRAME	(ETH_HDR + 65536)

struct inj {
	int fd;
	int ifindex;
	unsigned int mtu;
	unsigned int chunk;
	u8 src[6];
	u8 dst[6];
	u64 rng;
	unsigned int pause_us;
	unsigned long sent;
	u8 frame[MAX_FRAME];
};

static u64 splitmix64(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 rnd(struct inj *j, u32 n)
{
	return n ? (u32)(splitmix64(&j->rng) % n) : 0;
}

static u8 *body(struct inj *j)
{
	return j->frame + ETH_HDR;
}

static struct memx_hdr *hdr(struct inj *j)
{
	return (struct memx_hdr *)body(j);
}

/* Send the Ethernet header and @len bytes of memx frame. */
static int xmit(struct inj *j, size_t len)
{
	size_t total = ETH_HDR + len;
	int tries = 0;
	ssize_t n;

	memcpy(j->frame, j->dst, 6);
	memcpy(j->frame + 6, j->src, 6);
	j->frame[12] = MEMX_ETH_P >> 8;
	j->frame[13] = MEMX_ETH_P & 0xff;
	for (;;) {
		n = send(j->fd, j->frame, total, 0);
		if (n == (ssize_t)total)
			break;
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN) &&
		    ++tries < 1000) {
			usleep(1000);
			continue;
		}
		fprintf(stderr, "memx_inject: send %zu bytes: %s\n", total,
			n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	j->sent++;
	if (j->pause_us)
		usleep(j->pause_us);
	return 0;
}

/* A made-up session's message of @type with plausible fields. */
static struct memx_msg base_msg(struct inj *j, u8 type)
{
	struct memx_msg m = {
		.type = type,
		.session = (u32)splitmix64(&j->rng) | 1,
		.srv_gen = (u32)splitmix64(&j->rng) | 1,
		.cli_gen = (u32)splitmix64(&j->rng) | 1,
		.tag = (u32)splitmix64(&j->rng),
		.seq = splitmix64(&j->rng) >> 16,
		.page = rnd(j, 1U << 20),
	};

	switch (type) {
	case MEMX_T_DISCOVER:
	case MEMX_T_OPEN:
		m.session = 0;
		break;
	case MEMX_T_WRITE:
		m.count = 1;
		m.total_len = MEMX_PAGE_SIZE;
		m.frag_off = rnd(j, memx_frag_count(j->mtu)) * j->chunk;
		m.frag_len = min_t(u32, j->chunk, MEMX_PAGE_SIZE - m.frag_off);
		m.payload_len = m.frag_len;
		break;
	case MEMX_T_READ:
		m.count = 1 + rnd(j, MEMX_MAX_PAGES_PER_OP);
		break;
	case MEMX_T_DISCARD:
		m.count = 1 + rnd(j, MEMX_MAX_DISCARD_PAGES);
		break;
	}
	return m;
}

/* Build @m with a patterned payload and trailer; return its length. */
static size_t build(struct inj *j, const struct memx_msg *m)
{
	size_t len = MEMX_HDR_LEN + m->payload_len + m->trailer_len, i;

	memx_build_hdr(hdr(j), m);
	for (i = MEMX_HDR_LEN; i < len; i++)
		body(j)[i] = (u8)(i ^ m->tag);
	return len;
}

static u8 any_valid_type(struct inj *j)
{
	static const u8 t[] = {
		MEMX_T_DISCOVER, MEMX_T_OPEN, MEMX_T_CLOSE, MEMX_T_WRITE,
		MEMX_T_READ, MEMX_T_DISCARD,
	};

	return t[rnd(j, ARRAY_SIZE(t))];
}

static int mode_valid_discover(struct inj *j)
{
	struct memx_msg m = base_msg(j, MEMX_T_DISCOVER);

	return xmit(j, build(j, &m));
}

static int mode_truncated(struct inj *j)
{
	struct memx_msg m = base_msg(j, MEMX_T_WRITE);
	size_t len = build(j, &m);

	/* half below the header, half inside the payload */
	if (rnd(j, 2))
		return xmit(j, rnd(j, MEMX_HDR_LEN));
	return xmit(j, MEMX_HDR_LEN + rnd(j, len - MEMX_HDR_LEN));
}

static int mode_oversized(struct inj *j)
{
	struct memx_msg m = base_msg(j, any_valid_type(j));
	size_t len = build(j, &m), room = j->mtu - len, extra, i;

	if (!room) {
		m = base_msg(j, MEMX_T_READ);
		len = build(j, &m);
		room = j->mtu - len;
	}
	extra = 1 + rnd(j, room);
	for (i = 0; i < extra; i++)
		body(j)[len + i] = (u8)splitmix64(&j->rng);
	return xmit(j, len + extra);
}

static int mode_badversion(struct inj *j)
{
	struct memx_msg m = base_msg(j, any_valid_type(j));
	size_t len = build(j, &m);
	u8 v = (u8)rnd(j, 255);

	hdr(j)->version = v >= MEMX_VERSION ? v + 1 : v;
	return xmit(j, len);
}

static int mode_badtype(struct inj *j)
{
	struct memx_msg m = base_msg(j, MEMX_T_DISCOVER);
	size_t len = build(j, &m);

	hdr(j)->type = rnd(j, 4) ? MEMX_T_MAX + 1 + rnd(j, 255 - MEMX_T_MAX) :
				   0;
	return xmit(j, len);
}

/* A WRITE whose fragment fields alone are wrong; the frame carries them. */
static int mode_badfrag(struct inj *j)
{
	struct memx_msg m = base_msg(j, MEMX_T_WRITE);
	u32 max_len = min_t(u32, j->mtu - MEMX_HDR_LEN, 0xffff);
	u32 units = MEMX_FRAG_UNITS;

	switch (rnd(j, 6)) {
	case 0:		/* misaligned offset */
		m.frag_off = rnd(j, units) * MEMX_FRAG_UNIT +
			     1 + rnd(j, MEMX_FRAG_UNIT - 1);
		m.frag_len = MEMX_FRAG_UNIT;
		break;
	case 1:		/* empty fragment */
		m.frag_len = 0;
		break;
	case 2:		/* runs past the page */
		m.frag_len = min_t(u32, max_len, MEMX_PAGE_SIZE) /
			     MEMX_FRAG_UNIT * MEMX_FRAG_UNIT;
		m.frag_off = MEMX_PAGE_SIZE - MEMX_FRAG_UNIT *
			     (1 + rnd(j, m.frag_len / MEMX_FRAG_UNIT - 1));
		if (m.frag_len == MEMX_FRAG_UNIT)
			m.frag_off = MEMX_PAGE_SIZE;
		break;
	case 3:		/* total_len not a page */
		m.total_len = rnd(j, 2) ? MEMX_PAGE_SIZE * 2 :
					  rnd(j, MEMX_PAGE_SIZE);
		m.frag_off = 0;
		m.frag_len = MEMX_FRAG_UNIT;
		break;
	case 4:		/* short fragment in the middle of the page */
		m.frag_off = 0;
		m.frag_len = 1 + rnd(j, MEMX_FRAG_UNIT - 1);
		break;
	default:	/* offset at or past the page end */
		m.frag_off = MEMX_PAGE_SIZE + MEMX_FRAG_UNIT *
			     rnd(j, (0xffff - MEMX_PAGE_SIZE) / MEMX_FRAG_UNIT);
		m.frag_len = MEMX_FRAG_UNIT;
		break;
	}
	m.payload_len = min_t(u32, m.frag_len, max_len);
	return xmit(j, build(j, &m));
}

static int mode_badflags(struct inj *j)
{
	struct memx_msg m = base_msg(j, any_valid_type(j));

	switch (rnd(j, 3)) {
	case 0:		/* a flag nobody knows */
		do
			m.flags = (u8)(1U << (1 + rnd(j, 6)));
		while (m.flags & MEMX_F_KNOWN);
		break;
	case 1:		/* ZERO is for DATA only */
		m.flags = MEMX_F_ZERO;
		break;
	default:	/* trailer without MEMX_F_AUTH, within the MTU */
		if (MEMX_HDR_LEN + m.payload_len >= j->mtu)
			m = base_msg(j, MEMX_T_READ);
		m.trailer_len = 1 + rnd(j, min_t(u32, 255, j->mtu -
						 MEMX_HDR_LEN - m.payload_len));
		break;
	}
	return xmit(j, build(j, &m));
}

static int mode_random(struct inj *j)
{
	struct memx_msg m;
	size_t len, i, n;

	if (rnd(j, 2)) {
		len = rnd(j, j->mtu + 1);
		for (i = 0; i < len; i++)
			body(j)[i] = (u8)splitmix64(&j->rng);
		return xmit(j, len);
	}
	m = base_msg(j, MEMX_T_WRITE);
	len = build(j, &m);
	n = 1 + rnd(j, 8);
	for (i = 0; i < n; i++) {
		/* mostly the header, sometimes the payload */
		size_t at = rnd(j, 4) ? rnd(j, MEMX_HDR_LEN) : rnd(j, len);

		body(j)[at] ^= (u8)(1 + rnd(j, 255));
	}
	if (!rnd(j, 4))
		len = rnd(j, j->mtu + 1);
	return xmit(j, len);
}

/* Fragments of a page of one made-up session, broken in turn. */
static int mode_write_frags(struct inj *j)
{
	static struct memx_msg page;
	static unsigned int step;
	struct memx_msg m;
	u32 last = (memx_frag_count(j->mtu) - 1) * j->chunk;

	if (!step) {
		page = base_msg(j, MEMX_T_WRITE);
		page.frag_off = 0;
	}
	m = page;
	switch (step) {
	case 0:		/* first fragment */
	case 1:		/* its exact duplicate */
		m.frag_len = min_t(u32, j->chunk, MEMX_PAGE_SIZE);
		break;
	case 2:		/* overlaps the end of the first by one unit */
		m.frag_off = j->chunk < MEMX_PAGE_SIZE ?
			     j->chunk - MEMX_FRAG_UNIT : 0;
		m.frag_len = min_t(u32, j->chunk,
				   MEMX_PAGE_SIZE - m.frag_off);
		break;
	case 3:		/* the last fragment */
		m.frag_off = last;
		m.frag_len = MEMX_PAGE_SIZE - last;
		break;
	case 4:		/* a fragment past the end of the page */
		m.frag_len = MEMX_FRAG_UNIT;
		m.frag_off = MEMX_PAGE_SIZE;
		if (j->chunk >= 2 * MEMX_FRAG_UNIT) {
			m.frag_len = 2 * MEMX_FRAG_UNIT;
			m.frag_off = MEMX_PAGE_SIZE - MEMX_FRAG_UNIT;
		}
		break;
	default:	/* states more payload than the frame carries */
		m.frag_len = min_t(u32, j->chunk, MEMX_PAGE_SIZE);
		m.payload_len = m.frag_len / 2;
		step = 0;
		return xmit(j, build(j, &m));
	}
	m.payload_len = m.frag_len;
	step++;
	return xmit(j, build(j, &m));
}

static const struct {
	const char *name;
	int (*fn)(struct inj *j);
	bool in_all;
} modes[] = {
	{ "truncated", mode_truncated, true },
	{ "oversized", mode_oversized, true },
	{ "badversion", mode_badversion, true },
	{ "badtype", mode_badtype, true },
	{ "badfrag", mode_badfrag, true },
	{ "badflags", mode_badflags, true },
	{ "random", mode_random, true },
	{ "write-frags", mode_write_frags, true },
	{ "valid-discover", mode_valid_discover, false },
};

static int run_mode(struct inj *j, unsigned int i, unsigned long count)
{
	unsigned long before = j->sent, n;

	for (n = 0; n < count; n++)
		if (modes[i].fn(j))
			return -1;
	printf("memx_inject: %s: sent %lu frames\n", modes[i].name,
	       j->sent - before);
	return 0;
}

static int parse_mac(const char *s, u8 *mac)
{
	unsigned int b[6], i;
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &extra) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (u8)b[i];
	}
	return 0;
}

static int open_iface(struct inj *j, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;

	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		fprintf(stderr, "memx_inject: interface name too long\n");
		return -1;
	}
	/* protocol 0: this socket sends only and receives nothing */
	j->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (j->fd < 0) {
		perror("memx_inject: socket(AF_PACKET)");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(j->fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "memx_inject: %s: %s\n", ifname,
			strerror(errno));
		return -1;
	}
	j->ifindex = ifr.ifr_ifindex;
	if (ioctl(j->fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("memx_inject: SIOCGIFHWADDR");
		return -1;
	}
	memcpy(j->src, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(j->fd, SIOCGIFMTU, &ifr) < 0) {
		perror("memx_inject: SIOCGIFMTU");
		return -1;
	}
	j->mtu = min_t(unsigned int, ifr.ifr_mtu, MAX_FRAME - ETH_HDR);
	j->chunk = memx_frag_chunk(j->mtu);
	if (!j->chunk) {
		fprintf(stderr, "memx_inject: %s: MTU %u below %u\n", ifname,
			j->mtu, MEMX_MIN_MTU);
		return -1;
	}
	sll.sll_ifindex = j->ifindex;
	if (bind(j->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("memx_inject: bind");
		return -1;
	}
	return 0;
}

static void print_help(void)
{
	unsigned int i;

	fprintf(stderr,
		"usage: memx_inject -i IFACE -d DSTMAC [-n COUNT] [-s SEED] [-p USEC] MODE\n"
		"modes: all");
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static struct inj j;
	const char *ifname = NULL, *mode;
	unsigned long count = 100;
	bool have_dst = false;
	unsigned int i;
	int opt, found = 0;

	j.rng = 1;
	while ((opt = getopt(argc, argv, "i:d:n:s:p:h")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'd':
			if (parse_mac(optarg, j.dst)) {
				fprintf(stderr, "memx_inject: bad MAC %s\n",
					optarg);
				return 2;
			}
			have_dst = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			j.rng = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			j.pause_us = strtoul(optarg, NULL, 0);
			break;
		default:
			print_help();
			return 2;
		}
	}
	if (!ifname || !have_dst || optind != argc - 1) {
		print_help();
		return 2;
	}
	mode = argv[optind];
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		found |= !strcmp(mode, modes[i].name);
	if (!found && strcmp(mode, "all")) {
		fprintf(stderr, "memx_inject: unknown mode %s\n", mode);
		print_help();
		return 2;
	}

	if (open_iface(&j, ifname))
		return 1;
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(mode, modes[i].name) &&
		    (strcmp(mode, "all") || !modes[i].in_all))
			continue;
		if (run_mode(&j, i, count))
			return 1;
	}
	printf("memx_inject: sent %lu frames in total on %s (MTU %u)\n",
	       j.sent, ifname, j.mtu);
	close(j.fd);
	return 0;
}
