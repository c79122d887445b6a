#!/bin/sh
# report.sh CSV OUTDIR: results.json and the scaling chart (scaling.png)
# from the stress results.  Only full runs ("normal" mode) are charted,
# and not the deliberately broken controls (named *-broken).
csv=$1 out=$2

# JSON: one object per row, fields as in the CSV header
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) key[i] = $i; n = NF; print "["; next }
    { printf "%s  {", (NR > 2 ? ",\n" : "")
      for (i = 1; i <= n; i++) {
          v = $i; gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v)
          num = (v ~ /^[0-9]+(\.[0-9]+)?$/) && key[i] != "case" && key[i] != "mode"
          printf "%s\"%s\": %s", (i > 1 ? ", " : ""), key[i], num ? v : "\"" v "\""
      }
      printf "}" }
    END { print "\n]" }' "$csv" > "$out/results.json"

# A wide table: cpus, then ops/s of each case ("?" where it was skipped)
awk -F, '$1 == "normal" && $9 != "skip" && $6 != "" && $3 !~ /-broken$/ {
        if (!($3 in seen)) { seen[$3] = 1; cases[++nc] = $3 }
        if (!($2 in cs)) { cs[$2] = 1; cpus[++np] = $2 }
        v[$2, $3] = $6 }
    END {
        printf "cpus"; for (j = 1; j <= nc; j++) printf " %s", cases[j]; print ""
        for (i = 1; i <= np; i++) {
            printf "%s", cpus[i]
            for (j = 1; j <= nc; j++) printf " %s", (cpus[i], cases[j]) in v ? v[cpus[i], cases[j]] : "?"
            print ""
        }
    }' "$csv" | sort -n -k1,1 > "$out/scaling.dat"
ncols=$(head -1 "$out/scaling.dat" | wc -w)
# the header line sorts first ("cpus" is not a number): keep it there
{ grep '^cpus' "$out/scaling.dat"; grep -v '^cpus' "$out/scaling.dat"; } > "$out/scaling.tmp" \
    && mv "$out/scaling.tmp" "$out/scaling.dat"
# each column divided by its first value: speed-up over the smallest run
awk 'NR == 1 { print; next }
     { printf "%s", $1
       for (i = 2; i <= NF; i++) {
           if ($i != "?" && !(i in base)) base[i] = $i
           printf " %s", ($i == "?" || !base[i]) ? "?" : $i / base[i]
       }
       print "" }' "$out/scaling.dat" > "$out/scaling-rel.dat"
if [ "$ncols" -lt 2 ] || ! command -v gnuplot >/dev/null; then
    echo "# stress: no chart (no data or no gnuplot)" >&2
    exit 0
fi
gnuplot -e "datafile='$out/scaling.dat'; reldata='$out/scaling-rel.dat'; outfile='$out/scaling.png'; ncols=$ncols" \
    tests/stress/scaling.gp 2>"$out/gnuplot.log" || echo "# stress: gnuplot failed, see $out/gnuplot.log" >&2
