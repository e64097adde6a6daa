/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference memx meets, in one place. Force-included
 * into every kernel object (compat/Kbuild.include); MEMX_HAVE_* come from
 * probes of the target tree's headers. .c files stay free of version #ifs
 * except where a whole block-layer setup differs (client/blk.c).
 */
#ifndef _MEMX_COMPAT_H
#define _MEMX_COMPAT_H

#ifdef __KERNEL__
#include <linux/version.h>
#include <linux/timer.h>

#ifndef MEMX_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, callback_timer, timer_fieldname) \
	from_timer(var, callback_timer, timer_fieldname)
#endif

#ifndef MEMX_HAVE_TIMER_DELETE_SYNC
#define timer_delete_sync(t)	del_timer_sync(t)
#define timer_delete(t)		del_timer(t)
#endif

#ifdef MEMX_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* __KERNEL__ */
#endif /* _MEMX_COMPAT_H */
