#!/usr/bin/env python3
"""Concurrent load client for Weft (Python 3 standard library only).

Used by scripts/fault-check (orders only, two processes, faults injected meanwhile) and by
benchmarks/mixed-load.sh (orders, quotes, capacity updates and reads). Each thread keeps one
keep-alive connection per server URL.

Orders behave like a careful broker: every order has its own Idempotency-Key (also sent as
its `reference`), and the request is sent again with the same key and body after a 503, a
409 (the first attempt is still running), a connection error or a timeout, alternating
between the URLs, until it gets another 2xx or 4xx. Every acknowledged order is written to
--orders-out as `key,order_id,status` so that the caller can check the database against
what clients were told. Other kinds are not retried: their failures are only counted.

Stops after --duration seconds or when --stop-file exists; orders in flight are finished
(retried to an answer) first. Prints a summary and writes the figures as JSON (--json-out).
"""
import argparse
import datetime
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse

# Relative weights of the request kinds in the mixed load.
MIX = {"order": 35, "quote": 25, "capacity": 10, "get_order": 10, "list_orders": 10, "read_capacity": 10}
ORDER_GIVE_UP_SECONDS = 90


class Stats:
    """Outcomes and latencies per kind, and a per-second timeline of successes and failures."""

    def __init__(self, start):
        self.start = start
        self.lock = threading.Lock()
        self.latency = {}        # kind -> [seconds] of 2xx answers
        self.counts = {}         # kind -> {outcome: n}
        self.failure_latency = []  # seconds taken by 503 answers (how fast the failure came)
        self.not_problem_json = 0  # 503s without a problem+json body
        self.details = {}        # the 503s' problem details (truncated) -> n
        self.timeline = {}       # second -> {"ok": n, "503": n, "conn": n, ...}

    def add(self, kind, outcome, seconds, at):
        second = int(at - self.start)
        with self.lock:
            self.counts.setdefault(kind, {}).setdefault(outcome, 0)
            self.counts[kind][outcome] += 1
            if outcome == "2xx":
                self.latency.setdefault(kind, []).append(seconds)
            elif outcome == "503":
                self.failure_latency.append(seconds)
            bucket = self.timeline.setdefault(second, {})
            key = "ok" if outcome in ("2xx", "4xx") else outcome
            bucket[key] = bucket.get(key, 0) + 1


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Client:
    def __init__(self, args):
        self.args = args
        self.urls = [urllib.parse.urlsplit(u) for u in args.urls.split(",")]
        self.start = time.monotonic()
        self.deadline = self.start + args.duration
        self.stats = Stats(self.start)
        self.orders_lock = threading.Lock()
        self.orders = []          # (key, id, status)
        self.order_ids = []       # for reads
        self.refused = []         # (key, status, body) of orders answered with an unexpected 4xx
        self.gave_up = []         # keys never answered within ORDER_GIVE_UP_SECONDS
        self.replays = 0
        self.retried_orders = 0
        self.capacity_counter = 0
        self.factories = []
        if args.factories:
            with open(args.factories) as f:
                self.factories = [line.strip() for line in f if line.strip()]
        weights = MIX if args.mix == "mixed" else {"order": 1}
        self.kinds = list(weights)
        self.weights = [weights[k] for k in self.kinds]

    def stopping(self):
        return time.monotonic() >= self.deadline or (self.args.stop_file and os.path.exists(self.args.stop_file))

    # One HTTP exchange. Returns (status or "conn"/"timeout", body bytes, headers dict, seconds).
    def exchange(self, conns, index, method, path, body, headers):
        url = self.urls[index]
        conn = conns.get(index)
        if conn is None:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=self.args.timeout)
            conns[index] = conn
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            header_map = {k.lower(): v for k, v in response.getheaders()}
            if header_map.get("connection", "").lower() == "close":
                conn.close()
                conns.pop(index, None)
            return response.status, data, header_map, time.monotonic() - started
        except (socket.timeout, TimeoutError):
            conn.close()
            conns.pop(index, None)
            return "timeout", b"", {}, time.monotonic() - started
        except (OSError, http.client.HTTPException):
            conn.close()
            conns.pop(index, None)
            return "conn", b"", {}, time.monotonic() - started

    def record(self, kind, status, data, headers, seconds):
        if status in ("conn", "timeout"):
            outcome = status
        elif 200 <= status < 300:
            outcome = "2xx"
        elif status == 503:
            outcome = "503"
            try:
                detail = json.loads(data).get("detail", "")[:90]
            except ValueError:
                detail = "(not JSON)"
            with self.stats.lock:
                self.stats.details[detail] = self.stats.details.get(detail, 0) + 1
                if not headers.get("content-type", "").startswith("application/problem+json"):
                    self.stats.not_problem_json += 1
        elif status >= 500:
            outcome = "5xx"
        else:
            outcome = "4xx"
        self.stats.add(kind, outcome, seconds, time.monotonic())
        return outcome

    def order_body(self, rng, reference=None):
        due = datetime.date.today() + datetime.timedelta(days=rng.randint(self.args.due_min, self.args.due_max))
        order = {"capability": "pcb.fab", "quantity": rng.randint(5, self.args.max_quantity), "due_date": due.isoformat(),
                 "max_factories": rng.randint(1, 4), "priority": rng.randint(1, 5)}
        if reference:
            order["reference"] = reference
        return json.dumps(order).encode()

    def submit_order(self, conns, rng, key, first_url):
        body = self.order_body(rng, reference=key)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.args.broker_key, "Idempotency-Key": key}
        began = time.monotonic()
        attempt = 0
        while True:
            index = (first_url + attempt) % len(self.urls)
            attempt += 1
            status, data, response_headers, seconds = self.exchange(conns, index, "POST", "/v1/orders", body, headers)
            outcome = self.record("order", status, data, response_headers, seconds)
            if outcome == "2xx":
                order_id = json.loads(data)["id"]
                with self.orders_lock:
                    self.orders.append((key, order_id, status))
                    self.order_ids.append(order_id)
                    if response_headers.get("idempotent-replayed") == "true":
                        self.replays += 1
                    if attempt > 1:
                        self.retried_orders += 1
                return
            if outcome == "4xx" and status != 409:
                with self.orders_lock:
                    self.refused.append((key, status, data[:300].decode(errors="replace")))
                return
            if time.monotonic() - began > ORDER_GIVE_UP_SECONDS:
                with self.orders_lock:
                    self.gave_up.append(key)
                return
            # 503, 409 (first attempt still running), 5xx, connection error or timeout: same key again.
            time.sleep(min(0.8, 0.05 * 2 ** min(attempt - 1, 4)) * rng.uniform(0.5, 1.0))

    def other_request(self, kind, conns, rng):
        broker = {"Authorization": "Bearer " + self.args.broker_key}
        admin = {"Authorization": "Bearer " + (self.args.admin_key or "")}
        index = rng.randrange(len(self.urls))
        today = datetime.date.today()
        if kind == "quote":
            request = ("POST", "/v1/quotes", self.order_body(rng), dict(broker, **{"Content-Type": "application/json"}))
        elif kind == "capacity":
            with self.orders_lock:
                # Rising units, so that an update never drops below what orders took meanwhile.
                self.capacity_counter += 1
                units = 1000 + self.capacity_counter
            days = rng.sample(range(self.args.days), rng.randint(1, 5))
            slots = [{"capability": "pcb.fab", "date": (today + datetime.timedelta(days=d)).isoformat(), "units": units,
                      "unit_cost": rng.randint(50, 150)} for d in days]
            path = "/v1/factories/%s/capacity" % rng.choice(self.factories)
            request = ("PUT", path, json.dumps({"slots": slots}).encode(), dict(admin, **{"Content-Type": "application/json"}))
        elif kind == "get_order":
            with self.orders_lock:
                order_id = rng.choice(self.order_ids) if self.order_ids else None
            if order_id is None:
                return
            request = ("GET", "/v1/orders/" + order_id, None, broker)
        elif kind == "list_orders":
            request = ("GET", "/v1/orders?limit=20&status=partial,unscheduled", None, broker)
        else:  # read_capacity
            path = "/v1/factories/%s/capacity?capability=pcb.fab&from=%s&to=%s" % (
                rng.choice(self.factories), today.isoformat(), (today + datetime.timedelta(days=13)).isoformat())
            request = ("GET", path, None, admin)
        status, data, headers, seconds = self.exchange(conns, index, *request)
        self.record(kind, status, data, headers, seconds)

    def worker(self, number):
        rng = random.Random(self.args.seed * 1000 + number)
        conns = {}
        count = 0
        while not self.stopping():
            kind = rng.choices(self.kinds, self.weights)[0]
            if kind == "order":
                count += 1
                self.submit_order(conns, rng, "%s-%d-%d" % (self.args.tag, number, count), (number + count) % len(self.urls))
            else:
                self.other_request(kind, conns, rng)
        for conn in conns.values():
            conn.close()

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(n,), daemon=True) for n in range(self.args.threads)]
        for t in threads:
            t.start()
        if self.args.started_file:
            open(self.args.started_file, "w").close()
        for t in threads:
            t.join()
        self.elapsed = time.monotonic() - self.start

    def report(self):
        stats = self.stats
        elapsed = self.elapsed
        lines = ["%-14s %9s %8s %8s %8s %6s %6s %6s %8s %5s" % (
            "kind", "requests", "2xx/s", "p50 ms", "p99 ms", "4xx", "503", "conn", "timeout", "5xx")]
        all_ok = []
        totals = {}
        for kind in self.kinds:
            counts = stats.counts.get(kind, {})
            latency = stats.latency.get(kind, [])
            all_ok += latency
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            lines.append("%-14s %9d %8.1f %8.2f %8.2f %6d %6d %6d %8d %5d" % (
                kind, sum(counts.values()), counts.get("2xx", 0) / elapsed, percentile(latency, 50) * 1000,
                percentile(latency, 99) * 1000, counts.get("4xx", 0), counts.get("503", 0), counts.get("conn", 0),
                counts.get("timeout", 0), counts.get("5xx", 0)))
        lines.append("%-14s %9d %8.1f %8.2f %8.2f %6d %6d %6d %8d %5d" % (
            "all", sum(totals.values()), totals.get("2xx", 0) / elapsed, percentile(all_ok, 50) * 1000,
            percentile(all_ok, 99) * 1000, totals.get("4xx", 0), totals.get("503", 0), totals.get("conn", 0),
            totals.get("timeout", 0), totals.get("5xx", 0)))
        print("%d threads, %.1f s, %d URL(s)" % (self.args.threads, elapsed, len(self.urls)))
        print("\n".join(lines))
        print("orders acknowledged: %d (%d needed more than one attempt, %d answered by an Idempotency-Key replay); "
              "refused with 4xx: %d; given up: %d" % (len(self.orders), self.retried_orders, self.replays,
                                                      len(self.refused), len(self.gave_up)))
        for key, status, body in self.refused[:5]:
            print("  refused %s: %s %s" % (key, status, body))
        failures = sorted(s for s, b in stats.timeline.items() if any(k != "ok" for k in b))
        summary = {
            "elapsed": elapsed, "counts": stats.counts, "orders": len(self.orders), "retried_orders": self.retried_orders,
            "replays": self.replays, "refused": len(self.refused), "gave_up": len(self.gave_up),
            "server_errors": totals.get("5xx", 0), "failures_503": totals.get("503", 0),
            "conn_errors": totals.get("conn", 0), "timeouts": totals.get("timeout", 0),
            "max_503_seconds": max(stats.failure_latency, default=0.0),
            "p99_503_seconds": percentile(stats.failure_latency, 99) if stats.failure_latency else 0.0,
            "not_problem_json": stats.not_problem_json,
            "failure_seconds": failures,
        }
        if failures:
            print("failed requests (503 / connection error / timeout / other 5xx) in seconds %d-%d of the run; "
                  "503s answered in at most %.2f s (p99 %.2f s); %d 503s without problem+json" % (
                      failures[0], failures[-1], summary["max_503_seconds"], summary["p99_503_seconds"], stats.not_problem_json))
            for detail, n in sorted(stats.details.items(), key=lambda item: -item[1])[:4]:
                print("  %5d x 503 \"%s\"" % (n, detail))
            print("timeline around the failures (second: answered / 503 / conn / timeout / 5xx):")
            for second in range(max(0, failures[0] - 2), min(int(elapsed) + 1, failures[-1] + 4)):
                b = stats.timeline.get(second, {})
                print("  %3d: %5d / %4d / %4d / %4d / %4d" % (second, b.get("ok", 0), b.get("503", 0), b.get("conn", 0),
                                                             b.get("timeout", 0), b.get("5xx", 0)))
        else:
            print("no failed requests")
        return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", required=True, help="comma-separated base URLs (http://127.0.0.1:8080,...)")
    parser.add_argument("--broker-key", required=True)
    parser.add_argument("--admin-key", help="for capacity updates and reads (mixed load)")
    parser.add_argument("--factories", help="file with one factory id a line (mixed load)")
    parser.add_argument("--mix", choices=["orders", "mixed"], default="orders")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--stop-file", help="stop as soon as this file exists")
    parser.add_argument("--started-file", help="create this file once the load is under way (second 0 of the timeline)")
    parser.add_argument("--timeout", type=float, default=20, help="seconds before a request counts as timed out")
    parser.add_argument("--days", type=int, default=30, help="days of seeded capacity (capacity updates)")
    parser.add_argument("--due-min", type=int, default=5)
    parser.add_argument("--due-max", type=int, default=29)
    parser.add_argument("--max-quantity", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tag", default="load-%d" % os.getpid(), help="prefix of the Idempotency-Keys")
    parser.add_argument("--orders-out", help="write key,order_id,status of every acknowledged order here")
    parser.add_argument("--json-out", help="write the figures here as JSON")
    args = parser.parse_args()
    if args.mix == "mixed" and not (args.admin_key and args.factories):
        parser.error("--mix mixed needs --admin-key and --factories")

    client = Client(args)
    client.run()
    summary = client.report()
    if args.orders_out:
        with open(args.orders_out, "w") as f:
            for key, order_id, status in client.orders:
                f.write("%s,%s,%s\n" % (key, order_id, status))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=1)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
