#!/usr/bin/env python3
"""Service benchmarks: prints figures, asserts nothing (TESTING.md: benchmarks, not timed tests).

Usage: cargo build --release && python3 scripts/bench.py [--quick] [--only SECTIONS] [BINARY]

SECTIONS (comma-separated; default: the original run, "main"): main, workers, memory, growth,
logs (growth's log rows alone), profile. BINARY (default target/release/chrontainer), e.g. the
image's static musl binary.

Measures the real release binary (target/release/chrontainer) on this machine:
  - start-up time to the first 200 on /healthz, with an empty database and with 10,000 schedules;
  - RSS and PSS idle after start, with 10,000 schedules, and after a load run (flat over time?);
  - latency (median, p99) and throughput of GET /api/containers, /api/schedules, /, /logs under wrk
    (Debian's wrk, 2 threads, 50 connections), next to Docker's own list call;
  - CPU time used while idle for a minute (--quick: 10 s);
  - the delay between a timer's intended instant and the moment it sends its action (median, p99, max);
  - binary size;
  - workers: throughput of /api/containers and / and RSS at 1, 2 and 4 worker threads;
  - memory: with authentication on, RSS idle, after 100,000 mixed requests (token and cookie),
    after 200 concurrent sign-ins and with 10,000 schedules; a token's cost against auth off;
  - growth: containers 50/200/1000 (--quick: 50/200), schedules 10/1000/10000, log rows 10^4/10^6
    (/logs, /api/logs, /api/stats), auth on and off;
  - profile: `perf record` of GET / (50 containers, 20 schedules) and its top entries.
Loopback only; every loop is bounded; test containers are labelled and removed at the end.
"""
import json, os, shutil, socket, sqlite3, statistics, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "chrontainer")
QUICK = "--quick" in sys.argv
ONLY = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else ["main"]
_ARGS = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and sys.argv[i - 1] != "--only"]
if _ARGS:
    BIN = os.path.abspath(_ARGS[0])
PASSWORD = "bench admin password"
SECURED = {"CHRONTAINER_AUTH": "password", "CHRONTAINER_ADMIN_PASSWORD": PASSWORD}
IMAGE = "chrontainer-test-busybox:latest"
# "Idle" is measured this long after start: start-up's code pages are unmapped 5 s after listening
# (src/memory.rs, app.rs's START_UP_SETTLES).
SETTLED = 8


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

    def anonymous_kib(self):
        """The private memory of the process (heap, stacks, written data), without the binary's pages."""
        with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
            return next((int(l.split()[1]) for l in f if l.startswith("Anonymous:")), 0)

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


def wrk(url, seconds, conns=50, headers=(), script=None):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
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
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        sys.exit(f"missing {IMAGE}: run `cargo test --test foundation` once (it builds it)")
    sections = {"main": main_run, "workers": workers_run, "memory": memory_run, "growth": growth_run,
                "logs": logs_run, "profile": profile_run}
    for section in ONLY:
        sections[section]()


def main_run():
    containers = []
    try:
        containers = make_containers(50, "bench-c")
        subprocess.run(["docker", "start"] + containers[:25], check=True, capture_output=True)

        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        s = Service(d)
        time.sleep(SETTLED)
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


# ---- issue 19: workers, memory with authentication on, growth, the dashboard's profile ----

def session_of(s):
    """Signs in as admin (the form, no redirect followed): (cookie, csrf token)."""
    body = urllib.parse.urlencode({"username": "admin", "password": PASSWORD, "next": "/"}).encode()
    req = urllib.request.Request(s.url + "/login", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": s.url})
    status, headers = login_answer(req)
    if status != 303:
        sys.exit(f"sign-in failed: {status}")
    cookie = headers["Set-Cookie"].split(";")[0]
    me = urllib.request.Request(s.url + "/api/users/me", headers={"Cookie": cookie})
    with urllib.request.urlopen(me, timeout=30) as r:
        csrf = json.loads(r.read())["csrf_token"]
    return cookie, csrf


def login_answer(req):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=120) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def token_of(s, cookie, csrf):
    req = urllib.request.Request(s.url + "/api/tokens", method="POST",
                                 data=json.dumps({"name": f"bench-{time.time_ns()}", "role": "full"}).encode(),
                                 headers={"Content-Type": "application/json", "Cookie": cookie,
                                          "X-CSRF-Token": csrf, "Origin": s.url})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["token"]


