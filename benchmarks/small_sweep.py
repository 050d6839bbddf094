#!/usr/bin/env python3
"""Small-instance sweep: Weft against OR-Tools CP-SAT on the instances of `solver-bench sweep`.

    benchmarks/solver-bench.sh sweep --count 30 --time 2 --dir benchmarks/out/sweep     # Weft, writes sNN.json + weft-2s.json
    python3 benchmarks/small_sweep.py benchmarks/out/sweep --weft weft-2s --cpsat 2 --cpsat-long 60

Runs benchmarks/cpsat_reference.py on every exported instance at `--cpsat` seconds, and at
`--cpsat-long` seconds on those where the short run did not prove optimality (a proven optimum
cannot improve with more time; `--long-all` runs it on every instance). CP-SAT results are
cached beside the instances (sNN.cpsat-Ts.txt), so Weft can be re-run and compared again
without re-running CP-SAT. Prints one line per instance and the counts: proven optima, and
instances where Weft's plan is worse than CP-SAT's (lexicographic: unserved, then cost).
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"cp-sat\s+\((\d+), (-?\d+)\)\s+(.*?), ([\d.]+)s on")


def cpsat(path, seconds, workers):
    cache = path.replace(".json", f".cpsat-{seconds:g}s.txt")
    if not os.path.exists(cache):
        out = subprocess.run([sys.executable, os.path.join(HERE, "cpsat_reference.py"), path, "--time", str(seconds),
                              "--workers", str(workers)], capture_output=True, text=True)
        with open(cache, "w") as fh:
            fh.write(out.stdout + out.stderr)
    text = open(cache).read()
    m = LINE.search(text)
    if not m:
        return None
    status = m.group(3)
    return {"unserved": int(m.group(1)), "cost": int(m.group(2)), "status": status,
            "optimal": status.count("OPTIMAL") == 2, "seconds": float(m.group(4))}


def key(r):
    return (r["unserved"], r["cost"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--weft", default="weft-2s", help="the label of solver-bench sweep's results file")
    ap.add_argument("--cpsat", type=float, default=2.0)
    ap.add_argument("--cpsat-long", type=float, default=0.0, help="0: no long runs")
    ap.add_argument("--long-all", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    weft = json.load(open(os.path.join(args.dir, args.weft + ".json")))
    rows = []
    for w in weft["results"]:
        path = os.path.join(args.dir, w["name"] + ".json")
        short = cpsat(path, args.cpsat, args.workers)
        long = None
        if args.cpsat_long and (args.long_all or not (short and short["optimal"])):
            long = cpsat(path, args.cpsat_long, args.workers)
        elif args.cpsat_long and short and short["optimal"]:
            long = dict(short, inherited=True)
        rows.append((w, short, long))

    def verdict(w, c):
        if c is None:
            return "n/a"
        if key(w) < key(c):
            return "weft better"
        return "equal" if key(w) == key(c) else "WEFT WORSE"

    print(f"{'inst':5} {'shape':12} {'size':9} {'weft ' + args.weft:28} {'cp-sat %gs' % args.cpsat:34} "
          + (f"cp-sat {args.cpsat_long:g}s" if args.cpsat_long else ""))
    for w, s, l in rows:
        size = f"{w['orders']}x{w['factories']}x{w['days']}"
        wt = f"({w['unserved']}, {w['cost']}){' opt' if w['optimal'] else ''}"
        st = f"({s['unserved']}, {s['cost']}){' opt' if s['optimal'] else ''} {verdict(w, s)}" if s else "failed"
        lt = ""
        if l:
            lt = f"({l['unserved']}, {l['cost']}){' opt' if l['optimal'] else ''}{' (=short)' if l.get('inherited') else ''} {verdict(w, l)}"
        print(f"{w['name']:5} {w['shape']:12} {size:9} {wt:28} {st:34} {lt}")

    n = len(rows)
    weft_opt = sum(1 for w, _, _ in rows if w["optimal"])
    print(f"instances: {n}; Weft {args.weft}: proven optimal {weft_opt}")
    for label, idx in (("cp-sat %gs" % args.cpsat, 1), ("cp-sat %gs" % args.cpsat_long, 2)):
        if idx == 2 and not args.cpsat_long:
            continue
        got = [(w, r[idx - 1] if False else (s if idx == 1 else l)) for w, s, l in rows for r in [(s, l)]]
        opt = sum(1 for _, c in got if c and c["optimal"])
        worse = sum(1 for w, c in got if c and key(w) > key(c))
        better = sum(1 for w, c in got if c and key(w) < key(c))
        missed = sum(1 for w, c in got if c and c["optimal"] and not w["optimal"])
        print(f"{label}: proven optimal {opt}; Weft worse on {worse}, better on {better}, equal on {n - worse - better}; "
              f"CP-SAT proved but Weft did not: {missed}")


if __name__ == "__main__":
    main()
