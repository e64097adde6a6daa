// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace unit tests of rmap/frame.c, frag.c and rto.c: the very sources
 * the modules build, compiled against rmap/shim.h.
 */
#include "tap.h"

unsigned int tap_run, tap_failed;

int main(void)
{
	tap_begin();
	tap_diag("frame");
	test_frame();
	tap_diag("frag");
	test_frag();
	tap_diag("rto");
	test_rto();
	return tap_done();
}
