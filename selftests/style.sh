#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make style: checkpatch --strict on every C source and header, shellcheck
# on every shell script. Exit 1 on any finding.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
CP=${CHECKPATCH:-/usr/src/ksrc/linux-source-6.12/scripts/checkpatch.pl}
[ -x "$CP" ] || { echo "style: no $CP (run selftests/vm/deps.sh)" >&2; exit 1; }

rc=0
mapfile -t cfiles < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
for f in "${cfiles[@]}"; do
	# userspace tools and tests are checked too; only the kernel-only
	# tokens checkpatch cannot know about in userspace are ignored there
	ign=SPDX_LICENSE_TAG
	case $f in
	selftests/*) ign+=",NEW_TYPEDEFS,AVOID_EXTERNS" ;;
	# the userspace shim defines u8.. from stdint and min()/max()
	rmap/shim.h) ign+=",PREFER_KERNEL_TYPES,MACRO_ARG_REUSE" ;;
	esac
	if ! out=$("$CP" --strict --no-tree --quiet --terse --show-types --ignore "$ign" -f "$f" 2>&1); then
		echo "$out"
		rc=1
	fi
done

mapfile -t sh < <(
	{ git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh' -not -path './build/*'; } | sort -u
)
if ! shellcheck -x -P SCRIPTDIR "${sh[@]}"; then
	rc=1
fi
if [ "$rc" = 0 ]; then
	echo "style: ${#cfiles[@]} C files checkpatch-clean, ${#sh[@]} scripts shellcheck-clean"
fi
exit "$rc"
