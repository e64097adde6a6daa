/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel only: module parameter parsing shared by client and server. */
#ifndef _MEMX_PARAM_H
#define _MEMX_PARAM_H

#include <linux/types.h>

/**
 * memx_parse_bytes() - parse a size parameter
 * @name: the parameter's name, for the messages
 * @s: its value: digits with an optional K, M, G or T suffix (binary)
 * @bytes: the size, on success
 *
 * Return: 0, or -EINVAL after a pr_err() saying what is wrong when @s is
 * missing, empty or not such a size.
 */
int memx_parse_bytes(const char *name, const char *s, u64 *bytes);

#endif /* _MEMX_PARAM_H */