class Secured:
    """A service with authentication on, signed in once (cookie) and holding a token."""
    def __init__(self, data_dir, env=None):
        self.s = Service(data_dir, dict(SECURED, **(env or {})))
        self.cookie, self.csrf = session_of(self.s)
        self.token = token_of(self.s, self.cookie, self.csrf)
        self.api = [f"Authorization: Bearer {self.token}"]
        self.page = [f"Cookie: {self.cookie}"]


MIXED_LUA = """
-- BENCH_LIMIT requests per wrk thread, rotating routes and credentials (wrk still waits for -d)
local token, cookie = os.getenv("BENCH_TOKEN"), os.getenv("BENCH_COOKIE")
local limit = tonumber(os.getenv("BENCH_LIMIT"))
local routes = {
  {"/api/containers", "Authorization", "Bearer " .. token},
  {"/api/schedules", "Authorization", "Bearer " .. token},
  {"/api/logs?limit=50", "Authorization", "Bearer " .. token},
  {"/", "Cookie", cookie},
  {"/logs", "Cookie", cookie},
  {"/api/containers", "Cookie", cookie},
  {"/healthz", "X-Bench", "1"},
}
local n = 0
request = function()
  n = n + 1
  local r = routes[n % #routes + 1]
  return wrk.format("GET", r[1], {[r[2]] = r[3]})
end
response = function(status, headers, body)
  if n >= limit then wrk.thread:stop() end
end
"""


