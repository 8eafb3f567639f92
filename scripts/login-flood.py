#!/usr/bin/env python3
"""A crowd at the login (issue 22): prints figures, asserts nothing.

Usage: cargo build --release && python3 scripts/login-flood.py [BINARY] [--crowd 200]

Starts the binary (default target/release/chrontainer) with authentication on, signs in once to
warm up, then sends CROWD concurrent wrong sign-ins from 127.0.0.1 while /healthz is polled, and
prints how many reached a password check (401), were throttled (429) or turned away by the argon2
gate (503), whether the right password afterwards is refused (429), /healthz during the crowd, and
RSS idle, at the peak and after. Loopback only; bounded.
"""
import os, sys, tempfile, threading, time, urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib
bench = importlib.import_module("bench")

PASSWORD = "flood-test-password"


def login(url, password):
    body = urllib.parse.urlencode({"username": "admin", "password": password, "next": "/"}).encode()
    req = urllib.request.Request(url + "/login", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": url})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if args:
        bench.BIN = os.path.abspath(args[0])
    crowd = int(sys.argv[sys.argv.index("--crowd") + 1]) if "--crowd" in sys.argv else 200
    data = tempfile.mkdtemp(prefix="chrontainer-flood-")
    s = bench.Service(data, {"CHRONTAINER_AUTH": "password", "CHRONTAINER_ADMIN_PASSWORD": PASSWORD})
    try:
        first = login(s.url, PASSWORD)
        time.sleep(1)
        idle = s.memory_kib()[0]
        peak = [idle]
        health, stop = [], threading.Event()

        def poll():
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(s.url + "/healthz", timeout=5) as r:
                        health.append(r.status)
                except OSError as e:
                    health.append(str(e))
                peak[0] = max(peak[0], s.memory_kib()[0])
                time.sleep(0.02)
        poller = threading.Thread(target=poll)
        poller.start()
        statuses = []
        lock = threading.Lock()

        def guess(i):
            st = login(s.url, f"wrong guess {i}")
            with lock:
                statuses.append(st)
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(crowd)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - t0
        stop.set()
        poller.join()
        right = login(s.url, PASSWORD)
        time.sleep(1)
        after = s.memory_kib()[0]
        count = {c: statuses.count(c) for c in sorted(set(statuses), key=str)}
        print(f"binary: {bench.BIN}")
        print(f"first sign-in: {first}; {crowd} concurrent wrong sign-ins in {took:.2f} s: {count}")
        print(f"the right password afterwards: {right} (429 expected: the window is used up)")
        bad = [h for h in health if h != 200]
        print(f"/healthz during the crowd: {len(health)} answers, {len(bad)} not 200")
        print(f"RSS idle {idle / 1024:.1f} MB, peak {peak[0] / 1024:.1f} MB, after {after / 1024:.1f} MB "
              f"(+{(after - idle) / 1024:.1f} MB)")
    finally:
        s.stop()


if __name__ == "__main__":
    main()
