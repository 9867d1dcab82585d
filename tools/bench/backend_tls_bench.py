#!/usr/bin/env python3
"""Issue 9: microgw vs the nginx reverse proxy to plain and https backends, one worker each.

Set-ups (the same nginx backends, plain and https, 1 worker, 64-byte answer):
  b   nginx reverse proxy -> http backend (upstream keepalive 64)
  c   microgw (router only) -> http backend (pooled)
  bs  nginx reverse proxy -> https backend (keepalive, proxy_ssl_session_reuse)
  cs  microgw -> https backend
Both proxies have one process serving (nginx `master_process off`, microgw workers = 1).

Modes (BTLS_MODE, comma-separated, default "wrk"):
  wrk        interleaved rounds (BTLS_ROUNDS, 3) of wrk -t2 -c64 -d$BTLS_DURATION (5s) on each
             set-up; medians of req/s and of the proxy's CPU microseconds per request
             (user + system, from /proc, and the user part alone), ratios microgw / nginx.
  callgrind  each proxy alone under valgrind --tool=callgrind; counters zeroed after a
             warm-up, then BTLS_REQUESTS (3000) requests of `ab -k -c8`: user-space
             instructions per request (all threads). Profiles stay in the printed folder.
  strace     each proxy under `strace -c -f -p` for BTLS_REQUESTS requests of `ab -k -c8`
             after a warm-up: system calls per request, by name.
  trace      the proxy's system calls in order (strace -f) for 3 requests on one connection.
BTLS_ONLY (e.g. "cs,bs") limits the set-ups. MICROGW_BIN: the gateway binary.
BTLS_BEFORE_BIN: a second gateway binary, measured as c0 / cs0 in the same run (before/after).
"""

import glob
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (sets sys.path for the harness)

h = bench.h

MODES = [m.strip() for m in os.environ.get("BTLS_MODE", "wrk").split(",") if m.strip()]
ROUNDS = int(os.environ.get("BTLS_ROUNDS", "3"))
DURATION = os.environ.get("BTLS_DURATION", "5s")
CONNECTIONS = os.environ.get("BTLS_CONNECTIONS", "64")
REQUESTS = int(os.environ.get("BTLS_REQUESTS", "3000"))
ONLY = [s.strip() for s in os.environ.get("BTLS_ONLY", "").split(",") if s.strip()]
BEFORE_BIN = os.environ.get("BTLS_BEFORE_BIN")  # adds c0 / cs0: c / cs with this binary
SETUPS = [k for k in ("b", "c", "bs", "cs") + (("c0", "cs0") if BEFORE_BIN else ())
          if not ONLY or k.rstrip("0") in ONLY]
PAIRS = (("c", "b", "http backends"), ("cs", "bs", "https backends"),
         ("c0", "b", "http backends, BTLS_BEFORE_BIN"),
         ("cs0", "bs", "https backends, BTLS_BEFORE_BIN"))
bench.WORKERS = 1


class WrappedMicrogw(h.Microgw):
    wrapper = ()

    def argv(self):
        return list(self.wrapper) + super().argv()


def callgrind_argv(out_dir, name):
    return ["valgrind", "--tool=callgrind", "--dump-instr=no", "--separate-threads=yes",
            "--callgrind-out-file=%s/callgrind.%s.out" % (out_dir, name)]


def start_proxy(key, backend, tls_backend, binary, wrapper=()):
    """Starts set-up `key`; returns (daemon, pid of the process that serves)."""
    slow = 180 if wrapper else 60
    if key in ("b", "bs"):
        d = bench.BenchNginx(workers=1, single_process=True, wrapper=wrapper,
                             upstream_port=(backend if key == "b" else tls_backend).port,
                             upstream_tls_ca=bench._bench_ca.cert_path if key == "bs" else None)
        bench._started.append(d)
        d.start(timeout=slow)
        return d, d.process.pid
    if key.endswith("0"):
        key, binary = key[:-1], BEFORE_BIN
    conf = bench.microgw_conf()
    if key == "cs":
        conf["httpClients"]["trustStorePath"] = bench._bench_ca.cert_path
        api = bench.petstore_api(tls_backend.port, scheme="https", host="localhost")
    else:
        api = bench.petstore_api(backend.port)
    d = WrappedMicrogw({"petstore": api}, conf=conf, filters=h.DEFAULT_FILTERS, binary=binary)
    d.wrapper = wrapper
    bench._started.append(d)
    d.start(timeout=slow)
    bench.record_pid(d.process)
    return d, d.process.pid


