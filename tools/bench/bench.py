#!/usr/bin/env python3
"""microgw benchmark: wrk on loopback against microgw and its peers, in one run.

Set-ups (all against the same nginx backend serving a 64-byte body):
  a  nginx backend direct
  b  nginx reverse proxy -> backend (upstream keepalive)
  c  microgw -> backend (router-only chain), c2 with the default chain
  bs nginx reverse proxy -> https nginx backend (upstream keepalive, TLS sessions reused)
  cs microgw -> https nginx backend (router-only chain)
  d  microgw -> Squid (CONNECT tunnel, basic auth, pooled) -> backend
  e  Apache httpd mod_proxy -> Squid (absolute-form, basic auth) -> backend

Reuses test/support/mgw_harness.py for ports, processes, Squid and microgw.
Environment:
  BENCH_DURATION (10s) BENCH_CONNECTIONS (64) BENCH_THREADS (2) BENCH_WARMUP (2s, 0 = none)
  BENCH_WORKERS (2): microgw workers = nginx-proxy worker_processes = Apache processes
  BENCH_ONLY (e.g. "a,b,c"): run only these set-ups
  BENCH_OUT: results file (default /tmp/microgw-bench-<timestamp>.txt)
  BENCH_PIDFILE: process-group ids of started daemons are appended here (run.sh's trap)
  BENCH_PERF_STAT=1: perf stat -e $BENCH_PERF_EVENTS (task-clock,instructions) on the proxy
    under test's process group during each measured run; the table adds them per request
  MICROGW_BIN: the gateway binary (run.sh passes the -c opt build)
"""

import base64
import datetime
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
import mgw_harness as h  # noqa: E402

BODY = b"x" * 63 + b"\n"  # the 64-byte response body
PATH = "/petstore/v1/pets"
BASE_PATH = "/petstore/v1"
PROXY_USER = "benchuser"
PROXY_PASS = "B3nch-s3cret"

DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARMUP = os.environ.get("BENCH_WARMUP", "2s")
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
ONLY = [s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()]
PIDFILE = os.environ.get("BENCH_PIDFILE")
PERF_STAT = os.environ.get("BENCH_PERF_STAT", "") not in ("", "0")
# Hardware counters (instructions, cycles) where the machine has them; task-clock everywhere.
PERF_EVENTS = os.environ.get("BENCH_PERF_EVENTS", "task-clock,instructions")
OTHER_CPU_LIMIT = 15  # % of one core used by unrelated processes before a run is flagged

_started = []  # objects with .stop() / .cleanup(), stopped in reverse order


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def record_pid(process):
    """Remember the process group (Process starts each daemon in its own session)."""
    if process is not None and process.popen is not None:
        _our_pgids.add(process.popen.pid)
    if PIDFILE and process is not None and process.popen is not None:
        with open(PIDFILE, "a") as f:
            f.write("%d\n" % process.popen.pid)


