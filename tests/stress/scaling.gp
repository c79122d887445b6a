# The stress suite's scaling chart: operations per second of every case
# against the CPU count (left, log scale), and the same relative to the
# smallest CPU count run (right).  Called by tests/stress/report.sh with
# datafile, reldata, outfile and ncols set.
set terminal pngcairo size 1500,650 font "DejaVu Sans,10"
set output outfile
set datafile missing "?"
set key outside right top spacing 1.1
set grid
set logscale x 2
set xtics (1, 2, 4, 8, 16)
set xrange [0.85:9.5]
# twelve distinct colours, and a point shape per case, so no two lines look alike
array colours[12] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]
style(i) = (i - 2) % 12 + 1
set multiplot layout 1,2 title "Peel SMP stress suite under QEMU TCG (thread=multi, 2 host cores)"

set title "throughput"
set xlabel "CPUs (-smp)"
set ylabel "operations per second"
set logscale y 10
set format y "10^{%L}"
unset key
plot for [i=2:ncols] datafile using 1:i with linespoints lw 2 lc rgb colours[style(i)] \
     pt (i % 6 + 4) ps 1.3 title columnheader(i)

set title "relative to the smallest CPU count run (1.0 = no change)"
set ylabel "ops/s / ops/s at the smallest -smp"
set logscale y 2
set format y "%.3g"
set key outside right top
plot for [i=2:ncols] reldata using 1:i with linespoints lw 2 lc rgb colours[style(i)] \
     pt (i % 6 + 4) ps 1.3 title columnheader(i)
unset multiplot
