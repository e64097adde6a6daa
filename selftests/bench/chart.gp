# SPDX-License-Identifier: GPL-2.0
#
# gnuplot -e "dir='OUTDIR'; mtus='1500 9000'; swap=1" chart.gp
#
# One panel per MTU: each workload's throughput of every device relative
# to brd in the same run (log scale); and, if swap=1, the swap-heavy job's
# completion time relative to the run that did not swap.
if (!exists("swap")) swap = 0
n = words(mtus) + swap
set terminal pngcairo size 1400, 420 * n font ",10"
set output dir . "/chart.png"
set multiplot layout n, 1
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set logscale y
set yrange [0.001:10]
set ylabel "throughput / brd"
set xtics nomirror
do for [i = 1:words(mtus)] {
	set title sprintf("fio, direct I/O, MTU %s: IOPS (= bandwidth) relative to brd, same run", word(mtus, i))
	plot for [c = 2:6] dir . "/chart.dat" index (i - 1) using c:xtic(1) title columnheader(c)
}
if (swap) {
	unset logscale y
	set yrange [0:*]
	set offsets 0, 0, 0.3, 0
	set ylabel "time / no-swap time"
	set title "swap-heavy job (memx_sort, working set twice the client RAM): completion time relative to no swap" noenhanced
	set style histogram clustered gap 3
	plot dir . "/swap.dat" using 3:xtic(1) title "time ratio" lc rgb "#4060c0", \
		"" using 0:3:4 with labels offset 0, 1 notitle
}
unset multiplot