def seconds(spec):
    m = re.match(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$", spec.strip())
    if not m:
        raise ValueError("bad duration %r" % spec)
    mult = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return float(m.group(1)) * mult


# ---------------------------------------------------------------------------
# Daemons not covered (in this shape) by the harness
# ---------------------------------------------------------------------------

NGINX_COMMON = """daemon off;
worker_processes {workers};
{user}pid {rd}/nginx.pid;
error_log {rd}/error.log warn;
events {{ worker_connections 4096; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {rd}/tmp/client_body;
  proxy_temp_path {rd}/tmp/proxy;
  fastcgi_temp_path {rd}/tmp/fastcgi;
  uwsgi_temp_path {rd}/tmp/uwsgi;
  scgi_temp_path {rd}/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server_tokens off;
{body}
}}
"""


class BenchNginx(h._Daemon):
    """nginx in the foreground: a static backend, or a reverse proxy (upstream keepalive).

    tls: (cert_path, key_path) to listen with TLS 1.2 and 1.3 (this nginx's default is 1.2
    only); session tickets on, as nginx's default.
    """

    name = "nginx"

    def __init__(self, workers=1, upstream_port=None, tls_cert=None, upstream_tls_ca=None,
                 http2=False, single_process=False, wrapper=(), upstream_keepalive=64):
        """tls_cert: (cert, key) = this nginx (backend or reverse proxy) listens with TLS.
        upstream_tls_ca: the reverse proxy reaches its upstream over TLS, verified against
        this CA, sessions reused. http2: the TLS listener is `ssl http2` (ALPN h2).
        single_process: `master_process off` (one process serving, for valgrind / strace -p).
        wrapper: argv put in front of nginx's (e.g. valgrind --tool=callgrind ...).
        upstream_keepalive: idle upstream connections the reverse proxy keeps (`keepalive`)."""
        self.single_process = single_process
        self.wrapper = list(wrapper)
        self.port = h.free_port()
        self.host = h.LOOPBACK
        self.workers = workers
        self.upstream_port = upstream_port
        self.tls_cert = tls_cert
        self.upstream_tls_ca = upstream_tls_ca
        self.http2 = http2
        self.upstream_keepalive = upstream_keepalive
        self.run_dir = h.make_run_dir("mgw-bench-nginx-", owner=h.DAEMON_USER)
        self.conf_path = os.path.join(self.run_dir, "nginx.conf")
        self.process = None

    def start(self, timeout=30.0):
        rd = self.run_dir
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(rd, "tmp", sub), exist_ok=True)
        listen_tls = ""
        if self.tls_cert:
            # nginx's default here is TLS 1.2 only: offer 1.3 too, as microgw does.
            listen_tls = (" ssl%s;\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_certificate %s;\n"
                          "    ssl_certificate_key %s;\n"
                          "    ssl_session_cache shared:bench:1m"
                          % ((" http2" if self.http2 else "",) + tuple(self.tls_cert)))
        if self.upstream_port:
            scheme = "https" if self.upstream_tls_ca else "http"
            tls = ""
            if self.upstream_tls_ca:
                # proxy_ssl_protocols: this nginx (1.22) offers only up to TLS 1.2 to
                # upstreams by default; microgw negotiates 1.3 with the same backend.
                tls = ("      proxy_ssl_protocols TLSv1.2 TLSv1.3;\n"
                       "      proxy_ssl_verify on;\n      proxy_ssl_trusted_certificate %s;\n"
                       "      proxy_ssl_name localhost;\n      proxy_ssl_server_name on;\n"
                       "      proxy_ssl_session_reuse on;\n" % self.upstream_tls_ca)
            body = ("  upstream bench_backend {\n"
                    "    server 127.0.0.1:%d;\n    keepalive %d;\n"
                    "    keepalive_requests 1000000;\n  }\n"
                    "  server {\n    listen 127.0.0.1:%d%s;\n"
                    "    location / {\n      proxy_pass %s://bench_backend;\n"
                    "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
                    "%s    }\n  }" % (self.upstream_port, self.upstream_keepalive, self.port,
                                      listen_tls, scheme, tls))
        else:
            body = ("  server {\n    listen 127.0.0.1:%d%s;\n"
                    "    location / {\n      default_type text/plain;\n"
                    "      return 200 \"%s\\n\";\n    }\n  }"
                    % (self.port, listen_tls, BODY[:-1].decode()))
        user = "user %s %s;\n" % (h.DAEMON_USER, h.DAEMON_USER) if os.geteuid() == 0 else ""
        head = "master_process off;\n" if self.single_process else ""
        with open(self.conf_path, "w") as f:
            f.write(head + NGINX_COMMON.format(workers=self.workers, user=user, rd=rd, body=body))
        h.chown_tree(rd, h.DAEMON_USER)
        self.process = h.Process("nginx", self.wrapper + ["nginx", "-p", rd, "-e", os.path.join(rd, "error.log"),
                                           "-c", self.conf_path], rd, port=self.port,
                                 host=self.host)
        self.process.start(wait=False)
        record_pid(self.process)
        h.wait_for_port(self.host, self.port, timeout=timeout, process=self.process)
        return self


APACHE_MODULES = "/usr/lib/apache2/modules"