def mixed_load(sec, total=100_000):
    """`total` mixed requests with authentication on, 20 connections: (seconds, answered, non-2xx).
    A thread stops at its share, but wrk waits for -d: a 2 s run first sets the duration."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(MIXED_LUA)
    script.close()

    def run(seconds, limit):
        env = dict(os.environ, BENCH_TOKEN=sec.token, BENCH_COOKIE=sec.cookie, BENCH_LIMIT=str(limit))
        out = subprocess.run(["wrk", "-t2", "-c20", f"-d{seconds}s", "-s", script.name, sec.s.url],
                             capture_output=True, text=True, env=env).stdout
        done = next((int(l.split()[0]) for l in out.splitlines() if "requests in" in l), 0)
        return done, next((l.strip() for l in out.splitlines() if "Non-2xx" in l), "all 2xx")
    warm, _ = run(2, 10**9)
    seconds = int(total / max(warm / 2, 1) * 1.5) + 2
    t0 = time.perf_counter()
    done, non2xx = run(seconds, total // 2)
    os.unlink(script.name)
    return time.perf_counter() - t0, warm + done, non2xx


def sequential_median(url, headers, n=300, fresh=False):
    """One request at a time over one connection, n of them: the median in ms (curl's timing).
    fresh: each with a query of its own (`?q=<n>`), so the dashboard renders its body each time."""
    cmd = ["curl", "-s", "-w", "%{time_total}\n"]
    for h in headers:
        cmd += ["-H", h]
    for i in range(n):
        cmd += ["-o", "/dev/null", f"{url}?q=fresh{i}-{time.time_ns()}" if fresh else url]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout.split()
    times = sorted(float(t) * 1000 for t in out[n // 10:])  # the first tenth warms up
    return statistics.median(times) if times else float("nan")


def rate_and_median(url, headers, secs, n):
    """(req/s under wrk -t2 -c10 for secs, then the median of n requests one at a time, as text)."""
    return wrk(url, secs, 10, headers)[0], f"{sequential_median(url, headers, n):.2f} ms"


def fresh_script(d):
    """A wrk script asking for the dashboard with a query of its own each time: a body rendered afresh."""
    path = os.path.join(d, "fresh.lua")
    with open(path, "w") as f:
        f.write('n = 0\nrequest = function()\n  n = n + 1\n'
                '  return wrk.format("GET", "/?q=fresh" .. n .. "-" .. math.random(1000000000))\nend\n')
    return path


def mb(kib):
    return f"{kib / 1024:.1f} MB"


def workers_run():
    print("\n## Worker threads (CHRONTAINER_WORKERS), 51 containers (25 running), 20 schedules, auth off")
    containers = make_containers(50, "bench-w")
    try:
        subprocess.run(["docker", "start"] + containers[:25], check=True, capture_output=True)
        row("workers", "idle RSS", "/api/containers req/s -c10 (-c50)", "/ req/s -c10 (-c50)", "RSS after")
        for w in [1, 2, 4]:
            d = tempfile.mkdtemp(prefix="chrontainer-bench-")
            s = Service(d, {"CHRONTAINER_WORKERS": str(w)})
            for i in range(20):
                s.post("/api/schedules", {"container": containers[i], "action": "restart", "cron": f"{i} 3 * * *"})
            time.sleep(SETTLED)
            idle = s.memory_kib()[0]
            secs = 3 if QUICK else 5
            api10, api50 = wrk(s.url + "/api/containers", secs, 10)[0], wrk(s.url + "/api/containers", secs, 50)[0]
            page10, page50 = wrk(s.url + "/", secs, 10)[0], wrk(s.url + "/", secs, 50)[0]
            row(w, mb(idle), f"{api10} ({api50})", f"{page10} ({page50})", mb(s.memory_kib()[0]))
            s.stop()
            shutil.rmtree(d, ignore_errors=True)
    finally:
        remove_containers(containers)


def concurrent_sign_ins(s, n=200):
    """n sign-ins with the right password at once; the answers counted, and the peak RSS."""
    import threading
    statuses, peak, stop = [], [s.memory_kib()[0]], threading.Event()

    def one():
        body = urllib.parse.urlencode({"username": "admin", "password": PASSWORD, "next": "/"}).encode()
        req = urllib.request.Request(s.url + "/login", data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": s.url})
        statuses.append(login_answer(req)[0])

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], s.memory_kib()[0])
            time.sleep(0.02)
    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    return {c: statuses.count(c) for c in sorted(set(statuses), key=str)}, peak[0]


def memory_run():
    print(f"\n## Memory with authentication on ({BIN})")
    containers = make_containers(50, "bench-m")
    try:
        subprocess.run(["docker", "start"] + containers[:25], check=True, capture_output=True)
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        sec = Secured(d)
        s = sec.s
        for i in range(20):
            req = urllib.request.Request(s.url + "/api/schedules", method="POST", data=json.dumps(
                {"container": containers[i], "action": "restart", "cron": f"{i} 3 * * *"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {sec.token}"})
            urllib.request.urlopen(req, timeout=30).close()
        time.sleep(SETTLED)
        row("measure", "RSS", "of which anonymous")
        row("idle (signed in once, one token, 51 containers, 20 schedules)", mb(s.memory_kib()[0]),
            mb(s.anonymous_kib()))
        took, total, non2xx = mixed_load(sec)
        row(f"after {total:,} mixed requests (token and cookie; {took:.0f} s, {non2xx})", mb(s.memory_kib()[0]),
            mb(s.anonymous_kib()))
        time.sleep(2)
        before = s.memory_kib()[0]
        answers, peak = concurrent_sign_ins(s)
        time.sleep(2)
        row(f"200 concurrent sign-ins (answers {answers}): before / peak / after",
            f"{mb(before)} / {mb(peak)} / {mb(s.memory_kib()[0])}", mb(s.anonymous_kib()))

        print("\n## A token's cost: GET /api/containers, auth on (token) against auth off")
        secs = 3 if QUICK else 5
        on = wrk(s.url + "/api/containers", secs, 10, sec.api)
        on_seq = sequential_median(s.url + "/api/containers", sec.api)
        s.stop()
        shutil.rmtree(d, ignore_errors=True)
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        off_s = Service(d)
        time.sleep(1)
        off = wrk(off_s.url + "/api/containers", secs, 10)
        off_seq = sequential_median(off_s.url + "/api/containers", [])
        off_s.stop()
        shutil.rmtree(d, ignore_errors=True)
        row("", "req/s (wrk -c10)", "one at a time, median")
        row("auth on, bearer token", on[0], f"{on_seq:.3f} ms")
        row("auth off", off[0], f"{off_seq:.3f} ms")
        try:
            row("cost ratio (token / off)", f"{float(off[0]) / float(on[0]):.2f} (throughput)",
                f"{on_seq / off_seq:.2f} (latency)")
        except (ValueError, ZeroDivisionError):
            pass

        print("\n## 10,000 schedules, auth on")
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        Service(d, SECURED).stop()
        seed_schedules(d, containers[0], 10_000)
        s = Service(d, SECURED)
        time.sleep(SETTLED)
        row("start-up / RSS / anonymous", f"{s.startup_ms:.0f} ms", mb(s.memory_kib()[0]), mb(s.anonymous_kib()))
        s.stop()
        shutil.rmtree(d, ignore_errors=True)
    finally:
        remove_containers(containers)


def growth_service(d, auth):
    """(service, headers for the API, headers for pages) with auth on (token, cookie) or off."""
    if auth:
        sec = Secured(d)
        return sec.s, sec.api, sec.page
    return Service(d), [], []


def growth_run():
    secs = 3
    print("\n## Growth: containers (half running), no schedules; wrk -t2 -c10 req/s, one-at-a-time median")
    row("containers", "auth", "/api/containers req/s", "median", "/ req/s", "median", "fresh / median", "RSS")
    made = []
    try:
        for n in [50, 200] if QUICK else [50, 200, 1000]:
            more = make_containers(n - len(made), f"bench-g{n}")
            subprocess.run(["docker", "start"] + more[: len(more) // 2], check=True, capture_output=True)
            made += more
            for auth in [True, False]:
                d = tempfile.mkdtemp(prefix="chrontainer-bench-")
                s, api, page = growth_service(d, auth)
                time.sleep(2)
                a = rate_and_median(s.url + "/api/containers", api, secs, 100)
                p = rate_and_median(s.url + "/", page, secs, 100)
                fm = sequential_median(s.url + "/", page, 50, fresh=True)
                row(n, "token" if auth else "off", *a, *p, f"{fm:.2f} ms", mb(s.memory_kib()[0]))
                s.stop()
                shutil.rmtree(d, ignore_errors=True)
        remove_containers(made[50:])
        made = made[:50]

        print("\n## Growth: schedules (seeded, weekly, Europe/Berlin), 51 containers; fresh: a body rendered each time")
        row("schedules", "auth", "start-up", "RSS", "/ req/s", "median", "fresh / req/s", "fresh median", "RSS after")
        for n in [10, 1000, 10000]:
            for auth in [True, False]:
                d = tempfile.mkdtemp(prefix="chrontainer-bench-")
                Service(d, SECURED if auth else None).stop()
                seed_schedules(d, made[0], n)
                s, api, page = growth_service(d, auth)
                time.sleep(SETTLED)
                rss = mb(s.memory_kib()[0])
                p = wrk(s.url + "/", secs, 10, page)[0]
                pm = sequential_median(s.url + "/", page, 50)
                fp = wrk(s.url + "/", secs, 10, page, fresh_script(d))[0]
                fm = sequential_median(s.url + "/", page, 30, fresh=True)
                row(n, "token" if auth else "off", f"{s.startup_ms:.0f} ms", rss, p, f"{pm:.2f} ms", fp,
                    f"{fm:.2f} ms", mb(s.memory_kib()[0]))
                s.stop()
                shutil.rmtree(d, ignore_errors=True)

        growth_logs(made, secs)
    finally:
        remove_containers(made)


def logs_run():
    """Only the log rows' table of the growth run (about 3 minutes)."""
    made = make_containers(50, "bench-l")
    try:
        growth_logs(made, 3)
    finally:
        remove_containers(made)


def growth_logs(made, secs):
    print("\n## Growth: log rows (30 days), 51 containers")
    row("rows", "auth", "/logs req/s", "median", "/api/logs?limit=50 req/s", "median", "/api/stats req/s", "median",
        "RSS")
    for n in [10_000, 1_000_000]:
        base = tempfile.mkdtemp(prefix="chrontainer-bench-")
        Service(base, SECURED).stop()
        seed_logs(base, made, n)
        for auth in [True, False]:
            d = tempfile.mkdtemp(prefix="chrontainer-bench-")
            shutil.copytree(base, d, dirs_exist_ok=True)
            s, api, page = growth_service(d, auth)
            time.sleep(2)
            lg = rate_and_median(s.url + "/logs", page, secs, 50)
            al = rate_and_median(s.url + "/api/logs?limit=50", api, secs, 50)
            st = rate_and_median(s.url + "/api/stats", api, secs, 30)
            row(n, "token" if auth else "off", *lg, *al, *st, mb(s.memory_kib()[0]))
            s.stop()
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def profile_run():
    """perf record of GET / under wrk -c10 (50 containers, 20 schedules, auth off); its top entries."""
    if not shutil.which("perf"):
        sys.exit("perf is missing: apt-get install linux-perf")
    print("\n## Profile of GET / (51 containers, 20 schedules), perf record -g, 10 s under wrk -t2 -c10")
    containers = make_containers(50, "bench-p")
    try:
        subprocess.run(["docker", "start"] + containers[:25], check=True, capture_output=True)
        d = tempfile.mkdtemp(prefix="chrontainer-bench-")
        s = Service(d)
        for i in range(20):
            s.post("/api/schedules", {"container": containers[i], "action": "restart", "cron": f"{i} 3 * * *"})
        time.sleep(1)
        row("GET / one at a time, median", f"{sequential_median(s.url + '/', [], 300):.2f} ms")
        row("GET / rendered afresh each time, median", f"{sequential_median(s.url + '/', [], 300, True):.2f} ms")
        row("GET / req/s, wrk -t2 -c10, 10 s", wrk(s.url + "/", 10, 10)[0])
        gz = ["Accept-Encoding: gzip, deflate, br"]
        row("GET / as a browser asks (Accept-Encoding: gzip), median",
            f"{sequential_median(s.url + '/', gz, 300):.2f} ms")
        row("GET / as a browser asks (Accept-Encoding: gzip), req/s, wrk -t2 -c10, 10 s", wrk(s.url + "/", 10, 10, gz)[0])
        for name, script in [("kept body", None), ("rendered afresh", fresh_script(d))]:
            data = os.path.join(d, "perf.data")
            rec = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", data, "-p", str(s.proc.pid), "--",
                                    "sleep", "10"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rps = wrk(s.url + "/", 10, 10, (), script)[0]
            rec.wait()
            row(f"GET / ({name}) req/s under wrk -c10 while recorded", rps)
            report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio",
                                     "-g", "none", "--percent-limit", "0.8"], capture_output=True, text=True).stdout
            print(f"  {name}: self % | symbol")
            for line in report.splitlines():
                if line.strip() and not line.startswith("#"):
                    print("  " + line.strip()[:150])
        s.stop()
        shutil.rmtree(d, ignore_errors=True)
    finally:
        remove_containers(containers)


if __name__ == "__main__":
    main()
