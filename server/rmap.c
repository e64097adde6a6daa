// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol engine, linked into this module. The same rmap/ sources build
 * into both modules (each gets its own copy: nothing is exported) and, but
 * for net.c, into the userspace unit tests and fuzzers.
 */
#include "../rmap/frame.c"
#include "../rmap/frag.c"
#include "../rmap/rto.c"
#include "../rmap/net.c"
#include "../rmap/param.c"
