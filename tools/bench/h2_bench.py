"""HTTP/2 against nginx and nghttpx (issue 9), in one run, set-ups interleaved:

downstream (h2load -c64 -m10 over TLS, ALPN h2; the same 64-byte nginx backend
over HTTP/1.1 behind each):
  microgw   its TLS listener, the chain [router]
  nginx     `listen ssl http2`, proxy_pass with upstream keepalive
  nghttpx   frontend TLS, backend HTTP/1.1 (Debian nghttp2-proxy)

upstream through Squid (h2load -c64 -m10 h2c to the front; the back is HTTP/2
over TLS to one nginx `listen ssl http2`, inside a CONNECT tunnel through Squid):
  microgw   [httpClients] proxy + ALPN h2 (enableHttp2, the default)
  nghttpx   -b ...;proto=h2;tls with --backend-http-proxy-uri (it tunnels only
            HTTP/2 backends)

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/h2_bench.py

Every front runs one worker; every TLS front has the same certificate and
offers TLS 1.2 and 1.3; h2load offers one TLS 1.3 cipher, TLS_AES_128_GCM_SHA256
(H2_BENCH_TLS13_CIPHER), so all use it (h2load's "Cipher" line is in the table).
Columns: median req/s over H2_BENCH_ROUNDS rounds, the front's CPU time per request (user + system of the process and its direct
children: nginx's and nghttpx's workers), the ratio to nginx and to nghttpx.
The machine is shared with other work: wall-clock numbers move with its load
(the `other%` column: CPU used by processes outside the bench during the run);
compare within one run only, and prefer `cpu us/req`.

Environment: H2_BENCH_DURATION (5, seconds per run), H2_BENCH_ROUNDS (3),
H2_BENCH_CLIENTS (64), H2_BENCH_STREAMS (10), H2_BENCH_ONLY (down,up),
H2_BENCH_MAX_STREAMS (upstream: microgw's maxActiveStreamsPerConnection,
default -1 = the backend's limit, as nghttpx; see MAX_STREAMS), H2_BENCH_MAX_IDLE (downstream: the idle upstream connections microgw
(maxIdleConnections) and nginx (`keepalive`) keep; default each one's own, 100
and 64. With -c64 -m10 up to 640 requests are in flight: below that, finished
requests close connections that the next ones reopen, where nghttpx keeps
them all).
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402  (BenchNginx, record_pid)
import http2_upstream_test as t  # noqa: E402  (H2Nginx: `ssl http2` + HTTP/1.1 on one nginx)
import mgw_harness as h  # noqa: E402

DURATION = int(os.environ.get("H2_BENCH_DURATION", "5"))
ROUNDS = int(os.environ.get("H2_BENCH_ROUNDS", "3"))
CLIENTS = os.environ.get("H2_BENCH_CLIENTS", "64")
STREAMS = os.environ.get("H2_BENCH_STREAMS", "10")
# One cipher for every front: microgw picks its own preference (AES-256) when
# offered a choice, nginx and nghttpx take h2load's first (AES-128).
TLS13_CIPHER = os.environ.get("H2_BENCH_TLS13_CIPHER", "TLS_AES_128_GCM_SHA256")
ONLY = [s for s in os.environ.get("H2_BENCH_ONLY", "down,up").split(",") if s]
MAX_IDLE = os.environ.get("H2_BENCH_MAX_IDLE")
# Upstream: streams per HTTP/2 connection to the origin. nghttpx fills each
# connection up to the backend's SETTINGS_MAX_CONCURRENT_STREAMS (nginx: 128),
# so with 640 requests in flight it keeps ~6 tunnels; microgw's
# maxActiveStreamsPerConnection (WSO2's default 50) makes it 13, each carrying
# less per read and write through Squid. -1 (the default here) gives microgw
# the backend's limit too, the same connections as nghttpx; 50 compares
# WSO2's default.
MAX_STREAMS = int(os.environ.get("H2_BENCH_MAX_STREAMS", "-1"))


def proc_ticks(pid):
    """{pid: (ppid, user+system ticks)} of every process now."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return out


def cpu_of(snapshot, pid):
    return sum(t for p, (ppid, t) in snapshot.items() if p == pid or ppid == pid)


