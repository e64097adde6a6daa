#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a bench run directory into results.csv, results.md and chart.dat.

    report.py OUTDIR

Reads OUTDIR/raw/<mtu>/<workload>.<device>.<run>.json (fio JSON),
OUTDIR/raw/<mtu>/status.<device> and OUTDIR/swap/<variant>.<run>.txt
(memx_sort's output). Every figure is the median of the runs, with the
spread as +-half the min-max range in percent of the median. Ratios are
taken between medians of the same run (same guest, same MTU).

For the 70/30 mix, IOPS and bandwidth are read + write, the mean latency
is the IOPS-weighted mean of both and p99 the larger of the two.
"""
import csv
import glob
import json
import os
import re
import statistics
import sys

WORKLOADS = ["randread-qd1", "randread-qd16", "randwrite-qd1",
             "randwrite-qd16", "seqread-qd4", "seqwrite-qd4", "randrw-qd16"]
DEVICES = ["memx", "brd", "zram", "nbd", "aoe"]
SWAP = ["memx", "nbd", "zram", "noswap"]


def p99(side):
    pct = side.get("lat_ns", {}).get("percentile") or \
        side.get("clat_ns", {}).get("percentile") or {}
    for k, v in pct.items():
        if abs(float(k) - 99.0) < 1e-6:
            return v / 1000.0
    return float("nan")


def parse_fio(path):
    with open(path) as f:
        txt = f.read()
    # fio may print warnings before the JSON object
    j = json.loads(txt[txt.index("{"):])
    job = j["jobs"][0]
    if job.get("error"):
        raise ValueError("fio error %d" % job["error"])
    sides = [job[d] for d in ("read", "write") if job[d]["total_ios"] > 0]
    iops = sum(s["iops"] for s in sides)
    bw = sum(s["bw_bytes"] for s in sides) / 2**20
    if iops > 0:
        mean = sum(s["lat_ns"]["mean"] * s["iops"] for s in sides) / iops / 1000
    else:
        mean = float("nan")
    return {"iops": iops, "bw": bw, "lat": mean,
            "p99": max(p99(s) for s in sides) if sides else float("nan")}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    if len(xs) < 2:
        return 0.0
    m = statistics.median(xs)
    return 100.0 * (max(xs) - min(xs)) / 2 / m if m else 0.0


def fmt(x, nd=0):
    if x != x:  # nan
        return "-"
    if nd == 0:
        return "{:,.0f}".format(x)
    return "{:,.{}f}".format(x, nd)


def ratio(a, b):
    if a != a or b != b or not b:
        return float("nan")
    return a / b


def main():
    out = sys.argv[1]
    raw = os.path.join(out, "raw")
    rows = []       # per run
    summ = {}       # (mtu, wl, dev) -> dict of medians
    status = {}     # (mtu, dev) -> text
    mtus = sorted((d for d in os.listdir(raw) if d.isdigit()), key=int) \
        if os.path.isdir(raw) else []
    for mtu in mtus:
        for p in glob.glob(os.path.join(raw, mtu, "status.*")):
            with open(p) as f:
                status[(mtu, p.rsplit(".", 1)[1])] = f.read().strip()
        runs = {}
        for p in glob.glob(os.path.join(raw, mtu, "*.json")):
            m = re.match(r"(.+)\.(\w+)\.(\d+)\.json$", os.path.basename(p))
            if not m or m.group(1) not in WORKLOADS:
                continue
            try:
                r = parse_fio(p)
            except (ValueError, KeyError, IndexError) as e:
                print("report: %s: %s" % (p, e), file=sys.stderr)
                continue
            wl, dev, run = m.group(1), m.group(2), int(m.group(3))
            runs.setdefault((wl, dev), []).append(r)
            rows.append([mtu, wl, dev, run, "%.0f" % r["iops"],
                         "%.2f" % r["bw"], "%.1f" % r["lat"],
                         "%.1f" % r["p99"]])
        for (wl, dev), rs in runs.items():
            s = {k: med([r[k] for r in rs]) for k in ("iops", "bw", "lat", "p99")}
            s["n"] = len(rs)
            s["spread"] = spread([r["iops"] for r in rs])
            summ[(mtu, wl, dev)] = s

    swap = {}
    for p in glob.glob(os.path.join(out, "swap", "*.txt")):
        m = re.match(r"(\w+)\.(\d+)\.txt$", os.path.basename(p))
        if not m:
            continue
        with open(p) as f:
            txt = f.read()
        t = re.search(r"^ok \S+ sorted in ([0-9.]+) s", txt, re.M)
        w = re.search(r"^wall ([0-9.]+)", txt, re.M)
        ent = swap.setdefault(m.group(1), {"t": [], "fail": [], "ran": []})
        ran = [float(x) for x in re.findall(r"^running ([0-9.]+) s", txt, re.M)]
        if t:
            ent["t"].append(float(w.group(1)) if w else float(t.group(1)))
        else:
            last = [ln for ln in txt.strip().splitlines() if ln.strip()]
            why = last[-1] if last else "no output"
            oom = re.search(r"^oom_kill ([1-9]\d*)", txt, re.M)
            if oom or re.search(r"\bKilled\b.*memx_sort", txt):
                why = "memx_sort OOM-killed; " + why
            io = re.search(r"^stopped: (.*)", txt, re.M)
            if io:
                why = io.group(1)
            # still sorting when its guest was ended: a lower bound
            if ran and not oom and re.search(r"client guest exit 124", txt):
                ent["ran"].append(max(ran))
                why = "still running after %.0f s; %s" % (max(ran), why)
            ent["fail"].append("run %s: %s" % (m.group(2), why))

    def unfinished(v):
        """A variant that never finished: the longest it was seen running."""
        e = swap.get(v, {})
        return max(e["ran"]) if e.get("ran") and not e["t"] else float("nan")

    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "mtu", "workload", "device", "runs",
                    "iops", "iops_spread_pct", "bw_mib_s", "lat_mean_us",
                    "lat_p99_us", "x_brd", "x_nbd", "lat_over_brd",
                    "swap_s", "swap_spread_pct", "swap_over_noswap"])
        for (mtu, wl, dev), s in sorted(summ.items(),
                                        key=lambda k: (int(k[0][0]), WORKLOADS.index(k[0][1]), DEVICES.index(k[0][2]) if k[0][2] in DEVICES else 9)):
            b = summ.get((mtu, wl, "brd"), {})
            n = summ.get((mtu, wl, "nbd"), {})
            w.writerow(["fio", mtu, wl, dev, s["n"], "%.0f" % s["iops"],
                        "%.1f" % s["spread"], "%.2f" % s["bw"],
                        "%.1f" % s["lat"], "%.1f" % s["p99"],
                        "%.3f" % ratio(s["iops"], b.get("iops", float("nan"))),
                        "%.3f" % ratio(s["iops"], n.get("iops", float("nan"))),
                        "%.2f" % ratio(s["lat"], b.get("lat", float("nan"))),
                        "", "", ""])
        base = med(swap.get("noswap", {}).get("t", []))
        for v in SWAP:
            if v not in swap or not swap[v]["t"]:
                continue
            ts = swap[v]["t"]
            w.writerow(["swap", "", "memx_sort", v, len(ts), "", "", "", "",
                        "", "", "", "", "%.1f" % med(ts),
                        "%.1f" % spread(ts), "%.2f" % ratio(med(ts), base)])
    with open(os.path.join(out, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mtu", "workload", "device", "run", "iops", "bw_mib_s",
                    "lat_mean_us", "lat_p99_us"])
        w.writerows(sorted(rows))

    md = []
    info = ""
    gi = os.path.join(out, "info.txt")
    if os.path.exists(gi):
        with open(gi) as f:
            info = f.read().strip()
    md.append("# memx benchmark\n")
    if info:
        md.append("```\n%s\n```\n" % info)
    md.append("Medians of the runs (±: half the min-max range of IOPS, in % of "
              "the median). ×brd, ×NBD: IOPS (= bandwidth) over that device's "
              "in the same run; lat/brd: mean latency over brd's. Latency in "
              "µs, fio's total latency (submit to completion).\n")
    for mtu in mtus:
        md.append("## MTU %s\n" % mtu)
        bad = ["%s: %s" % (d, status[(mtu, d)]) for d in DEVICES
               if (mtu, d) in status and status[(mtu, d)] != "ok"]
        if bad:
            md.append("Failures: " + "; ".join(bad) + "\n")
        for wl in WORKLOADS:
            devs = [d for d in DEVICES if (mtu, wl, d) in summ]
            if not devs:
                continue
            md.append("### %s\n" % wl)
            md.append("| device | IOPS | ± | MiB/s | mean lat | p99 lat | ×brd | ×NBD | lat/brd |")
            md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            b = summ.get((mtu, wl, "brd"), {})
            n = summ.get((mtu, wl, "nbd"), {})
            for d in devs:
                s = summ[(mtu, wl, d)]
                md.append("| %s | %s | %s%% | %s | %s | %s | %s | %s | %s |" % (
                    d, fmt(s["iops"]), fmt(s["spread"], 1), fmt(s["bw"], 1),
                    fmt(s["lat"], 1), fmt(s["p99"], 1),
                    fmt(ratio(s["iops"], b.get("iops", float("nan"))), 2),
                    fmt(ratio(s["iops"], n.get("iops", float("nan"))), 2),
                    fmt(ratio(s["lat"], b.get("lat", float("nan"))), 2)))
            md.append("")

    if swap:
        md.append("## Swap-heavy job (memx_sort)\n")
        md.append("| swap on | runs | time s | ± | ÷ no swap | ÷ NBD |")
        md.append("|---|--:|--:|--:|--:|--:|")
        nb = med(swap.get("nbd", {}).get("t", []))
        nbl = unfinished("nbd")
        for v in SWAP:
            if v not in swap:
                continue
            ts = swap[v]["t"]
            shown = fmt(med(ts), 1)
            if unfinished(v) == unfinished(v):
                shown = "> %.0f (unfinished)" % unfinished(v)
            md.append("| %s | %d | %s | %s%% | %s | %s |" % (
                "none (enough RAM)" if v == "noswap" else v, len(ts),
                shown, fmt(spread(ts), 1), fmt(ratio(med(ts), base), 2),
                "< " + fmt(ratio(med(ts), nbl), 2) if nbl == nbl and ts
                else fmt(ratio(med(ts), nb), 2)))
        md.append("")
        for v in SWAP:
            for fl in swap.get(v, {}).get("fail", []):
                md.append("- %s failed: %s" % (v, fl))
        md.append("")

    # the bars for memx
    bars = []

    def get(mtu, wl, dev, k):
        return summ.get((mtu, wl, dev), {}).get(k, float("nan"))

    for mtu in mtus:
        for wl in ("randread-qd1", "randwrite-qd1"):
            for peer in ("nbd", "aoe"):
                r = ratio(get(mtu, wl, "memx", "iops"), get(mtu, wl, peer, "iops"))
                bars.append((mtu, "%s IOPS ≥ 6× %s" % (wl, peer.upper()), r, r >= 6))
        for wl in ("seqread-qd4", "seqwrite-qd4"):
            r = ratio(get(mtu, wl, "memx", "bw"), get(mtu, wl, "nbd", "bw"))
            bars.append((mtu, "%s MiB/s ≥ 3× NBD" % wl, r, r >= 3))
        lim = 4 if mtu == "9000" else 5
        r = ratio(get(mtu, "randread-qd1", "memx", "lat"),
                  get(mtu, "randread-qd1", "brd", "lat"))
        bars.append((mtu, "randread-qd1 mean lat ≤ %d× brd" % lim, r, r <= lim))
    if swap:
        mx = med(swap.get("memx", {}).get("t", []))
        nbl = unfinished("nbd")
        if nbl != nbl:
            r = ratio(mx, med(swap.get("nbd", {}).get("t", [])))
            bars.append(("-", "swap job time ≤ 0.5× NBD", r, r <= 0.5))
        else:
            # NBD never finished: its time exceeds the longest it ran
            r = ratio(mx, nbl)
            bars.append(("-", "swap job time ≤ 0.5× NBD (NBD unfinished "
                         "after %.0f s)" % nbl, "< " + fmt(r, 2) + "×",
                         r <= 0.5 if r == r else None))
    md.append("## The issue's bars for memx\n")
    md.append("| MTU | bar | measured | met |")
    md.append("|---|---|--:|---|")
    for mtu, what, r, ok in bars:
        if not isinstance(r, str):
            r, ok = fmt(r, 2) + "×", ok if r == r else None
        md.append("| %s | %s | %s | %s |" % (mtu, what, r,
                                          "-" if ok is None else ("yes" if ok else "**no**")))
    md.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md))

    # chart data: one block per MTU; rows = workloads, columns = devices,
    # throughput relative to brd (log scale in the chart)
    with open(os.path.join(out, "chart.dat"), "w") as f:
        for mtu in mtus:
            f.write("# MTU %s\nworkload %s\n" % (mtu, " ".join(DEVICES)))
            for wl in WORKLOADS:
                b = get(mtu, wl, "brd", "iops")
                f.write("%s %s\n" % (wl, " ".join(
                    ("%.4g" % ratio(get(mtu, wl, d, "iops"), b))
                    if ratio(get(mtu, wl, d, "iops"), b) == ratio(get(mtu, wl, d, "iops"), b)
                    else "NaN" for d in DEVICES)))
            f.write("\n\n")
    with open(os.path.join(out, "swap.dat"), "w") as f:
        f.write("variant seconds ratio label\n")
        for v in SWAP:
            ts = swap.get(v, {}).get("t", [])
            if ts:
                f.write("%s %.1f %.2f \"%.0f s\"\n" % (v, med(ts), ratio(med(ts), base), med(ts)))
            elif unfinished(v) == unfinished(v):
                lb = unfinished(v)
                f.write("%s %.1f %.2f \"> %.0f s, unfinished\"\n" % (v, lb, ratio(lb, base), lb))
            elif v in swap:
                f.write("%s NaN 0 \"failed\"\n" % v)
    print("\n".join(md))


if __name__ == "__main__":
    main()
