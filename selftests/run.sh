#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is needed, build for every kernel, run every test,
# print one TAP stream ending in "N passed, N failed[, N skipped]".
#
#   deps                     vm/deps.sh (skipped with MEMX_SKIP_DEPS=1)
#   build <kver>             make modules-all, W=1 C=1, no warnings allowed
#   tools, unit, fuzz        make -C selftests tools / unit / fuzz
#   <kver> <test>            single-guest tests, all in one guest per kernel
#   <kver> swap_01 ...       the tests with several guests (host_on)
#
# KERNELS="6.1" or "6.12"    one kernel series (prefix of the version)
# TESTS="io_01 fs_01"        only these guest tests (also: unit fuzz)
# MEMX_LOGDIR=dir            logs (default build/logs): per-test output,
#                            kernel log and guest consoles
# FUZZ_TIME=secs             fuzz smoke length (default 60)
# MEMX_HOST_ALL=1            every multi-guest test on every kernel
set -uo pipefail

ST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$ST/.." && pwd)
cd "$TOP" || exit 1
export MEMX_LOGDIR=${MEMX_LOGDIR:-$TOP/build/logs}
T_START=$(date +%s)

GUEST_TESTS=(io_01 fs_01 fs_02 io_02 net_01 net_02 fail_01 bad_01 ra_01)
HOST_TESTS=(swap_01 swap_02 cluster_01 drain_01 replica_01)

want() { # is this test selected by TESTS?
	[ -z "${TESTS:-}" ] && return 0
	[[ " ${TESTS//,/ } " == *" $1 "* ]]
}