def h2load(url, pid, exclude, peers=()):
    """(req/s, cpu us/req of pid's tree, failed, cipher, other%, [cpu us/req of each of
    peers' trees]) of one h2load run."""
    argv = ["h2load", "-c", CLIENTS, "-m", STREAMS, "-t", "1", "-D", str(DURATION),
            "--warm-up-time=1", "--tls13-ciphers=" + TLS13_CIPHER, url]
    before = proc_ticks(pid)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=DURATION + 60)
    after = proc_ticks(pid)
    text = out.stdout + out.stderr
    m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
    reqs = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed", text)
    if not m or not reqs:
        raise RuntimeError("h2load %s: no result\n%s" % (url, text[-2000:]))
    done = max(int(reqs.group(1)), 1)
    hz = os.sysconf("SC_CLK_TCK")
    cpu_us = (cpu_of(after, pid) - cpu_of(before, pid)) * 1e6 / hz / done
    # Load from outside: every process's ticks except the front's tree, h2load
    # and the bench's own peers (exclude: their pids).
    mine = {pid} | set(exclude)
    other = sum(t for p, (ppid, t) in after.items()
                if p not in mine and ppid not in mine and p in before) - \
        sum(t for p, (ppid, t) in before.items() if p not in mine and ppid not in mine
            and p in after)
    other_pct = other * 100.0 / hz / (DURATION + 1)
    cipher = re.search(r"Cipher: (\S+)", text)
    proto = re.search(r"Application protocol: (\S+)", text)
    status = re.search(r"status codes: (\d+) 2xx", text)
    failed = int(reqs.group(3)) + (int(reqs.group(2)) - int(status.group(1)) if status else 0)
    peer_us = [(cpu_of(after, p) - cpu_of(before, p)) * 1e6 / hz / done for p in peers]
    return (float(m.group(1)), cpu_us, failed,
            "%s %s" % (proto.group(1) if proto else "?", cipher.group(1) if cipher else ""),
            other_pct, peer_us)


class Nghttpx(h._Daemon):
    """nghttpx in the foreground with no configuration file (Debian's default
    one listens on port 3000): one worker, no access log."""

    name = "nghttpx"

    def __init__(self, backend, frontend_tls=None, proxy=None, cacert=None):
        """backend: nghttpx's -b value; frontend_tls: (cert, key) or None for h2c;
        proxy: the --backend-http-proxy-uri; cacert: trust for a TLS backend."""
        self.port = h.free_port()
        self.host = h.LOOPBACK
        self.run_dir = h.make_run_dir("mgw-bench-nghttpx-")
        args = ["nghttpx", "--conf=/dev/null", "--workers=1", "--no-ocsp",
                "--errorlog-file=" + os.path.join(self.run_dir, "error.log"),
                "--pid-file=" + os.path.join(self.run_dir, "nghttpx.pid"),
                "-b", backend]
        if frontend_tls:
            args += ["-f", "127.0.0.1,%d" % self.port]
        else:
            args += ["-f", "127.0.0.1,%d;no-tls" % self.port]
        if proxy:
            args.append("--backend-http-proxy-uri=" + proxy)
        if cacert:
            args.append("--cacert=" + cacert)
        if frontend_tls:
            args += list(frontend_tls[::-1])  # <PRIVATE_KEY> <CERT>
        self.argv = args
        self.process = None

    def start(self):
        self.process = h.Process("nghttpx", self.argv, self.run_dir, port=self.port)
        self.process.start(timeout=20)
        bench.record_pid(self.process)
        return self


