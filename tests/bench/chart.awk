# The banana-peel chart's numbers, from runs.csv (tests/bench/chart.sh):
#   awk -F, -v out=DIR -v w=W -v r=R -v ref=DIGEST -v bref=SHORT_DIGEST -f tests/bench/chart.awk runs.csv
# prints the table and the target checks, and writes DIR/results.csv and
# DIR/results.json (one row per set x smp), DIR/banana.dat (throughput, set
# x smp), DIR/amdahl.dat (projection per set to 64 CPUs), DIR/measured.dat
# (measured speedups) and DIR/plot.txt (what the bars are, a note) for
# gnuplot.
#
# A row is a main run when its last column r is R (or absent: a runs.csv
# from before the short runs), a short run when r is less (R0).  A run
# counts if QEMU said success (1) and the guest printed REQUESTS; one whose
# digest is not ref (main runs: the unpeeled -smp 1 run's) or bref (short
# runs: the reference model's for W, R0) is flagged.
#
# Whole run: REQUESTS over the host's "ran N ms", the median of the cell's
# main runs; where the host did not say it, over the whole QEMU run (boot
# included), marked '*'.  GKL% (whole run) is the median of GKL held / ran.
# Steady state: the fixed part (boot, mount, fsck) is the same in a main
# and a short run, so with medians over each cell's runs
#   steady req/s = W (R - R0) 1000 / (ran_R - ran_R0)
#   steady GKL   = (gkl_R - gkl_R0) / (ran_R - ran_R0)
# n/a where a run kind is missing or the time difference is not positive.
# A set's Amdahl projection uses its steady GKL share s at -smp 1 (its
# whole-run share where that is n/a, marked '~'):
# speedup(N) = 1 / (s + (1 - s) / N).
#
# This machine's speed changes by half from one run to the next (shared
# cores), so the targets' ratios, read from wall clocks, land on either side
# of a line they are near.  Where the checksum natives ran (column 15: their
# own time a call, pure loops whose cost only the machine sets), each run's
# time is also taken in those units, and the every-peel steady ratio is
# printed from them too, beside the target's: the same measurement with the
# machine's speed taken out run by run (docs/bench.md, "Reading it on a
# small, shared machine").

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
# A target: -smp 2 over -smp 1 of the throughput in t (thr or stdy).
function check(what, k, target, t, kind,    x) {
    if (k == "") {
        printf "%s, %s: SKIP (not measured)\n", what, kind
        return
    }
    if (!((k, 1) in t) || !((k, 2) in t)) {
        printf "%s %s, %s: SKIP (n/a at -smp 1 or 2)\n", what, label(k), kind
        return
    }
    x = t[k, 2] / t[k, 1]
    printf "%s %s, %s: -smp 2 = %.2fx -smp 1 (target >= %.2fx): %s\n", what, label(k), kind, x, target,
        (x >= target ? "PASS" : "MISS")
}
function num(x) { return x == "" ? "null" : x }
function na(x, suffix) { return x == "" ? "n/a" : x suffix }
# One cell: a table line, a results.csv row, a results.json object.
function cell(k, p, first,    tp, sp, gp, st, ss, sg, am, a2, a4, a64, tilde, notes) {
    tp = (k, p) in thr ? sprintf("%.1f%s", thr[k, p], (k, p) in wallonly ? "*" : "") : "fail"
    sp = ((k, p) in thr && (k, 1) in thr) ? sprintf("%.2f", thr[k, p] / thr[k, 1]) : ""
    gp = (k, p) in s ? sprintf("%.1f", 100 * s[k, p]) : ""
    st = (k, p) in stdy ? sprintf("%.1f", stdy[k, p]) : ""
    ss = ((k, p) in stdy && (k, 1) in stdy) ? sprintf("%.2f", stdy[k, p] / stdy[k, 1]) : ""
    sg = (k, p) in sgkl ? sprintf("%.1f", 100 * sgkl[k, p]) : ""
    a2 = a4 = a64 = am = ""
    if (k in sa) {
        a2 = sprintf("%.2f", amdahl(sa[k], 2)); a4 = sprintf("%.2f", amdahl(sa[k], 4))
        a64 = sprintf("%.2f", amdahl(sa[k], 64))
        tilde = (k in sawhole) ? "~" : ""
        if (first) am = sprintf(" %5s %5s %5s%s", a2, a4, a64, tilde)
    }
    notes = (failed[k, p] ? sprintf("  (%d run(s) failed, left out)", failed[k, p]) : "") \
        (bfailed[k, p] ? sprintf("  (%d short run(s) failed, left out)", bfailed[k, p]) : "") \
        (wrong[k, p] ? sprintf("  (DIGEST DIFFERS in %d run(s))", wrong[k, p]) : "") \
        (bwrong[k, p] ? sprintf("  (DIGEST DIFFERS in %d short run(s))", bwrong[k, p]) : "")
    printf "%-*s %4s %10s %7s %10s %7s %6s %6s %5s |%s%s\n", width, first ? label(k) : "", p,
        tp, na(sp, "x"), na(st, ""), na(ss, "x"), na(gp, "%"), na(sg, "%"),
        vcpus[k, p] == "" ? "n/a" : vcpus[k, p], am, notes
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%d,%s\n", k, refused[k], p, ((k, p) in thr ? sprintf("%.2f", thr[k, p]) : ""),
        sp, gp, vcpus[k, p], (k, p) in wallonly ? "whole-run" : "guest", failed[k, p], a2, a4, a64,
        ((k, p) in stdy ? sprintf("%.2f", stdy[k, p]) : ""), ss, sg, bfailed[k, p], (k in sa) ? ((k in sawhole) ? "whole-run" : "steady") : "" \
        > (out "/results.csv")
    printf "%s  {\"set\": %s, \"label\": %s, \"smp\": %s, \"requests_per_s\": %s, \"speedup\": %s, " \
           "\"gkl_pct\": %s, \"vcpus\": %s, \"timing\": %s, \"failed_runs\": %d, " \
           "\"steady_requests_per_s\": %s, \"steady_speedup\": %s, \"steady_gkl_pct\": %s, " \
           "\"failed_short_runs\": %d, \"amdahl_share\": %s, " \
           "\"amdahl\": {\"2\": %s, \"4\": %s, \"64\": %s}}", nrows++ ? ",\n" : "", q(k), q(label(k)), p,
        num(((k, p) in thr ? sprintf("%.2f", thr[k, p]) : "")), num(sp), num(gp), num(vcpus[k, p]),
        q((k, p) in wallonly ? "whole-run" : "guest"), failed[k, p],
        num(((k, p) in stdy ? sprintf("%.2f", stdy[k, p]) : "")), num(ss), num(sg), bfailed[k, p],
        (k in sa) ? q((k in sawhole) ? "whole-run" : "steady") : "null",
        num(a2), num(a4), num(a64) > (out "/results.json")
}

