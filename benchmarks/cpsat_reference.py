#!/usr/bin/env python3
"""Reference model of Weft's scheduling problem in OR-Tools CP-SAT (benchmarks only).

Reads an instance written by `solver-bench run ... --export FILE.json` (WeftCore's generator,
with the eligible (order, slot) pairs as WeftCore computes them), solves the same model —
capacity, quantity, minimum lot, split limit, lexicographic score (priority-weighted unserved
units first, then cost = units x unit cost + setup per (order, factory) used) — and prints
CP-SAT's score next to Weft's, greedy's and the bound stored in the file. Pooling is modelled
with integer batch variables: per (slot, pool group) with a batch cost, n whole batches with
n x batch_units >= units of the group (outside units included; n in {0, 1} with
slot units x n >= units when batch_units is unlimited), each costing batch_cost. The plan it finds can
be re-scored by WeftCore's verifier: `solver-bench verify --plan PLAN.json` with the same
instance flags.

    pip install ortools
    python3 benchmarks/cpsat_reference.py FILE.json [--time 60] [--workers 2] [--plan PLAN.json]
"""
import argparse
import json
import sys
import time

from ortools.sat.python import cp_model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("instance")
    ap.add_argument("--time", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--plan", help="write CP-SAT's plan here (JSON, for `solver-bench verify`)")
    ap.add_argument("--weighted", action="store_true", help="one weighted objective instead of two stages")
    args = ap.parse_args()

    with open(args.instance) as fh:
        inst = json.load(fh)
    if inst["allocations"]:
        print("instances with a starting plan are not supported by this reference model", file=sys.stderr)
        return 2
    factories, slots, orders, eligible = inst["factories"], inst["slots"], inst["orders"], inst["eligible"]

    m = cp_model.CpModel()
    x = {}            # (o, s) -> units
    by_slot = [[] for _ in slots]
    served = []
    setup_terms = []
    unit_terms = []
    for o, order in enumerate(orders):
        q = order["quantity"]
        per_factory = {}
        for s in eligible[o]:
            var = m.NewIntVar(0, min(q, slots[s]["units"]), f"x{o}_{s}")
            x[(o, s)] = var
            by_slot[s].append(var)
            per_factory.setdefault(slots[s]["factory"], []).append((s, var))
            unit_terms.append(slots[s]["unit_cost"] * var)
        order_vars = [var for f in per_factory for _, var in per_factory[f]]
        served_o = m.NewIntVar(0, q, f"served{o}")
        m.Add(served_o == sum(order_vars)) if order_vars else m.Add(served_o == 0)
        served.append(served_o)
        used = []
        for f, items in per_factory.items():
            y = m.NewBoolVar(f"y{o}_{f}")
            units_f = sum(v for _, v in items)
            room = min(q, sum(slots[s]["units"] for s, _ in items))
            m.Add(units_f <= room * y)
            m.Add(units_f >= order["min_lot"] * y)
            used.append(y)
            setup_terms.append(factories[f]["setup_cost"] * y)
        if used:
            m.Add(sum(used) <= order["max_factories"])
    for s, vars_ in enumerate(by_slot):
        if vars_:
            m.Add(sum(vars_) <= slots[s]["units"])

    # Batches per (slot, pool group): a pool, or one order without a pool.
    batch_terms = []
    groups = {}
    for (o, s), var in x.items():
        pool = orders[o].get("pool")
        groups.setdefault((s, pool if pool is not None else ("order", o)), []).append((o, var))
    for (s, key), items in groups.items():
        f = factories[slots[s]["factory"]]
        cost_b, size = f.get("batch_cost", 0), f.get("batch_units", 0)
        if cost_b <= 0:
            continue
        outside = slots[s].get("outside_pool_units", {}).get(key, 0) if isinstance(key, str) else 0
        most = min(slots[s]["units"], sum(orders[o]["quantity"] for o, _ in items))
        y = sum(v for _, v in items)
        if size == 0:
            if outside > 0:
                continue  # the open batch has room for everything
            n = m.NewBoolVar(f"n{s}_{len(batch_terms)}")
            m.Add(y <= most * n)
            batch_terms.append(cost_b * n)
        else:
            before = -(-outside // size)
            n = m.NewIntVar(before, -(-(outside + most) // size), f"n{s}_{len(batch_terms)}")
            m.Add(n * size >= y + outside)
            batch_terms.append(cost_b * (n - before))

    unserved = sum(order["priority"] * (order["quantity"] - served[o]) for o, order in enumerate(orders))
    cost = sum(unit_terms) + sum(setup_terms) + sum(batch_terms)

    # Lexicographic objective in two stages, the usual way with CP-SAT: first the least
    # unserved (half the time, or less if proven), then the least cost with unserved held at
    # the value found, starting from the first stage's plan. (`--weighted` instead solves one
    # weighted sum, which tends to do worse.)
    t0 = time.time()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = args.workers
    if args.weighted:
        max_cost = sum(o["quantity"] * max((slots[s]["unit_cost"] for s in eligible[i]), default=0) for i, o in enumerate(orders)) \
            + sum(f["setup_cost"] for f in factories) * len(orders) \
            + sum(f.get("batch_cost", 0) for f in factories) * len(slots) * (len(orders) + 1)
        m.Minimize((max_cost + 1) * unserved + cost)
        solver.parameters.max_time_in_seconds = args.time
        status = solver.Solve(m)
        stages = solver.StatusName(status)
    else:
        m.Minimize(unserved)
        solver.parameters.max_time_in_seconds = args.time / 2
        status = solver.Solve(m)
        stages = "unserved " + solver.StatusName(status)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best_unserved = int(solver.Value(unserved))
            m.ClearHints()
            for var in list(x.values()):
                m.AddHint(var, solver.Value(var))
            m.Add(unserved <= best_unserved)
            m.Minimize(cost)
            solver2 = cp_model.CpSolver()
            solver2.parameters.num_workers = args.workers
            solver2.parameters.max_time_in_seconds = max(1.0, args.time - (time.time() - t0))
            status2 = solver2.Solve(m)
            stages += ", cost " + solver2.StatusName(status2)
            if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                solver, status = solver2, status2
    elapsed = time.time() - t0
    name = stages
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        print(f"cp-sat: {name} after {elapsed:.1f}s")
        return 1
    u = int(solver.Value(unserved))
    c = int(solver.Value(cost))
    weft, greedy, bound = inst["weft"], inst["greedy"], inst.get("bound") or {}

    def better(a, b):
        return (a["unserved"], a["cost"]) < (b["unserved"], b["cost"])

    cp = {"unserved": u, "cost": c}
    verdict = "weft better" if better(weft, cp) else ("equal" if (weft["unserved"], weft["cost"]) == (u, c) else "cp-sat better")
    print(f"{inst['shape']} seed {inst['seed']}: {len(orders)} orders x {len(factories)} factories, {len(slots)} slots")
    print(f"  cp-sat  ({u}, {c})  {name}, {elapsed:.1f}s on {args.workers} workers")
    print(f"  weft    ({weft['unserved']}, {weft['cost']})  in {weft['search_seconds']:.1f}s")
    print(f"  greedy  ({greedy['unserved']}, {greedy['cost']})")
    if bound:
        print(f"  bound   ({bound['unserved']}, {bound['cost']})")
    print(f"  => {verdict}")
    if args.plan:
        plan = [{"order": o, "slot": s, "units": int(solver.Value(v))} for (o, s), v in x.items() if solver.Value(v) > 0]
        with open(args.plan, "w") as fh:
            json.dump({"allocations": plan}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