def check(url, body=None):
    """One request with nghttp (HTTP/2, h2c by prior knowledge or ALPN): 200 or stop."""
    out = subprocess.run(["nghttp", "-s", url], capture_output=True, text=True, timeout=30)
    if out.returncode != 0 or "200" not in out.stdout + out.stderr:
        raise RuntimeError("%s did not answer 200 over HTTP/2:\n%s%s" % (url, out.stdout,
                                                                          out.stderr))


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    for tool in ("h2load", "nghttp", "nghttpx", "nginx", "squid"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            sys.exit("%s is missing: run tools/install.sh" % tool)
    ca = h.TestCA(directory=h.make_run_dir("mgw-bench-h2-"))
    cert, key = ca.issue()
    h.chown_tree(ca.directory, h.DAEMON_USER)
    os.chmod(ca.directory, 0o755)
    daemons, gateways, setups = [], [], []  # setups: (group, name, url, pid)
    # The peers every front of a group uses, whose CPU per request is shown too:
    # upstream, Squid and the origin (a front that makes them work harder per
    # request, e.g. with smaller TLS records, costs the machine more).
    shared = {}
    try:
        if "down" in ONLY:
            backend = bench.BenchNginx().start()
            daemons.append(backend)
            nginx = bench.BenchNginx(upstream_port=backend.port, tls_cert=(cert, key),
                                     http2=True,
                                     upstream_keepalive=int(MAX_IDLE or 64)).start()
            daemons.append(nginx)
            nghttpx = Nghttpx("127.0.0.1,%d" % backend.port, frontend_tls=(cert, key)).start()
            daemons.append(nghttpx)
            api = h.api_definition("/", ["http://127.0.0.1:%d/" % backend.port],
                                   paths={"/pets": ["get"]}, title="bench")
            conf = {"listenerConfig": {"workers": 1, "certificateFile": cert, "keyFile": key},
                    "accessLog": {"enabled": False}}
            if MAX_IDLE:
                conf["httpClients"] = {"poolConfig": {"maxIdleConnections": int(MAX_IDLE)}}
            gw = h.Microgw({"bench": api}, conf=conf, filters="filters:\n  - name: router\n")
            gateways.append(gw)
            gw.start()
            h.wait_for_port(h.LOOPBACK, gw.https_port, process=gw.process)
            setups += [
                ("down", "microgw", "https://127.0.0.1:%d/pets" % gw.https_port,
                 gw.process.pid),
                ("down", "nginx", "https://127.0.0.1:%d/pets" % nginx.port,
                 nginx.process.pid),
                ("down", "nghttpx", "https://127.0.0.1:%d/pets" % nghttpx.port,
                 nghttpx.process.pid),
            ]
        if "up" in ONLY:
            origin = t.H2Nginx(keepalive_requests=1000000, tls=(cert, key)).start()
            daemons.append(origin)
            squid = h.Squid(auth=False).start()
            daemons.append(squid)
            api = h.api_definition("/", [origin.url("/")], paths={"/hello": ["get"]},
                                   title="bench")
            gw = h.Microgw({"bench": api},
                           conf={"listenerConfig": {"workers": 1},
                                 "accessLog": {"enabled": False},
                                 "httpClients": {"trustStorePath": ca.cert_path,
                                                 "poolConfig": {
                                                     "maxActiveStreamsPerConnection":
                                                         MAX_STREAMS},
                                                 "proxy": {"enabled": True, "host": h.LOOPBACK,
                                                           "port": squid.port}}},
                           filters="filters:\n  - name: router\n")
            gateways.append(gw)
            gw.start()
            nghttpx = Nghttpx("127.0.0.1,%d;;proto=h2;tls;sni=localhost" % origin.port,
                              proxy="http://127.0.0.1:%d" % squid.port,
                              cacert=ca.cert_path).start()
            daemons.append(nghttpx)
            shared["up"] = (squid.process.pid, origin.process.pid)
            setups += [
                ("up", "microgw", "http://127.0.0.1:%d/hello" % gw.port, gw.process.pid),
                ("up", "nghttpx", "http://127.0.0.1:%d/hello" % nghttpx.port,
                 nghttpx.process.pid),
            ]
        for _, _, url, _ in setups:
            check(url)
        peers = []
        for d in daemons + gateways:
            if d.process is not None and d.process.popen is not None:
                peers.append(d.process.pid)
        runs = {(g, n): [] for g, n, _, _ in setups}
        for _ in range(ROUNDS):  # interleaved: load from elsewhere hits every set-up alike
            for group, name, url, pid in setups:
                runs[(group, name)].append(h2load(url, pid, [p for p in peers if p != pid],
                                                  shared.get(group, ())))
    finally:
        for gw in gateways:
            gw.cleanup()
        for d in daemons:
            d.stop()
    return report(setups, runs)


def report(setups, runs):
    print("h2load -c%s -m%s -D%d, %d interleaved rounds; medians" % (CLIENTS, STREAMS, DURATION,
                                                                     ROUNDS))
    print("%-5s %-8s %9s %11s %9s %11s %7s %7s  %s" % (
        "group", "front", "req/s", "cpu us/req", "vs nginx", "vs nghttpx", "failed", "other%",
        "protocol cipher"))
    bad = 0
    for group, name, _, _ in setups:
        rs = runs[(group, name)]
        rps = median([r[0] for r in rs])
        cpu = median([r[1] for r in rs])
        ratio = {}
        for peer in ("nginx", "nghttpx"):
            if (group, peer) in runs and peer != name:
                ratio[peer] = "%.2fx" % (rps / median([r[0] for r in runs[(group, peer)]]))
        failed = sum(r[2] for r in rs)
        bad += failed
        print("%-5s %-8s %9.0f %11.1f %9s %11s %7d %7.0f  %s" % (
            group, name, rps, cpu, ratio.get("nginx", "-"), ratio.get("nghttpx", "-"), failed,
            median([r[4] for r in rs]), rs[0][3]))
    for group, name, _, _ in setups:
        rs = runs[(group, name)]
        if rs[0][5]:
            print("%s %s: Squid %.1f, origin %.1f cpu us/req (medians)" % (
                group, name, median([r[5][0] for r in rs]), median([r[5][1] for r in rs])))
    print("per round (req/s): " + "; ".join(
        "%s/%s %s" % (g, n, " ".join("%.0f" % r[0] for r in runs[(g, n)])) for g, n, _, _ in
        setups))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
