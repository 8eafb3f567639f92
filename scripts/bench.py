#!/usr/bin/env python3
"""Service benchmarks: prints figures, asserts nothing (TESTING.md: benchmarks, not timed tests).

Usage: cargo build --release && python3 scripts/bench.py [--quick]

Measures the real release binary (target/release/chrontainer) on this machine:
  - start-up time to the first 200 on /healthz, with an empty database and with 10,000 schedules;
  - RSS and PSS idle after start, with 10,000 schedules, and after a load run (flat over time?);
  - latency (median, p99) and throughput of GET /api/containers, /api/schedules, /, /logs under wrk
    (Debian's wrk, 2 threads, 50 connections), next to Docker's own list call;
  - CPU time used while idle for a minute (--quick: 10 s);
  - the delay between a timer's intended instant and the moment it sends its action (median, p99, max);
  - binary size.
Loopback only; every loop is bounded; test containers are labelled and removed at the end.
"""
import json, os, shutil, socket, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "chrontainer")
QUICK = "--quick" in sys.argv
IMAGE = "chrontainer-test-busybox:latest"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Service:
    def __init__(self, data_dir, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        e = dict(os.environ, CHRONTAINER_LISTEN=f"127.0.0.1:{self.port}", CHRONTAINER_DATA_DIR=data_dir,
                 CHRONTAINER_AUTH="none", CHRONTAINER_MIN_INTERVAL="1", CHRONTAINER_MAX_SCHEDULES="100000",
                 RUST_LOG="warn")
        e.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix="chrontainer-bench-", suffix=".log", delete=False)
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([BIN], env=e, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.002)
        self.startup_ms = (time.perf_counter() - t0) * 1000

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def memory_kib(self):
        rss = pss = 0
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        try:
            with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1])
        except OSError:
            pass
        return rss, pss

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tick

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        with open(self.log.name) as f:
            text = f.read()
        os.unlink(self.log.name)
        return text


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True).stdout
    rps = lat50 = lat99 = "?"
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            rps = parts[1]
        elif parts[:1] == ["50%"]:
            lat50 = parts[1]
        elif parts[:1] == ["99%"]:
            lat99 = parts[1]
    non2xx = [l for l in out.splitlines() if "Non-2xx" in l]
    return rps, lat50, lat99, (non2xx[0].strip() if non2xx else "")


