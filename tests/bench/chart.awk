# The banana-peel chart's numbers, from runs.csv (tests/bench/chart.sh):
#   awk -F, -v out=DIR -v w=W -v r=R -v ref=DIGEST -f tests/bench/chart.awk runs.csv
# prints the table and the two target checks, and writes DIR/results.csv
# and DIR/results.json (one row per set x smp),
# DIR/banana.dat (throughput, set x smp), DIR/amdahl.dat (projection per
# set to 64 CPUs) and DIR/measured.dat (measured speedups) for gnuplot.
#
# A run counts if QEMU said success (1) and the guest printed REQUESTS; one
# whose digest is not ref (the unpeeled -smp 1 run's) is flagged.
# Its throughput is REQUESTS over the host's "ran N ms"; where the host did
# not say it, over the whole QEMU run (boot included), marked '*'.  Each
# cell is the median of its runs; a set's GKL fraction s is its -smp 1
# median of GKL held / ran, and Amdahl's speedup(N) = 1 / (s + (1 - s) / N).

function median(list,    v, n, i, j, t) {
    n = split(list, v, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function label(k,    l) {
    l = k == "none" ? "{}" : "{" k "}"
    gsub(/\+/, ",", l)
    if (refused[k] != "") { l = l " (" refused[k] " refused)"; gsub(/\+/, ", ", l) }
    return l
}
function amdahl(s, n) { return 1 / (s + (1 - s) / n) }
function q(x) { return "\"" x "\"" }
function check(what, k, target,    r) {
    if (k == "" || !((k, 1) in thr) || !((k, 2) in thr)) {
        printf "%s: SKIP (not measured at -smp 1 and 2)\n", what
        return
    }
    r = thr[k, 2] / thr[k, 1]
    printf "%s %s: -smp 2 = %.2fx -smp 1 (target >= %.2fx): %s\n", what, label(k), r, target,
        (r >= target ? "PASS" : "MISS")
}
function num(x) { return x == "" ? "null" : x }
# One cell: a table line, a results.csv row, a results.json object.
function cell(k, p, first,    tp, sp, gp, am, a2, a4, a64) {
    tp = (k, p) in thr ? sprintf("%.1f%s", thr[k, p], (k, p) in wallonly ? "*" : "") : "fail"
    sp = ((k, p) in thr && (k, 1) in thr) ? sprintf("%.2f", thr[k, p] / thr[k, 1]) : ""
    gp = (k, p) in s ? sprintf("%.1f", 100 * s[k, p]) : ""
    a2 = a4 = a64 = am = ""
    if ((k, 1) in s) {
        a2 = sprintf("%.2f", amdahl(s[k, 1], 2)); a4 = sprintf("%.2f", amdahl(s[k, 1], 4))
        a64 = sprintf("%.2f", amdahl(s[k, 1], 64))
        if (first) am = sprintf(" %5s %5s %5s", a2, a4, a64)
    }
    printf "%-*s %4s %10s %8s %7s %5s |%s%s\n", width, first ? label(k) : "", p, tp, sp == "" ? "n/a" : sp "x",
        gp == "" ? "n/a" : gp "%", vcpus[k, p] == "" ? "n/a" : vcpus[k, p], am,
        (failed[k, p] ? sprintf("  (%d run(s) failed, left out)", failed[k, p]) : "") \
        (wrong[k, p] ? sprintf("  (DIGEST DIFFERS in %d run(s))", wrong[k, p]) : "")
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s\n", k, refused[k], p, (k, p) in thr ? sprintf("%.2f", thr[k, p]) : "",
        sp, gp, vcpus[k, p], (k, p) in wallonly ? "whole-run" : "guest", failed[k, p], a2, a4, a64 > (out "/results.csv")
    printf "%s  {\"set\": %s, \"label\": %s, \"smp\": %s, \"requests_per_s\": %s, \"speedup\": %s, " \
           "\"gkl_pct\": %s, \"vcpus\": %s, \"timing\": %s, \"failed_runs\": %d, " \
           "\"amdahl\": {\"2\": %s, \"4\": %s, \"64\": %s}}", nrows++ ? ",\n" : "", q(k), q(label(k)), p,
        num((k, p) in thr ? sprintf("%.2f", thr[k, p]) : ""), num(sp), num(gp), num(vcpus[k, p]),
        q((k, p) in wallonly ? "whole-run" : "guest"), failed[k, p], num(a2), num(a4), num(a64) > (out "/results.json")
}

NR == 1 { next }
{
    k = $1; smp = $2
    if ($12 != "" && (minload == "" || $12 < minload + 0)) minload = $12
    if ($12 != "" && $12 > maxload + 0) maxload = $12
    if ($3 == "baseline") next          # the digest reference only, not a cell
    if (!(k in seenset)) { seenset[k] = 1; sets[++nsets] = k; npeels[k] = k == "none" ? 0 : split(k, tmp, "+") }
    if ($11 != "" && refused[k] == "") refused[k] = $11
    if (!(smp in seensmp)) { seensmp[smp] = 1; smps[++nsmps] = smp }
    cells[k, smp] = 1
    if (ref != "" && $10 != "" && $10 != ref) wrong[k, smp]++
    if ($4 != 1 || $5 == "") { failed[k, smp]++; next }
    t = $6 > 0 ? $5 * 1000 / $6 : $5 * 1000 / $9
    list[k, smp] = list[k, smp] " " t
    if ($6 > 0) gkl[k, smp] = gkl[k, smp] " " $8 / $6; else wallonly[k, smp] = 1
    if ($7 > vcpus[k, smp]) vcpus[k, smp] = $7
}
END {
    for (c in list) thr[c] = median(list[c])
    for (c in gkl) s[c] = median(gkl[c])
    width = 8
    for (i = 1; i <= nsets; i++) if (length(label(sets[i])) > width) width = length(label(sets[i]))

    printf "banana-peel chart: classic W=%d R=%d (%d requests), -accel tcg,thread=multi, median of each cell's runs\n", w, r, w * r
    printf "%-*s %4s %10s %8s %7s %5s | %s\n", width, "peel set", "smp", "req/s", "vs smp1", "GKL", "vCPUs",
        "Amdahl x2    x4   x64"
    print "set,refused,smp,requests_per_s,speedup,gkl_pct,vcpus,timing,failed_runs,amdahl_2,amdahl_4,amdahl_64" > (out "/results.csv")
    print "[" > (out "/results.json")
    for (i = 1; i <= nsets; i++) {
        first = 1
        for (j = 1; j <= nsmps; j++)
            if ((sets[i], smps[j]) in cells) { cell(sets[i], smps[j], first); first = 0 }
    }
    print "\n]" > (out "/results.json")
    for (c in wallonly) {
        print "* the host did not report how long the guest ran: whole QEMU run, boot included; GKL n/a"
        break
    }
    if (maxload != "")
        printf "host load average (1 min) after each run: %s to %s; other work on the machine skews the ratios\n", minload, maxload

    # gnuplot data: quoted labels, "?" where a value is missing
    printf "set" > (out "/banana.dat")
    for (j = 1; j <= nsmps; j++) printf " %s", q("-smp " smps[j]) > (out "/banana.dat")
    print "" > (out "/banana.dat")
    for (i = 1; i <= nsets; i++) {
        printf "%s", q(label(sets[i])) > (out "/banana.dat")
        for (j = 1; j <= nsmps; j++)
            printf " %s", (sets[i], smps[j]) in thr ? thr[sets[i], smps[j]] : "?" > (out "/banana.dat")
        print "" > (out "/banana.dat")
    }
    printf "N" > (out "/amdahl.dat"); printf "N" > (out "/measured.dat")
    for (i = 1; i <= nsets; i++) { printf " %s", q(label(sets[i])) > (out "/amdahl.dat"); printf " %s", q(label(sets[i])) > (out "/measured.dat") }
    print "" > (out "/amdahl.dat"); print "" > (out "/measured.dat")
    for (n = 1; n <= 64; n *= 2) {
        printf "%d", n > (out "/amdahl.dat")
        for (i = 1; i <= nsets; i++) printf " %s", (sets[i], 1) in s ? amdahl(s[sets[i], 1], n) : "?" > (out "/amdahl.dat")
        print "" > (out "/amdahl.dat")
    }
    for (j = 1; j <= nsmps; j++) {
        printf "%d", smps[j] > (out "/measured.dat")
        for (i = 1; i <= nsets; i++)
            printf " %s", ((sets[i], smps[j]) in thr && (sets[i], 1) in thr) ? thr[sets[i], smps[j]] / thr[sets[i], 1] : "?" > (out "/measured.dat")
        print "" > (out "/measured.dat")
    }

    # The targets: the set with the most peels, and the unpeeled one
    full = ""
    for (i = 1; i <= nsets; i++) if (full == "" || npeels[sets[i]] > npeels[full]) full = sets[i]
    print ""
    check("with every peel", npeels[full] > 0 ? full : "", 1.8)
    check("with no peel", "none" in seenset ? "none" : "", 0.95)
}
