/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny TAP producer for the userspace unit tests: one line per check,
 * "ok N - what" or "not ok N - what" with the failing file:line, the plan
 * at the end, then "P passed, F failed". main() returns tap_done().
 */
#ifndef _MEMX_TAP_H
#define _MEMX_TAP_H

#include <stdarg.h>
#include <stdio.h>

/* selftests/Makefile defines __printf(a, b) as the format attribute. */

extern unsigned int tap_run, tap_failed;

static inline void tap_begin(void)
{
	printf("TAP version 13\n");
}

static inline __printf(4, 5)
int tap_check(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %u - ", pass ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	return pass;
}

/* ok(cond, "what %d", x): one TAP line; returns cond. */
#define ok(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* eq(got, want, what): like ok() but prints both values on failure. */
#define eq(got, want, ...)						\
	({								\
		unsigned long long _g = (got), _w = (want);		\
		int _p = tap_check(_g == _w, __FILE__, __LINE__,	\
				   __VA_ARGS__);			\
		if (!_p)						\
			printf("#   got %llu (0x%llx), want %llu (0x%llx)\n", \
			       _g, _g, _w, _w);				\
		_p;							\
	})

static inline void tap_diag(const char *s)
{
	printf("# %s\n", s);
}

static inline int tap_done(void)
{
	printf("1..%u\n", tap_run);
	printf("%u passed, %u failed\n", tap_run - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

void test_frame(void);
void test_frag(void);
void test_rto(void);

#endif /* _MEMX_TAP_H */