# The tests with several guests boot two to five TCG guests for five to
# ten minutes each: all of them on every kernel take longer than the 90
# minutes CI allows. swap_01 runs on every kernel, each of the others on
# one kernel, in turn. Named in TESTS, or with MEMX_HOST_ALL=1, each runs
# on every kernel.
host_on() { # test kernel-index: does this test run on that kernel?
	[ -n "${TESTS:-}" ] || [ "${MEMX_HOST_ALL:-0}" = 1 ] && return 0
	[ "$1" = swap_01 ] && return 0
	local i j=0
	for i in "${!HOST_TESTS[@]}"; do
		[ "${HOST_TESTS[$i]}" = swap_01 ] && continue
		if [ "${HOST_TESTS[$i]}" = "$1" ]; then
			[ $((j % ${#kernels[@]})) = "$2" ]
			return
		fi
		j=$((j + 1))
	done
	return 1
}

# one TAP line per item; plan known in advance
n=0 npass=0 nfail=0 nskip=0
declare -a names=()
tap() { # ok|fail|skip name [reason]
	n=$((n + 1))
	case $1 in
	ok) npass=$((npass + 1)); echo "ok $n - $2" ;;
	skip) nskip=$((nskip + 1)); echo "ok $n - $2 # SKIP ${3:-}" ;;
	*) nfail=$((nfail + 1)); echo "not ok $n - $2${3:+ # $3}" ;;
	esac
}
comment() { sed 's/^/# /'; }
elapsed() { echo "$(($(date +%s) - $1))s"; }

finish() {
	echo "# total $(elapsed "$T_START")"
	if [ "$nskip" -gt 0 ]; then
		echo "$npass passed, $nfail failed, $nskip skipped"
	else
		echo "$npass passed, $nfail failed"
	fi
	[ "$nfail" = 0 ]
	exit $?
}

echo "TAP version 13"

if [ "${MEMX_SKIP_DEPS:-0}" != 1 ]; then
	names+=(deps)
fi
mapfile -t kernels < <(
	[ "${MEMX_SKIP_DEPS:-0}" = 1 ] || "$ST/vm/deps.sh" >"/tmp/memx-deps.$$" 2>&1
	"$ST/vm/kernels.sh" --newest
)
deps_rc=0
if [ "${MEMX_SKIP_DEPS:-0}" != 1 ]; then
	grep -q '^deps: ok' "/tmp/memx-deps.$$" || deps_rc=1
fi
[ ${#kernels[@]} -gt 0 ] || { echo "1..1"; tap fail deps "no kernel with headers"; finish; }

run_unit=0 run_fuzz=0
want unit && run_unit=1
want fuzz && run_fuzz=1
[ -z "${TESTS:-}" ] || [[ " $TESTS " == *" unit "* ]] || run_unit=0
[ -z "${TESTS:-}" ] || [[ " $TESTS " == *" fuzz "* ]] || run_fuzz=0
sel=()
for t in "${GUEST_TESTS[@]}"; do want "$t" && sel+=("$t"); done
selswap=()
for t in "${HOST_TESTS[@]}"; do want "$t" && selswap+=("$t"); done

nhost=0
for ki in "${!kernels[@]}"; do
	for t in "${selswap[@]}"; do host_on "$t" "$ki" && nhost=$((nhost + 1)); done
done
plan=$(( ${#names[@]} + ${#kernels[@]} + 1 + run_unit + run_fuzz + ${#kernels[@]} * ${#sel[@]} + nhost ))
echo "1..$plan"

if [ "${MEMX_SKIP_DEPS:-0}" != 1 ]; then
	if [ "$deps_rc" = 0 ]; then
		tap ok deps
	else
		comment <"/tmp/memx-deps.$$" | tail -n 30
		tap fail deps
	fi
fi
rm -f "/tmp/memx-deps.$$"
mkdir -p "$MEMX_LOGDIR"

# builds: one tree per kernel under build/<kver> (make modules-all)
declare -A built=()
for kl in "${kernels[@]}"; do
	kver=${kl%% *}
	t0=$(date +%s)
	log=$MEMX_LOGDIR/build-$kver.log
	if KERNELS=$kver make -s modules-all EXTRA="W=1 C=1" >"$log" 2>&1; then
		if grep -E 'warning:|error:' "$log" | grep -v '^make' >/dev/null; then
			grep -E 'warning:|error:' "$log" | head -n 20 | comment
			tap fail "build $kver (W=1 C=1)" "warnings"
		else
			tap ok "build $kver (W=1 C=1, $(elapsed "$t0"))"
		fi
		built[$kver]=1
	else
		tail -n 30 "$log" | comment
		tap fail "build $kver"
	fi
done

t0=$(date +%s)
if make -s -C selftests tools >"$MEMX_LOGDIR/tools.log" 2>&1; then
	tap ok "tools ($(elapsed "$t0"))"
else
	tail -n 20 "$MEMX_LOGDIR/tools.log" | comment
	tap fail tools
fi

if [ "$run_unit" = 1 ]; then
	t0=$(date +%s)
	if make -s -C selftests unit >"$MEMX_LOGDIR/unit.log" 2>&1; then
		tap ok "unit: $(tail -n1 "$MEMX_LOGDIR/unit.log") ($(elapsed "$t0"))"
	else
		grep -E '^not ok|Sanitizer|error' "$MEMX_LOGDIR/unit.log" | head -n 30 | comment
		tail -n 5 "$MEMX_LOGDIR/unit.log" | comment
		tap fail unit
	fi
fi
if [ "$run_fuzz" = 1 ]; then
	t0=$(date +%s)
	if timeout 900 make -s -C selftests fuzz FUZZ_TIME="${FUZZ_TIME:-60}" \
		>"$MEMX_LOGDIR/fuzz.log" 2>&1; then
		tap ok "fuzz: $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$MEMX_LOGDIR/fuzz.log" | grep -oE '[0-9]+$' | tail -n1) inputs, no crash ($(elapsed "$t0"))"
	else
		grep -E 'ERROR|SUMMARY|artifact' "$MEMX_LOGDIR/fuzz.log" | head -n 20 | comment
		tail -n 5 "$MEMX_LOGDIR/fuzz.log" | comment
		tap fail fuzz
	fi
fi

# guest tests: all single-guest tests in one boot per kernel
for kl in "${kernels[@]}"; do
	kver=${kl%% *}
	[ ${#sel[@]} -gt 0 ] || break
	if [ -z "${built[$kver]:-}" ]; then
		for t in "${sel[@]}"; do tap fail "$kver $t" "not built"; done
		continue
	fi
	ldir=$MEMX_LOGDIR/$kver
	rm -rf "$ldir"
	mkdir -p "$ldir"
	tmo=60
	for t in "${sel[@]}"; do
		s=$(sed -n 's/^# memx-timeout: *\([0-9]*\).*/\1/p' "$ST/test_$t.sh" 2>/dev/null)
		tmo=$((tmo + ${s:-600} + 30))
	done
	t0=$(date +%s)
	grc=0
	"$ST/vm/guest.sh" -k "$kver" -m "${MEMX_GUEST_MEM:-1536M}" -c 2 -t "$tmo" \
		-w "$ldir" -l "$ldir/console.log" -- \
		"$ST/vm/in-guest.sh" -o "$ldir" "${sel[@]}" >"$ldir/guest.out" 2>&1 || grc=$?
	echo "# $kver: guest ran $(elapsed "$t0") (exit $grc); logs in $ldir"
	declare -A done_=()
	while IFS= read -r line; do
		if [[ $line == "MEMX-RESULT "* ]]; then
			read -r _ res name secs <<<"$line"
			done_[$name]=1
			case $res in
			ok) tap ok "$kver $name (${secs}s)" ;;
			skip) tap skip "$kver $name" "$(grep -m1 SKIP "$ldir/$name.log" | sed 's/.*SKIP: //')" ;;
			*) tap fail "$kver $name (${secs}s)" ;;
			esac
		else
			echo "$line" | grep -q '^#' && echo "$line"
		fi
	done <"$ldir/guest.out"
	for t in "${sel[@]}"; do
		[ -n "${done_[$t]:-}" ] && continue
		case $grc in
		124) why="guest timed out after ${tmo}s" ;;
		125) why="guest kernel panicked" ;;
		*) why="guest ended (exit $grc) before the test ran" ;;
		esac
		tap fail "$kver $t" "$why"
	done
	unset done_
	if [ "$grc" = 125 ] || [ "$grc" = 124 ]; then
		grep -m1 -B2 -A30 -E 'Kernel panic|Oops|BUG:|WARNING:' "$ldir/console.log" | comment
	fi
done

# the tests with several guests, on the kernels host_on picks
for ki in "${!kernels[@]}"; do
	kver=${kernels[$ki]%% *}
	for t in "${selswap[@]}"; do
		host_on "$t" "$ki" || continue
		if [ -z "${built[$kver]:-}" ]; then
			tap fail "$kver $t" "not built"
			continue
		fi
		t0=$(date +%s)
		rc=0
		KERNELS=$kver "$ST/test_$t.sh" >"$MEMX_LOGDIR/$t-$kver.log" 2>&1 || rc=$?
		case $rc in
		0) grep -E "^# ($t|client):|pswp" "$MEMX_LOGDIR/$t-$kver.log" | head -n 16
		   tap ok "$kver $t ($(elapsed "$t0"))" ;;
		4) tap skip "$kver $t" "$(grep -m1 SKIP "$MEMX_LOGDIR/$t-$kver.log" | sed 's/.*SKIP: //')" ;;
		*) tail -n 60 "$MEMX_LOGDIR/$t-$kver.log" | sed 's/^\([^#]\)/# \1/'
		   tap fail "$kver $t ($(elapsed "$t0"))" ;;
		esac
	done
done

finish
