# The banana-peel chart (tests/bench/report.sh sets banana, amdahl,
# measured, outfile, nsets, nsmps, barkind): left, classic's measured
# throughput for each peel set at each -smp count, as the peels come off;
# right, the Amdahl projection of each set to 64 CPUs from its share of time
# under the guest kernel lock at -smp 1, with the measured speedups as
# points.  barkind is "steady" (steady state: the short runs' boot, mount and
# fsck taken off, and the steady GKL share) or "whole" (the whole run).
# note is a line under the title ("" for none); nogkl says the host gave no
# GKL times, so there is nothing to project.
set terminal pngcairo size 1600,700 font "DejaVu Sans,10" noenhanced
set output outfile
set datafile missing "?"
set grid ytics
array bars[6] = ["#f2d04b", "#e0a800", "#b37d00", "#7a5200", "#4d3300", "#2b1d00"]
array lines[8] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
set multiplot layout 1,2 title "Peel: classic hosted, peeled layer by layer (QEMU TCG, thread=multi)" . \
    (note eq "" ? "" : "\n" . note)

steady = (barkind eq "steady")
set title (steady ? "steady-state throughput (median): the workload alone, boot and fsck taken off" : \
                    "whole-run throughput (median): boot and fsck included") . ", one bar per -smp"
set ylabel "requests per second (host wall clock)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border rgb "#333333"
set boxwidth 0.9
set xtics rotate by 20 right nomirror
set yrange [0:*]
set offsets 0, 0, graph 0.06, 0   # headroom over the tallest bar
set key top left
set bmargin 10
plot for [i=2:nsmps+1] banana using i:xtic(1) lc rgb bars[(i - 2) % 6 + 1] title columnheader(i)

set title "Amdahl projection from each set's steady-state GKL share at -smp 1\n(points: measured " . \
    (steady ? "steady-state" : "whole-run") . " speedups)"
set style data linespoints
set xlabel "CPUs"
set ylabel "speedup over one CPU"
set offsets 0, 0, 0, 0
set logscale xy 2
set xrange [0.9:72]
set yrange [*:72]          # measured slowdowns show below 1
if (nogkl) set label 1 "no projection: the host did not report the time under the GKL" at graph 0.97, 0.06 right
set xtics (1, 2, 4, 8, 16, 32, 64) norotate
set ytics ("1/64" 0.015625, "1/16" 0.0625, "1/4" 0.25, "1/2" 0.5, 1, 2, 4, 8, 16, 32, 64)
set grid xtics ytics
set key top left
# the key names each set once: on its curve, or on its points when there is no curve
if (nogkl) {
    plot x with lines dt 3 lc rgb "#999999" title "ideal", \
         for [i=2:nsets+1] measured using 1:i with points pt 7 ps 1.6 lc rgb lines[(i - 2) % 8 + 1] title columnheader(i)
} else {
    plot x with lines dt 3 lc rgb "#999999" title "ideal", \
         for [i=2:nsets+1] amdahl using 1:i with lines lw 2 lc rgb lines[(i - 2) % 8 + 1] title columnheader(i), \
         for [i=2:nsets+1] measured using 1:i with points pt 7 ps 1.6 lc rgb lines[(i - 2) % 8 + 1] notitle
}
unset multiplot