class Apache(h._Daemon):
    """Apache httpd 2.4 (mpm_event) as a reverse proxy through a forward proxy (ProxyRemote)."""

    name = "apache2"

    def __init__(self, backend_port, squid, processes=2, threads=64, extra_routes=()):
        self.port = h.free_port()
        self.host = h.LOOPBACK
        self.backend_port = backend_port
        self.squid = squid
        self.processes = processes
        self.threads = threads
        self.extra_routes = list(extra_routes)  # (prefix, url)
        self.run_dir = h.make_run_dir("mgw-bench-apache-", owner="www-data")
        self.conf_path = os.path.join(self.run_dir, "httpd.conf")
        self.process = None

    def start(self, timeout=30.0):
        rd = self.run_dir
        token = base64.b64encode(("%s:%s" % (self.squid.username,
                                             self.squid.password)).encode()).decode()
        mods = ["mpm_event", "authz_core", "headers", "proxy", "proxy_http"]
        lines = ["ServerRoot %s" % rd]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m) for m in mods]
        lines += [
            "Listen 127.0.0.1:%d" % self.port,
            "ServerName 127.0.0.1",
            "PidFile %s/httpd.pid" % rd,
            "ErrorLog %s/error.log" % rd,
            "LogLevel warn",
            "DefaultRuntimeDir %s" % rd,
            "Mutex file:%s default" % rd,
            "ServerTokens Prod",
            # Logging off: no CustomLog / TransferLog.
            "KeepAlive On",
            "MaxKeepAliveRequests 0",
            "KeepAliveTimeout 75",
            "StartServers %d" % self.processes,
            "ServerLimit %d" % self.processes,
            "ThreadsPerChild %d" % self.threads,
            "ThreadLimit %d" % self.threads,
            "MaxRequestWorkers %d" % (self.processes * self.threads),
            "MinSpareThreads %d" % self.threads,
            "MaxSpareThreads %d" % (self.processes * self.threads),
            "MaxConnectionsPerChild 0",
            "ProxyRequests Off",
            "ProxyRemote * http://127.0.0.1:%d" % self.squid.port,
            # Apache has no syntax for proxy credentials: the workaround sets the header on
            # the request, which also reaches the backend when it is tunnelled (CONNECT).
            'RequestHeader set Proxy-Authorization "Basic %s"' % token,
        ]
        if os.geteuid() == 0:
            lines += ["User www-data", "Group www-data"]
        for prefix, url in self.extra_routes:
            lines.append("ProxyPass %s %s" % (prefix, url))
        lines.append("ProxyPass / http://127.0.0.1:%d/" % self.backend_port)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        h.chown_tree(rd, "www-data")
        self.process = h.Process("apache2", ["apache2", "-f", self.conf_path, "-DFOREGROUND"],
                                 rd, port=self.port, host=self.host)
        self.process.start(wait=False)
        record_pid(self.process)
        try:
            h.wait_for_port(self.host, self.port, timeout=timeout, process=self.process)
        except Exception as e:
            raise RuntimeError("%s\nerror.log:\n%s" % (e, h.read_text(
                os.path.join(rd, "error.log"))[-3000:]))
        return self


_bench_ca = None


def bench_cert():
    """(cert, key) for the https backend, from a throwaway CA readable by nginx's user."""
    global _bench_ca
    if _bench_ca is None:
        ca_dir = h.make_run_dir("mgw-bench-ca-", owner=h.DAEMON_USER)
        _bench_ca = h.TestCA(ca_dir, name="bench-ca")
    cert, key = _bench_ca.issue(cn="localhost")
    h.chown_tree(os.path.dirname(cert), h.DAEMON_USER)
    return cert, key


_client_contexts = {}


def tls13_client(alpn):
    """A client TLS context that trusts bench_cert()'s CA: TLS 1.3, ALPN `alpn`
    (one per protocol, shared by the bench's connections)."""
    if alpn not in _client_contexts:
        if _bench_ca is None:
            bench_cert()
        ctx = ssl.create_default_context(cafile=_bench_ca.cert_path)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.check_hostname = False
        ctx.set_alpn_protocols([alpn])
        _client_contexts[alpn] = ctx
    return _client_contexts[alpn]


