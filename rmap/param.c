// SPDX-License-Identifier: GPL-2.0
/* Kernel only: module parameter parsing shared by client and server. */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include "param.h"

int memx_parse_bytes(const char *name, const char *s, u64 *bytes)
{
	unsigned long long v;
	char *end;

	if (!s || !*s) {
		pr_err("%s= is required: bytes with a K, M, G or T suffix, e.g. %s=2G\n",
		       name, name);
		return -EINVAL;
	}
	if (!isdigit(*s))
		goto bad;
	v = memparse(s, &end);
	/* memparse() also takes P and E: sizes that large are typos here. */
	if (strchr("PEpe", end[-1]))
		goto bad;
	if (*end == '\n')
		end++;
	if (*end)
		goto bad;
	*bytes = v;
	return 0;
bad:
	pr_err("%s=%s: expected a number with an optional K, M, G or T suffix\n",
	       name, s);
	return -EINVAL;
}
