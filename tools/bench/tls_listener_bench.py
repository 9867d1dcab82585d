"""The TLS listener's cost, in one run, as ratios against nginx terminating TLS
in front of the same backend (one worker each, wrk over HTTPS):

  keep-alive   requests on long-lived TLS connections (record encryption cost)
  handshakes   `Connection: close` on every request (a full TLS handshake each;
               wrk does not resume sessions)
  plain        the same gateway's plain port vs. nginx's plain reverse proxy,
               the baseline the TLS ratios compare with (and plain-close: a new
               TCP connection per request, the baseline of `handshakes`)

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/tls_listener_bench.py

Environment: TLS_BENCH_DURATION (5s), TLS_BENCH_CONNECTIONS (32). On a shared
2-core machine wrk competes with the servers for the cores: compare runs from
one invocation only.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402  (BenchNginx)
import mgw_harness as h  # noqa: E402

DURATION = os.environ.get("TLS_BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("TLS_BENCH_CONNECTIONS", "32")


def cpu_ticks(pid):
    """User + system clock ticks of `pid` and its direct children (nginx's workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total


def wrk(url, pid, extra=()):
    """(requests/s, non-2xx, socket errors, server CPU ms per request)."""
    argv = ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, url] + list(extra)
    subprocess.run(argv[:3] + ["-d2s"] + argv[4:], capture_output=True)  # warm-up
    before = cpu_ticks(pid)
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    ticks = cpu_ticks(pid) - before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    cpu_ms = ticks * 1000.0 / os.sysconf("SC_CLK_TCK") / max(total, 1)
    return rps, int(bad.group(1)) if bad else 0, errors.group(1) if errors else "", cpu_ms


def main():
    ca = h.TestCA(directory=h.make_run_dir("mgw-bench-tls-"))
    cert, key = ca.issue()
    h.chown_tree(ca.directory, h.DAEMON_USER)
    backend = bench.BenchNginx().start()
    nginx_tls = bench.BenchNginx(upstream_port=backend.port, tls_cert=(cert, key)).start()
    nginx_plain = bench.BenchNginx(upstream_port=backend.port).start()
    api = h.api_definition("/", ["http://127.0.0.1:%d/" % backend.port],
                           paths={"/pets": ["get"]}, title="bench")
    gw = h.Microgw({"bench": api}, conf={"listenerConfig": {"workers": 1, "certificateFile": cert,
                                                            "keyFile": key},
                                         "accessLog": {"enabled": False}})
    rows = []
    try:
        gw.start()
        h.wait_for_port(h.LOOPBACK, gw.https_port, process=gw.process)
        close = ["-H", "Connection: close"]
        cases = [
            ("keep-alive", "https://127.0.0.1:%d/pets" % gw.https_port,
             "https://127.0.0.1:%d/pets" % nginx_tls.port, ()),
            ("handshakes", "https://127.0.0.1:%d/pets" % gw.https_port,
             "https://127.0.0.1:%d/pets" % nginx_tls.port, close),
            ("plain", "http://127.0.0.1:%d/pets" % gw.port,
             "http://127.0.0.1:%d/pets" % nginx_plain.port, ()),
            ("plain-close", "http://127.0.0.1:%d/pets" % gw.port,
             "http://127.0.0.1:%d/pets" % nginx_plain.port, close),
        ]
        for name, mgw_url, nginx_url, extra in cases:
            nginx = nginx_plain if name.startswith("plain") else nginx_tls
            m = wrk(mgw_url, gw.process.popen.pid, extra)
            n = wrk(nginx_url, nginx.process.popen.pid, extra)
            rows.append((name, m, n))
    finally:
        gw.stop()
        for d in (nginx_tls, nginx_plain, backend):
            d.stop()
    print("%-11s %12s %12s %7s %14s %12s  %s" % ("case", "microgw r/s", "nginx r/s", "ratio",
                                                 "mgw CPU ms/req", "nginx CPU ms", "notes"))
    for name, m, n in rows:
        notes = "; ".join(x for x in (
            "microgw non-2xx %d" % m[1] if m[1] else "", "nginx non-2xx %d" % n[1] if n[1] else "",
            "microgw socket errors: " + m[2] if m[2] else "",
            "nginx socket errors: " + n[2] if n[2] else "") if x)
        print("%-11s %12.0f %12.0f %6.2fx %14.3f %12.3f  %s"
              % (name, m[0], n[0], m[0] / n[0], m[3], n[3], notes))


if __name__ == "__main__":
    main()