BEGIN { split("", thr); split("", stdy); r0 = "" }
NR == 1 { next }
{
    k = $1; smp = $2
    if ($12 != "" && (minload == "" || $12 < minload + 0)) minload = $12
    if ($12 != "" && $12 > maxload + 0) maxload = $12
    if ($3 == "baseline") next          # the digest reference only, not a cell
    short = $14 != "" && $14 != r
    if (short) {
        if (r0 == "") r0 = $14
        if ($14 != r0) { otherr[$14] = 1; next }
    }
    if (!(k in seenset)) { seenset[k] = 1; sets[++nsets] = k; npeels[k] = k == "none" ? 0 : split(k, tmp, "+") }
    if ($11 != "" && refused[k] == "") refused[k] = $11
    if (!(smp in seensmp)) { seensmp[smp] = 1; smps[++nsmps] = smp }
    cells[k, smp] = 1
    if (short) {
        if (bref != "" && $10 != "" && $10 != bref) bwrong[k, smp]++
        if ($4 != 1 || $5 == "") { bfailed[k, smp]++; next }
        if ($6 > 0) { bran[k, smp] = bran[k, smp] " " $6; bgkl[k, smp] = bgkl[k, smp] " " $8 }
        if ($6 > 0 && $15 > 0) bnorm[k, smp] = bnorm[k, smp] " " $6 * 1000000 / $15
        next
    }
    if (ref != "" && $10 != "" && $10 != ref) wrong[k, smp]++
    if ($4 != 1 || $5 == "") { failed[k, smp]++; next }
    t = $6 > 0 ? $5 * 1000 / $6 : $5 * 1000 / $9
    list[k, smp] = list[k, smp] " " t
    if ($6 > 0) {
        gkl[k, smp] = gkl[k, smp] " " $8 / $6
        mran[k, smp] = mran[k, smp] " " $6; mgkl[k, smp] = mgkl[k, smp] " " $8
        if ($15 > 0) mnorm[k, smp] = mnorm[k, smp] " " $6 * 1000000 / $15
    } else wallonly[k, smp] = 1
    if ($7 > vcpus[k, smp]) vcpus[k, smp] = $7
}
END {
    for (c in list) thr[c] = median(list[c])
    for (c in mnorm)                             # steady time in checksum-call units
        if (c in bnorm && median(mnorm[c]) > median(bnorm[c])) nstdy[c] = median(mnorm[c]) - median(bnorm[c])
    for (c in gkl) s[c] = median(gkl[c])
    # steady state: the difference of the main and short runs' medians
    for (c in mran) {
        if (!(c in bran) || r0 == "") continue
        d = median(mran[c]) - median(bran[c])
        if (d <= 0) continue
        stdy[c] = w * (r - r0) * 1000 / d
        g = (median(mgkl[c]) - median(bgkl[c])) / d
        if (g >= 0 && g <= 1) sgkl[c] = g
    }
    for (i = 1; i <= nsets; i++) {
        k = sets[i]
        if ((k, 1) in sgkl) sa[k] = sgkl[k, 1]
        else if ((k, 1) in s) { sa[k] = s[k, 1]; sawhole[k] = 1 }
    }
    width = 8
    for (i = 1; i <= nsets; i++) if (length(label(sets[i])) > width) width = length(label(sets[i]))

    printf "banana-peel chart: classic W=%d R=%d (%d requests), -accel tcg,thread=multi, median of each cell's runs\n", w, r, w * r
    if (r0 != "")
        printf "steady state: main runs minus short runs of R=%d a worker (boot, mount and fsck cancel out); whole run: boot and fsck included\n", r0
    else
        print "no short runs (BENCH_BASE_REQUESTS=0, or an older runs.csv): whole run only, boot and fsck included"
    printf "%-*s %4s %18s %18s %13s %5s |\n", width, "", "", "---- whole run ---", "-- steady state --",
        "-- GKL % ---", ""
    printf "%-*s %4s %10s %7s %10s %7s %6s %6s %5s | %s\n", width, "peel set", "smp", "req/s", "vs smp1",
        "req/s", "vs smp1", "whole", "steady", "vCPUs", "Amdahl x2    x4   x64"
    print "set,refused,smp,requests_per_s,speedup,gkl_pct,vcpus,timing,failed_runs,amdahl_2,amdahl_4,amdahl_64," \
          "steady_requests_per_s,steady_speedup,steady_gkl_pct,failed_short_runs,amdahl_share" > (out "/results.csv")
    print "[" > (out "/results.json")
    for (i = 1; i <= nsets; i++) {
        first = 1
        for (j = 1; j <= nsmps; j++)
            if ((sets[i], smps[j]) in cells) { cell(sets[i], smps[j], first); first = 0 }
    }
    print "\n]" > (out "/results.json")
    for (c in wallonly) {
        print "* the host did not report how long the guest ran: whole QEMU run, boot included; GKL and steady state n/a"
        break
    }
    for (k in sawhole) {
        print "~ Amdahl from the whole-run GKL share: the steady-state share at -smp 1 is n/a"
        break
    }
    for (x in otherr) printf "short runs of R=%s left out: only one R0 (%s) is used\n", x, r0
    if (maxload != "")
        printf "host load average (1 min) after each run: %s to %s; other work on the machine skews the ratios\n", minload, maxload

    # The chart's bars and points: steady state if every measured cell has
    # it, else whole run for all (a mixed chart would compare unlike bars).
    bars = (r0 != "") ? "steady" : "whole"
    for (c in thr) if (!(c in stdy)) bars = "whole"
    note = ""
    if (bars == "whole" && r0 == "")
        note = "whole-run throughput (boot and fsck included): no short runs to take them off"
    else if (bars == "whole")
        note = "whole-run throughput (boot and fsck included): the steady state is n/a for some cells"
    for (c in wallonly) {
        note = note (note == "" ? "" : "; ") "some cells over the whole QEMU run: the host did not report how long the guest ran"
        break
    }
    print "bars=" bars > (out "/plot.txt")
    print "note=" note > (out "/plot.txt")

    # gnuplot data: quoted labels, "?" where a value is missing
    printf "set" > (out "/banana.dat")
    for (j = 1; j <= nsmps; j++) printf " %s", q("-smp " smps[j]) > (out "/banana.dat")
    print "" > (out "/banana.dat")
    for (i = 1; i <= nsets; i++) {
        printf "%s", q(label(sets[i])) > (out "/banana.dat")
        for (j = 1; j <= nsmps; j++) {
            c = sets[i] SUBSEP smps[j]
            printf " %s", bars == "steady" ? (c in stdy ? stdy[c] : "?") : (c in thr ? thr[c] : "?") > (out "/banana.dat")
        }
        print "" > (out "/banana.dat")
    }
    printf "N" > (out "/amdahl.dat"); printf "N" > (out "/measured.dat")
    for (i = 1; i <= nsets; i++) {
        printf " %s", q(label(sets[i]) ((sets[i] in sawhole) ? " (whole-run GKL)" : "")) > (out "/amdahl.dat")
        printf " %s", q(label(sets[i])) > (out "/measured.dat")
    }
    print "" > (out "/amdahl.dat"); print "" > (out "/measured.dat")
    for (n = 1; n <= 64; n *= 2) {
        printf "%d", n > (out "/amdahl.dat")
        for (i = 1; i <= nsets; i++) printf " %s", sets[i] in sa ? amdahl(sa[sets[i]], n) : "?" > (out "/amdahl.dat")
        print "" > (out "/amdahl.dat")
    }
    for (j = 1; j <= nsmps; j++) {
        printf "%d", smps[j] > (out "/measured.dat")
        for (i = 1; i <= nsets; i++) {
            c = sets[i] SUBSEP smps[j]; c1 = sets[i] SUBSEP 1
            if (bars == "steady") x = (c in stdy && c1 in stdy) ? stdy[c] / stdy[c1] : "?"
            else x = (c in thr && c1 in thr) ? thr[c] / thr[c1] : "?"
            printf " %s", x > (out "/measured.dat")
        }
        print "" > (out "/measured.dat")
    }

    # The targets: the set with the most peels, and the unpeeled one; on
    # the steady state (the workload alone) and on the whole run.
    full = ""
    for (i = 1; i <= nsets; i++) if (full == "" || npeels[sets[i]] > npeels[full]) full = sets[i]
    print ""
    check("with every peel", npeels[full] > 0 ? full : "", 1.8, stdy, "steady state")
    if (npeels[full] > 0 && (full, 1) in nstdy && (full, 2) in nstdy)
        printf "  (the same, each run timed in its own checksum native's time a call, the machine's speed taken out: %.2fx)\n",
            nstdy[full, 1] / nstdy[full, 2]
    check("with every peel", npeels[full] > 0 ? full : "", 1.8, thr, "whole run")
    check("with no peel", "none" in seenset ? "none" : "", 0.95, stdy, "steady state")
    check("with no peel", "none" in seenset ? "none" : "", 0.95, thr, "whole run")
}