def docker_list_latency(n=50):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--unix-socket", "/var/run/docker.sock",
                        "http://localhost/containers/json?all=1"], check=True)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def make_containers(n, prefix):
    names = []
    for i in range(n):
        name = f"{prefix}-{i}"
        subprocess.run(["docker", "create", "--network", "none", "--label", "chrontainer-bench=1", "--name", name,
                        IMAGE, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"],
                       check=True, capture_output=True)
        names.append(name)
    return names


def remove_containers(names):
    if names:
        subprocess.run(["docker", "rm", "-f"] + names, capture_output=True)


def seed_schedules(data_dir, container, n):
    """Inserts n schedules straight into the migrated database (as a long-lived install would have)."""
    db = sqlite3.connect(os.path.join(data_dir, "chrontainer.db"))
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    db.executemany(
        "INSERT INTO schedules (container_name, action, cron_expression, timezone, enabled, created_at, updated_at)"
        " VALUES (?, 'restart', ?, 'Europe/Berlin', 1, ?, ?)",
        [(container, f"{i % 60} {i % 24} * * {i % 7}", now, now) for i in range(n)])
    db.commit()
    db.close()


def seed_logs(data_dir, containers, n):
    """n activity-log rows over the last 30 days, as a busy install would have."""
    db = sqlite3.connect(os.path.join(data_dir, "chrontainer.db"))
    now = time.time()
    statuses = ["success"] * 8 + ["skipped", "error"]
    def rows():
        for i in range(n):
            ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - 30 * 86400 + i * (30 * 86400 / n)))
            yield (i % 500 + 1, containers[i % len(containers)], "restart", "schedule", statuses[i % 10],
                   "restarted", 1200, ts)
    db.executemany(
        "INSERT INTO logs (schedule_id, container_name, action, \"trigger\", status, message, duration_ms, timestamp)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.commit()
    db.close()


def row(*cols):
    print("  " + " | ".join(str(c) for c in cols))


def main():
    if not os.path.exists(BIN):
        sys.exit("build it first: cargo build --release")
    print(f"# Chrontainer benchmarks ({'quick' if QUICK else 'full'}), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {os.cpu_count()} cores, {os.uname().machine}, kernel {os.uname().release}")
    print(f"binary: {os.path.getsize(BIN) / 1e6:.1f} MB ({BIN})")
    containers = []
    try:
        # the test image exists once the test suite ran; build it the same way otherwise
        if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
            sys.exit(f"missing {IMAGE}: run `cargo test --test foundation` once (it builds it)")
        containers = make_containers(50, "bench-c")
        subprocess.run(["docker", "start"] + containers[:25], check=True, capture_output=True)

        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        s = Service(d)
        time.sleep(2)
        rss0, pss0 = s.memory_kib()
        print(f"\n## Start-up and memory (51 containers incl. stopped, empty database)")
        row("start-up to first /healthz", f"{s.startup_ms:.1f} ms")
        row("idle RSS / PSS", f"{rss0 / 1024:.1f} MB / {pss0 / 1024:.1f} MB")
        cpu0 = s.cpu_seconds()
        idle = 10 if QUICK else 60
        time.sleep(idle)
        row(f"CPU while idle for {idle} s", f"{(s.cpu_seconds() - cpu0) * 1000:.0f} ms")

        print("\n## Throughput and latency (wrk -t2 -c50, loopback)")
        row("route", "req/s", "median", "p99", "")
        secs = 5 if QUICK else 15
        for path in ["/api/containers", "/api/schedules", "/", "/logs", "/healthz"]:
            row(path, *wrk(s.url + path, secs))
        m50, m99 = docker_list_latency()
        row("Docker's own GET /containers/json?all=1 (curl, sequential)", f"median {m50:.1f} ms", f"p99 {m99:.1f} ms")
        rss1, pss1 = s.memory_kib()
        row("RSS / PSS after the load runs", f"{rss1 / 1024:.1f} MB / {pss1 / 1024:.1f} MB")
        time.sleep(3)
        for path in ["/api/containers", "/api/schedules", "/", "/logs"]:
            wrk(s.url + path, secs)
        rss2, _ = s.memory_kib()
        row("RSS after a second round (flat?)", f"{rss2 / 1024:.1f} MB")
        s.stop()

        print("\n## 10,000 schedules")
        seed_schedules(d, containers[0], 10_000)
        s = Service(d)
        time.sleep(1)
        rss, pss = s.memory_kib()
        row("start-up to first /healthz", f"{s.startup_ms:.1f} ms")
        row("RSS / PSS", f"{rss / 1024:.1f} MB / {pss / 1024:.1f} MB")
        row("GET /api/schedules", *wrk(s.url + "/api/schedules", 5))
        s.stop()
        shutil.rmtree(d, ignore_errors=True)

        print("\n## A large install: 200 containers, 500 schedules, 1,000,000 log rows")
        big = make_containers(150, "bench-big")
        containers += big
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        s = Service(d)
        s.stop()
        seed_schedules(d, containers[0], 500)
        seed_logs(d, containers, 1_000_000)
        s = Service(d)
        time.sleep(2)
        row("start-up to first /healthz", f"{s.startup_ms:.1f} ms")
        row("route", "req/s", "median", "p99", "")
        for path in ["/", "/logs", "/api/logs?limit=50", f"/api/logs?container={containers[3]}&status=error",
                     "/api/containers"]:
            row(path, *wrk(s.url + path, 5 if QUICK else 10))
        rss, pss = s.memory_kib()
        row("RSS / PSS after these runs", f"{rss / 1024:.1f} MB / {pss / 1024:.1f} MB")
        s.stop()
        shutil.rmtree(d, ignore_errors=True)

        print("\n## Timer-to-action delay")
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        s = Service(d, {"RUST_LOG": "warn,chrontainer::actors::scheduler=debug"})
        n = 20 if QUICK else 100
        running = containers[:25]
        for i in range(n):
            # "start" on a running container: the full path to the Docker actor without disturbing anything
            s.post("/api/schedules", {"container": running[i % len(running)], "action": "start", "cron": "*/2 * * * * *"})
        time.sleep(12 if QUICK else 32)
        text = s.stop()
        delays = sorted(int(l.rsplit("fire delay ", 1)[1].split()[0]) for l in text.splitlines() if "fire delay " in l)
        if delays:
            p = lambda q: delays[min(len(delays) - 1, int(len(delays) * q))] / 1000
            row(f"{len(delays)} firings of {n} schedules", f"median {p(0.5):.2f} ms", f"p99 {p(0.99):.2f} ms",
                f"max {delays[-1] / 1000:.2f} ms")
        else:
            row("no firings recorded")
        shutil.rmtree(d, ignore_errors=True)
    finally:
        remove_containers(containers)


if __name__ == "__main__":
    main()