def start_daemon(d):
    """Starts a harness daemon, recording its process group for run.sh's trap."""
    _started.append(d)
    if isinstance(d, (h.Squid, h.Microgw)):
        d.start()
        record_pid(d.process)
    else:
        d.start()
    return d


def stop_daemon(d):
    try:
        d.cleanup()
    except Exception as e:  # keep cleaning the rest
        log("cleanup of %s failed: %s" % (d.name, e))
    if d in _started:
        _started.remove(d)


def cleanup_all():
    while _started:
        stop_daemon(_started[-1])


# ---------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(text):
    m = re.match(r"^([\d.]+)(us|ms|s|m|h)$", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def parse_wrk(out):
    r = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "sockerr": 0,
         "sockerr_detail": "", "requests": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        vals = [int(x) for x in m.groups()]
        r["sockerr"] = sum(vals)
        r["sockerr_detail"] = "connect %d, read %d, write %d, timeout %d" % tuple(vals)
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    return r


_our_pgids = set()  # process groups of the daemons we started (plus our own)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_ticks():
    """{pid: (pgid, utime+stime)} for user-space processes (kernel threads skipped)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ppid, pgid = int(fields[1]), int(fields[2])
        if int(name) == 2 or ppid == 2:
            continue
        out[int(name)] = (pgid, int(fields[11]) + int(fields[12]))
    return out


def other_cpu(before, after, elapsed):
    """CPU used outside the benchmark during a run, in % of one core."""
    ours = _our_pgids | {os.getpgrp()}
    ticks = 0
    for pid, (pgid, t) in after.items():
        if pgid in ours or pid == os.getpid():
            continue
        ticks += t - before.get(pid, (pgid, 0))[1]  # new processes: all their CPU
    return 100.0 * ticks / CLK_TCK / max(elapsed, 0.001)


def run_wrk(url, duration, connections=CONNECTIONS, threads=THREADS):
    """Runs wrk; returns (command, output, other-CPU % during the run)."""
    argv = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%s" % duration, "--latency", url]
    bound = seconds(duration) + 30
    before, t0 = _proc_ticks(), time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=bound)
        out = p.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or "") + "\n(wrk killed after %.0fs)\n" % bound
    other = other_cpu(before, _proc_ticks(), time.monotonic() - t0)
    return " ".join(argv), out, other


def sanity(port, path=PATH, host=h.LOOPBACK):
    """One request; the set-up must answer 200 with the backend's 64-byte body."""
    status, _, body = h.http_request(host, port, "GET", path, timeout=10)
    if status != 200 or body != BODY:
        raise RuntimeError("sanity request to :%d%s answered %d, body %r"
                           % (port, path, status, body[:200]))


class Results:
    def __init__(self):
        self.rows = []   # (key, label, parsed)
        self.raw = []    # (label, cmd, output)
        self.notes = []

    def get(self, key):
        for k, _, r in self.rows:
            if k == key:
                return r
        return None


def group_pids(pgid):
    """Every process of the process group `pgid` (a daemon and its workers)."""
    return [pid for pid, (g, _) in _proc_ticks().items() if g == pgid]


def start_perf_stat(daemon):
    """perf stat on the daemon's processes for the measured run (BENCH_PERF_STAT=1)."""
    if not PERF_STAT or daemon is None or daemon.process is None or not shutil.which("perf"):
        return None
    pids = group_pids(daemon.process.popen.pid)
    if not pids:
        return None
    return subprocess.Popen(["perf", "stat", "-x", ",", "-e", PERF_EVENTS, "-p",
                             ",".join(str(p) for p in pids)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, universal_newlines=True)


def stop_perf_stat(proc):
    """{event: count} from a perf stat started by start_perf_stat()."""
    if proc is None:
        return {}
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return {}
    counts = {}
    for line in err.splitlines():
        parts = line.split(",")
        try:
            counts[parts[2]] = float(parts[0])
        except (IndexError, ValueError):  # "<not supported>" (no hardware counters in a VM)
            continue
    return counts


def measure(results, key, label, port, daemon=None):
    if ONLY and key not in ONLY:
        return None
    sanity(port)
    url = "http://127.0.0.1:%d%s" % (port, PATH)
    if WARMUP and seconds(WARMUP) > 0:
        run_wrk(url, WARMUP)  # not recorded
    log("wrk %s -> %s" % (label, url))
    perf = start_perf_stat(daemon)
    cmd, out, other = run_wrk(url, DURATION)
    counts = stop_perf_stat(perf)
    r = parse_wrk(out)
    r["other"] = other
    if counts and r["requests"]:
        r["perf_per_req"] = {e: v / r["requests"] for e, v in counts.items()}
    results.rows.append((key, label, r))
    results.raw.append((label, cmd, out))
    log("   %s req/s, p50 %s ms, p99 %s ms, non-2xx %d, socket errors %d, other CPU %.0f%%"
        % (fmt(r["rps"]), fmt(r["p50"], 3), fmt(r["p99"], 3), r["non2xx"], r["sockerr"], other))
    return r


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def microgw_conf(proxy=None):
    conf = {
        "listenerConfig": {"workers": WORKERS, "idleTimeoutInMillis": 120000},
        "accessLog": {"enabled": False, "path": "-"},
        "httpClients": {"maxIdleConnectionsPerHost": 64, "poolIdleTimeoutInMillis": 60000},
    }
    if proxy is not None:
        conf["httpClients"]["proxy"] = proxy
    return conf


def petstore_api(backend_port, extra_paths=None, scheme="http", host="127.0.0.1"):
    paths = {"/pets": ["get", "post"], "/pets/{petId}": ["get"]}
    return h.api_definition(BASE_PATH, ["%s://%s:%d/" % (scheme, host, backend_port)],
                            title="Petstore", paths=paths, timeout_ms=30000)


def leak_api(backend):
    return h.api_definition("/leakcheck", [backend.url("/")], title="leakcheck",
                            paths={"/echo": ["get"]})


def check_leak(port, path):
    """Does Proxy-Authorization reach a backend behind this set-up? Returns True/False/None."""
    status, _, body = h.http_request(h.LOOPBACK, port, "GET", path, timeout=10)
    if status != 200:
        return None, "HTTP %d" % status
    import json
    rec = json.loads(body.decode())
    hdrs = rec.get("headers_lower", {})
    return ("proxy-authorization" in hdrs), ", ".join(sorted(hdrs))


def scrape(gw):
    status, _, body = h.http_request(h.LOOPBACK, gw.admin_port, "GET", "/metrics", timeout=10)
    return status, body.decode(errors="replace")


def metric_value(text, name, label_sub=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line.strip())
        if m and m.group(1) == name and label_sub in (m.group(2) or ""):
            total += float(m.group(3))
    return total


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    return ("%%.%df" % nd) % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_path = os.environ.get("BENCH_OUT") or "/tmp/microgw-bench-%s.txt" % stamp
    binary = os.environ.get("MICROGW_BIN") or h.find_microgw()
    if not binary:
        raise SystemExit("microgw binary not found: set MICROGW_BIN")
    res = Results()
    default_chain = h.read_text(os.path.join(ROOT, "conf", "filters.yaml"))
    tunnel_info = []
    leak_info = []
    tls_info = []

    backend = start_daemon(BenchNginx(workers=1))
    log("nginx backend (1 worker) on :%d" % backend.port)
    sanity(backend.port)
    echo = h.TestBackend().start()  # only for the one-request credential-leak check
    try:
        # a: backend direct
        measure(res, "a", "a nginx backend direct", backend.port)

        # b: nginx reverse proxy
        if not ONLY or "b" in ONLY:
            rp = start_daemon(BenchNginx(workers=WORKERS, upstream_port=backend.port))
            log("nginx reverse proxy (%d workers) on :%d" % (WORKERS, rp.port))
            measure(res, "b", "b nginx reverse proxy", rp.port, rp)
            stop_daemon(rp)

        # c / c2: microgw direct
        for key, label, chain in (("c", "c microgw (router only)", h.DEFAULT_FILTERS),
                                  ("c2", "c2 microgw (default chain)", default_chain)):
            if ONLY and key not in ONLY:
                continue
            gw = start_daemon(h.Microgw({"petstore": petstore_api(backend.port)},
                                        conf=microgw_conf(), filters=chain, binary=binary))
            log("microgw (%d workers) on :%d, admin :%d" % (WORKERS, gw.port, gw.admin_port))
            measure(res, key, label, gw.port, gw)
            if not gw.running():
                res.notes.append("%s: microgw exited during the run:\n%s"
                                 % (label, gw.process.output_tail()))
            stop_daemon(gw)

        # bs / cs: the same against an https nginx backend (TLS to the backend).
        if not ONLY or "bs" in ONLY or "cs" in ONLY:
            tls_backend = start_daemon(BenchNginx(workers=1, tls_cert=bench_cert()))
            log("nginx https backend (1 worker) on :%d" % tls_backend.port)
            if not ONLY or "bs" in ONLY:
                rp = start_daemon(BenchNginx(workers=WORKERS, upstream_port=tls_backend.port,
                                             upstream_tls_ca=_bench_ca.cert_path))
                log("nginx reverse proxy -> https (%d workers) on :%d" % (WORKERS, rp.port))
                measure(res, "bs", "bs nginx reverse proxy -> https", rp.port, rp)
                stop_daemon(rp)
            if not ONLY or "cs" in ONLY:
                conf = microgw_conf()
                conf["httpClients"]["trustStorePath"] = _bench_ca.cert_path
                gw = start_daemon(h.Microgw(
                    {"petstore": petstore_api(tls_backend.port, scheme="https", host="localhost")},
                    conf=conf, filters=h.DEFAULT_FILTERS, binary=binary))
                log("microgw -> https (%d workers) on :%d, admin :%d"
                    % (WORKERS, gw.port, gw.admin_port))
                measure(res, "cs", "cs microgw -> https", gw.port, gw)
                status, text = scrape(gw)
                if status == 200:
                    tls_info.extend(l for l in text.splitlines()
                                    if l.startswith("microgw_upstream_connections"))
                if not gw.running():
                    res.notes.append("cs: microgw exited:\n%s" % gw.process.output_tail())
                stop_daemon(gw)
            stop_daemon(tls_backend)

        # d / e: through Squid
        if not ONLY or "d" in ONLY or "e" in ONLY:
            squid = start_daemon(h.Squid(auth=True, username=PROXY_USER, password=PROXY_PASS))
            log("squid (basic auth) on :%d" % squid.port)
            if not ONLY or "d" in ONLY:
                proxy = {"enabled": True, "host": h.LOOPBACK, "port": squid.port,
                         "username": PROXY_USER, "password": PROXY_PASS,
                         "httpMode": "connect"}
                gw = start_daemon(h.Microgw({"petstore": petstore_api(backend.port),
                                             "leakcheck": leak_api(echo)},
                                            conf=microgw_conf(proxy), filters=h.DEFAULT_FILTERS,
                                            binary=binary))
                log("microgw -> squid on :%d, admin :%d" % (gw.port, gw.admin_port))
                leak, hdrs = check_leak(gw.port, "/leakcheck/echo")
                leak_info.append(("microgw -> Squid (CONNECT)", leak, hdrs))
                _, before = scrape(gw)
                measure(res, "d", "d microgw -> Squid (CONNECT)", gw.port, gw)
                status, text = scrape(gw)
                if status == 200:
                    lines = [l for l in text.splitlines()
                             if l.startswith(("microgw_proxy_tunnel", "microgw_upstream_connections"))]
                    opened = metric_value(text, "microgw_proxy_tunnels_total", 'result="opened"')
                    reused = metric_value(text, "microgw_proxy_tunnels_total", 'result="reused"')
                    b_opened = metric_value(before, "microgw_proxy_tunnels_total", 'result="opened"')
                    b_reused = metric_value(before, "microgw_proxy_tunnels_total", 'result="reused"')
                    tunnel_info = lines + [
                        "tunnel reuse ratio (whole process) reused/(opened+reused) = %s"
                        % fmt(ratio(reused, opened + reused), 4),
                        "during warm-up + measured run: opened %d, reused %d"
                        % (opened - b_opened, reused - b_reused)]
                else:
                    tunnel_info = ["/metrics answered %d" % status]
                if not gw.running():
                    res.notes.append("d: microgw exited:\n%s" % gw.process.output_tail())
                stop_daemon(gw)
            if not ONLY or "e" in ONLY:
                ap = start_daemon(Apache(backend.port, squid, processes=WORKERS,
                                         extra_routes=[("/leakcheck/", echo.url("/"))]))
                log("apache2 (mpm_event, %d processes x 64 threads) -> squid on :%d"
                    % (WORKERS, ap.port))
                leak, hdrs = check_leak(ap.port, "/leakcheck/echo")
                leak_info.append(("Apache -> Squid (absolute-form)", leak, hdrs))
                measure(res, "e", "e Apache mod_proxy -> Squid", ap.port, ap)
                stop_daemon(ap)
            stop_daemon(squid)
    finally:
        cleanup_all()
        echo.stop()

    text = report(res, tunnel_info, leak_info, binary, tls_info)
    with open(out_path, "w") as f:
        f.write(text)
        f.write("\n\n==== raw wrk output ====\n")
        for label, cmd, out in res.raw:
            f.write("\n--- %s\n$ %s\n%s" % (label, cmd, out))
    print(text)
    print("\nresults (with raw wrk output) written to %s" % out_path)
    flagged = any(r["non2xx"] or r["sockerr"] or r["rps"] is None for _, _, r in res.rows)
    return 1 if flagged else 0


def report(res, tunnel_info, leak_info, binary, tls_info=()):
    L = []
    L.append("microgw benchmark  %s  host %s, %d cores"
             % (datetime.datetime.now().isoformat(timespec="seconds"), os.uname().nodename,
                os.cpu_count()))
    L.append("wrk -t%d -c%d -d%s --latency (warm-up %s first), GET %s, 64-byte body; loopback only"
             % (THREADS, CONNECTIONS, DURATION, WARMUP, PATH))
    L.append("microgw binary: %s" % binary)
    L.append("workers: nginx backend 1; nginx reverse proxy %d; microgw %d; Apache %d processes "
             "x 64 threads (mpm_event); Squid 1 process" % (WORKERS, WORKERS, WORKERS))
    L.append("logging off everywhere (nginx access_log off, microgw accessLog.enabled=false, "
             "Apache no CustomLog); Squid keeps its access log (one line per request for e, "
             "per tunnel for d)")
    L.append("")
    hdr = "%-32s %11s %9s %9s %8s %8s %7s  %s" % ("setup", "requests/s", "p50 ms", "p99 ms",
                                                  "non-2xx", "sockerr", "other%", "flag")
    L.append(hdr)
    L.append("-" * len(hdr))
    for _, label, r in res.rows:
        flag = ""
        if r["rps"] is None:
            flag = "FAILED (no wrk result)"
        elif r["non2xx"] or r["sockerr"]:
            flag = "ERRORS (%s)" % (r["sockerr_detail"] if r["sockerr"] else "non-2xx")
        if r.get("other", 0) > OTHER_CPU_LIMIT:
            flag = (flag + "; " if flag else "") + "NOISY (other processes busy)"
        L.append("%-32s %11s %9s %9s %8d %8d %7.0f  %s"
                 % (label, fmt(r["rps"]), fmt(r["p50"], 3), fmt(r["p99"], 3), r["non2xx"],
                    r["sockerr"], r.get("other", 0), flag))
    L.append("other%% = CPU used by processes outside the benchmark during the measured run, in %%"
             " of one core (flagged NOISY above %d%%)" % OTHER_CPU_LIMIT)
    if any("perf_per_req" in r for _, _, r in res.rows):
        L.append("")
        L.append("per request, the proxy under test's processes (perf stat -e %s -p; CPU spent,"
                 " not shared with neighbours as req/s is; task-clock in microseconds):"
                 % PERF_EVENTS)
        for _, label, r in res.rows:
            if "perf_per_req" in r:
                L.append("  %-32s %s" % (label, "  ".join(
                    "%s %.1f" % (e, v * (1000.0 if e == "task-clock" else 1.0))
                    for e, v in sorted(r["perf_per_req"].items()))))
        for x, y, what in (("c", "b", "microgw / nginx (http)"),
                           ("cs", "bs", "microgw / nginx (https)")):
            rx, ry = res.get(x), res.get(y)
            if rx and ry and "perf_per_req" in rx and "perf_per_req" in ry:
                L.append("  %-32s %s" % (what, "  ".join(
                    "%s %sx" % (e, fmt(ratio(v, ry["perf_per_req"].get(e)), 2))
                    for e, v in sorted(rx["perf_per_req"].items()))))
    L.append("")
    L.append("ratios:")
    pairs = [("c", "b", "microgw / nginx reverse proxy"),
             ("c2", "b", "microgw default chain / nginx reverse proxy"),
             ("cs", "bs", "microgw -> https / nginx -> https"),
             ("d", "e", "microgw via Squid / Apache via Squid")]
    for x, y, what in pairs:
        rx, ry = res.get(x), res.get(y)
        if rx and ry:
            L.append("  %-46s throughput %sx   p99 %sx"
                     % (what, fmt(ratio(rx["rps"], ry["rps"]), 2),
                        fmt(ratio(rx["p99"], ry["p99"]), 2)))
    for x, y, what in (("b", "a", "nginx reverse proxy / backend direct"),
                       ("d", "c", "microgw via Squid / microgw direct")):
        rx, ry = res.get(x), res.get(y)
        if rx and ry:
            L.append("  %-46s throughput %sx   p99 %sx"
                     % (what, fmt(ratio(rx["rps"], ry["rps"]), 2),
                        fmt(ratio(rx["p99"], ry["p99"]), 2)))
    if tls_info:
        L.append("")
        L.append("microgw (cs) upstream connection counters from admin /metrics:")
        L += ["  " + l for l in tls_info]
    if tunnel_info:
        L.append("")
        L.append("microgw (d) tunnel counters from admin /metrics:")
        L += ["  " + l for l in tunnel_info]
    if leak_info:
        L.append("")
        L.append("proxy credential check (one request to a header-echo backend behind Squid):")
        for who, leak, hdrs in leak_info:
            verdict = {True: "Proxy-Authorization REACHED the backend",
                       False: "no Proxy-Authorization at the backend",
                       None: "check failed (%s)" % hdrs}[leak]
            L.append("  %-34s %s" % (who + ":", verdict))
    L.append("")
    L.append("caveat: Apache cannot send proxy credentials (no syntax on ProxyRemote); it uses")
    L.append("  RequestHeader set Proxy-Authorization, i.e. it adds the proxy credentials to the")
    L.append("  request itself. Squid consumes them on absolute-form http requests (this set-up),")
    L.append("  but when Apache tunnels (CONNECT, https backend) the header travels inside the")
    L.append("  tunnel and leaks the proxy credentials to the backend. microgw sends them only on")
    L.append("  CONNECT to the proxy, never to a backend.")
    L.append("note: d = CONNECT tunnel (Squid relays bytes, authenticates once per tunnel);")
    L.append("  e = absolute-form GETs (Squid parses and authenticates every request).")
    L.append("  compare numbers only within one run: wrk, peers and backend share the cores.")
    for n in res.notes:
        L.append("")
        L.append("NOTE: " + n)
    return "\n".join(L)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def run(entry):
    """Runs a bench's main() and exits with its code; the daemons it started
    are stopped however it ends (SIGTERM, SIGHUP and ^C included)."""
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, _on_signal)
    try:
        rc = entry()
    except KeyboardInterrupt as e:
        log("interrupted (%s); cleaning up" % e)
        rc = 130
    finally:
        cleanup_all()
    sys.exit(rc)


if __name__ == "__main__":
    run(main)
