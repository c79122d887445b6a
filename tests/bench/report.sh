#!/bin/sh
# report.sh RUNS.CSV OUTDIR W R [DIGEST [SHORT_DIGEST]]: the banana-peel
# chart from chart.sh's runs, again at will (sh tests/bench/report.sh
# build/bench/chart/runs.csv build/bench/chart 16 128): the table on stdout
# and in OUTDIR/table.txt, results.csv/json, and OUTDIR/banana-peel.png.
# Main runs whose digest is not DIGEST, and short runs whose digest is not
# SHORT_DIGEST (the reference model's for W and the short runs' R0), are
# flagged in the table.
csv=$1 out=$2
mkdir -p "$out"
awk -F, -v out="$out" -v w="$3" -v r="$4" -v ref="$5" -v bref="$6" -f tests/bench/chart.awk "$csv" | tee "$out/table.txt"
nsets=$(head -1 "$out/amdahl.dat" | grep -o '"[^"]*"' | wc -l)
nsmps=$(head -1 "$out/banana.dat" | grep -o '"[^"]*"' | wc -l)
if ! grep -q '^"[^"]*" .*[0-9]' "$out/banana.dat" || ! command -v gnuplot >/dev/null; then
    echo "# bench: no chart (no data or no gnuplot)" >&2
    exit 0
fi
# chart.awk says what the bars are (steady state or whole run) and why
bars=$(sed -n 's/^bars=//p' "$out/plot.txt")
note=$(sed -n 's/^note=//p' "$out/plot.txt" | tr -d "'")
nogkl=$(grep -q '^[0-9]* [0-9.]' "$out/amdahl.dat" && echo 0 || echo 1)
gnuplot -e "barkind='$bars'; note='$note'; nogkl=$nogkl; banana='$out/banana.dat'; amdahl='$out/amdahl.dat'; measured='$out/measured.dat'; outfile='$out/banana-peel.png'; nsets=$nsets; nsmps=$nsmps" \
    tests/bench/chart.gp 2>"$out/gnuplot.log" && echo "chart: $out/banana-peel.png" ||
    echo "# bench: gnuplot failed, see $out/gnuplot.log" >&2