def url(d):
    return "http://127.0.0.1:%d%s" % (d.port, bench.PATH)


def ab(d, n):
    out = subprocess.run(["ab", "-q", "-k", "-n", str(n), "-c", "8", url(d)],
                         capture_output=True, text=True, timeout=600).stdout
    done = int(re.search(r"Complete requests:\s+(\d+)", out).group(1))
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return done, failed + (int(non2xx.group(1)) if non2xx else 0)


def cpu_seconds(pid, user_only=False):
    """CPU seconds used by `pid` so far: user + system, or user alone."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + (0 if user_only else int(fields[12]))
    return ticks / os.sysconf("SC_CLK_TCK")


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def ratio(a, b):
    return "%.3f" % (a / b) if a and b else "n/a"


def run_wrk(backend, tls_backend, binary):
    running = {k: start_proxy(k, backend, tls_backend, binary) for k in SETUPS}
    for d, _ in running.values():
        bench.sanity(d.port)
    rps = {k: [] for k in SETUPS}
    cpu = {k: [] for k in SETUPS}
    user = {k: [] for k in SETUPS}
    loads = [os.getloadavg()[0]]
    for rnd in range(ROUNDS):
        order = SETUPS if rnd % 2 == 0 else list(reversed(SETUPS))
        for k in order:
            d, pid = running[k]
            argv = ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, url(d)]
            subprocess.run(argv[:3] + ["-d2s", url(d)], capture_output=True)  # warm-up
            before, user_before = cpu_seconds(pid), cpu_seconds(pid, user_only=True)
            out = subprocess.run(argv, capture_output=True, text=True).stdout
            used = cpu_seconds(pid) - before
            used_user = cpu_seconds(pid, user_only=True) - user_before
            total = int(re.search(r"(\d+) requests in", out).group(1))
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            if bad or "Socket errors" in out:
                print("round %d %s: errors\n%s" % (rnd, k, out))
            rps[k].append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
            cpu[k].append(used * 1e6 / max(total, 1))
            user[k].append(used_user * 1e6 / max(total, 1))
            bench.log("round %d %s: %.0f req/s, %.1f us CPU/req" % (rnd, k, rps[k][-1],
                                                                    cpu[k][-1]))
    loads.append(os.getloadavg()[0])
    print("\nwrk -t2 -c%s -d%s, %d interleaved rounds, medians; load average %.1f -> %.1f"
          % (CONNECTIONS, DURATION, ROUNDS, loads[0], loads[1]))
    print("| set-up | req/s | CPU us/req | of which user | req/s per round "
          "| CPU us/req per round |")
    print("|---|---|---|---|---|---|")
    for k in SETUPS:
        print("| %s | %.0f | %.1f | %.1f | %s | %s |" % (
            k, median(rps[k]), median(cpu[k]), median(user[k]),
            " ".join("%.0f" % v for v in rps[k]), " ".join("%.1f" % v for v in cpu[k])))
    for gw, ng, kind in PAIRS:
        if gw in rps and ng in rps:
            print("%s, microgw / nginx: req/s %s, CPU us/req %s (per round: %s)" % (
                kind, ratio(median(rps[gw]), median(rps[ng])),
                ratio(median(cpu[gw]), median(cpu[ng])),
                " ".join(ratio(a, b) for a, b in zip(rps[gw], rps[ng]))))


def callgrind_total(out_dir, name):
    total = 0
    for path in glob.glob(os.path.join(out_dir, "callgrind.%s.out*" % name)):
        with open(path, errors="replace") as f:
            m = re.search(r"^(?:totals|summary):\s+(\d+)", f.read(), re.M)
        total += int(m.group(1)) if m else 0
    return total


def run_callgrind(backend, tls_backend, binary):
    out_dir = h.make_run_dir("mgw-btls-callgrind-")
    os.chmod(out_dir, 0o777)  # nginx may write as its user
    rows = {}
    for k in SETUPS:
        d, pid = start_proxy(k, backend, tls_backend, binary, callgrind_argv(out_dir, k))
        try:
            ab(d, 500)
            subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True, check=True)
            done, bad = ab(d, REQUESTS)
            for path in glob.glob(os.path.join(out_dir, "callgrind.%s.out*" % k)):
                os.remove(path)
            subprocess.run(["callgrind_control", "-d", str(pid)], capture_output=True,
                           check=True)
            rows[k] = (callgrind_total(out_dir, k) / max(done, 1), bad)
            bench.log("%s: %.0f instructions/request (%d errors)" % (k, rows[k][0], bad))
        finally:
            bench.stop_daemon(d)
    print("\ncallgrind, user-space instructions per request (all threads), %d requests of "
          "ab -k -c8; profiles in %s" % (REQUESTS, out_dir))
    print("| set-up | instructions/req | errors |\n|---|---|---|")
    for k, (ir, bad) in rows.items():
        print("| %s | %.0f | %d |" % (k, ir, bad))
    for gw, ng, kind in PAIRS:
        if gw in rows and ng in rows:
            print("%s, microgw / nginx: %s" % (kind, ratio(rows[gw][0], rows[ng][0])))


def parse_strace(text):
    calls = {}
    for line in text.splitlines():
        m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = int(m.group(1))
    return calls


def run_strace(backend, tls_backend, binary):
    rows = {}
    for k in SETUPS:
        d, pid = start_proxy(k, backend, tls_backend, binary)
        try:
            ab(d, 500)
            st = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            done, bad = ab(d, REQUESTS)
            st.send_signal(signal.SIGINT)
            _, err = st.communicate(timeout=60)
            rows[k] = {n: c / max(done, 1) for n, c in parse_strace(err).items()}
            bench.log("%s: %.2f syscalls/request" % (k, sum(rows[k].values())))
        finally:
            bench.stop_daemon(d)
    names = sorted({n for r in rows.values() for n, c in r.items() if c >= 0.01})
    print("\nstrace -c -f, system calls per request, %d requests of ab -k -c8" % REQUESTS)
    print("| syscall | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for n in names:
        print("| %s | " % n + " | ".join("%.2f" % r.get(n, 0) for r in rows.values()) + " |")
    print("| total | " + " | ".join("%.2f" % sum(r.values()) for r in rows.values()) + " |")


def run_trace(backend, tls_backend, binary):
    """The proxy's system calls, in order, for 3 keep-alive requests on one connection."""
    for k in SETUPS:
        d, pid = start_proxy(k, backend, tls_backend, binary)
        try:
            ab(d, 200)
            st = subprocess.Popen(["strace", "-f", "-p", str(pid)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            subprocess.run(["ab", "-q", "-k", "-n", "3", "-c", "1", url(d)], capture_output=True)
            time.sleep(0.5)
            st.send_signal(signal.SIGINT)
            _, err = st.communicate(timeout=60)
            print("\n--- %s: system calls for 3 requests on one connection\n%s" % (k, err))
        finally:
            bench.stop_daemon(d)


def main():
    binary = os.environ.get("MICROGW_BIN") or h.find_microgw()
    if not binary:
        raise SystemExit("microgw binary not found: set MICROGW_BIN")
    backend = bench.start_daemon(bench.BenchNginx(workers=1))
    tls_backend = bench.start_daemon(bench.BenchNginx(workers=1, tls_cert=bench.bench_cert()))
    try:
        for mode in MODES:
            {"wrk": run_wrk, "callgrind": run_callgrind, "strace": run_strace,
             "trace": run_trace}[mode](
                backend, tls_backend, binary)
    finally:
        bench.cleanup_all()


if __name__ == "__main__":
    bench.run(main)
