#!/usr/bin/env python3
"""Soak test (opt-in, bounded, loopback only): many API clients for minutes while 100 schedules
fire every few seconds on real containers. Reports errors (must be 0), missed or doubled firings
(must be 0) and RSS at start and end (must be flat). Exit code 1 when any of those fails.

Usage: cargo build --release && python3 scripts/soak.py [--minutes 5] [--clients 16]
"""
import argparse, collections, json, os, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import IMAGE, Service, make_containers, remove_containers  # noqa: E402

PERIOD = 5  # seconds between firings of each schedule


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--schedules", type=int, default=100)
    args = ap.parse_args()
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        sys.exit(f"missing {IMAGE}: run `cargo test --test foundation` once (it builds it)")
    containers = make_containers(20, "soak-c")
    try:
        subprocess.run(["docker", "start"] + containers, check=True, capture_output=True)
        data = tempfile.mkdtemp(prefix="chrontainer-soak-")
        s = Service(data)
        ids = []
        for i in range(args.schedules):
            # restarts on 5 containers, pause+unpause pairs and skipped starts on the rest: real Docker work
            c = containers[i % len(containers)]
            action = "restart" if i % 20 == 0 else "start"
            sched = s.post("/api/schedules", {"container": c, "action": action, "cron": f"*/{PERIOD} * * * * *"})
            ids.append(sched["id"])
        time.sleep(2)
        rss_start = s.memory_kib()[0]
        t_start = time.time()
        deadline = t_start + args.minutes * 60
        counts, errors = collections.Counter(), collections.Counter()

        def client(n):
            paths = ["/api/containers", "/api/schedules", "/", "/logs", "/api/logs?limit=50", "/healthz"]
            i = n
            while time.time() < deadline:
                path = paths[i % len(paths)]
                i += 1
                try:
                    with urllib.request.urlopen(s.url + path, timeout=10) as r:
                        r.read()
                        counts[r.status] += 1
                except urllib.error.HTTPError as e:
                    errors[f"{path} {e.code}"] += 1
                except OSError as e:
                    errors[f"{path} {type(e).__name__}"] += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        rss_samples = []
        while time.time() < deadline:
            time.sleep(10)
            rss_samples.append(s.memory_kib()[0])
        for t in threads:
            t.join()
        t_end = time.time()
        rss_end = s.memory_kib()[0]
        time.sleep(1)

        # every firing inside the window must be there exactly once per intended instant
        missed = doubled = total = 0
        for sid in ids:
            items, before = [], None
            while True:
                q = f"/api/logs?schedule_id={sid}&trigger=schedule&limit=500" + (f"&before={before}" if before else "")
                page = s.get(q)
                items += page["items"]
                before = page["next_before"]
                if not before:
                    break
            seconds = collections.Counter()
            for e in items:
                ts = time.mktime(time.strptime(e["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                if t_start + PERIOD < ts < t_end - PERIOD:
                    seconds[int(ts) // PERIOD] += 1
            expected = set(range(int(t_start + PERIOD) // PERIOD + 1, int(t_end - PERIOD) // PERIOD))
            missed += len(expected - set(seconds))
            doubled += sum(1 for v in seconds.values() if v > 1)
            total += sum(seconds.values())
        s.stop()
        print(f"soak: {args.minutes} min, {args.clients} clients, {args.schedules} schedules every {PERIOD} s")
        print(f"requests: {sum(counts.values())} ok, {sum(errors.values())} errors {dict(errors) or ''}")
        print(f"firings checked: {total}; missed: {missed}; doubled: {doubled}")
        print(f"RSS: start {rss_start / 1024:.1f} MB, end {rss_end / 1024:.1f} MB, "
              f"samples {[round(r / 1024, 1) for r in rss_samples]}")
        # flat: the first sample under load (after allocator and cache warm-up) against the last
        warm = rss_samples[0] if rss_samples else rss_start
        print(f"RSS growth under load: {(rss_end - warm) / 1024:+.1f} MB ({(rss_end / warm - 1) * 100:+.1f} %)")
        ok = not errors and missed == 0 and doubled == 0 and rss_end <= warm * 1.1 + 1024
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)
    finally:
        remove_containers(containers)


if __name__ == "__main__":
    main()
