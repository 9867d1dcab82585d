"""throttle cost, in one run: the same open route with the chain [router] vs.
[throttle, router] (local counts only), vs. the same publishing every request to
a traffic manager (test/support/traffic_manager.py), vs. with the traffic manager
down (events dropped). Policies are set so that nothing is refused: this
measures counting and publishing, not 429s.

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/throttle_bench.py

Environment: THROTTLE_BENCH_DURATION (5s), THROTTLE_BENCH_CONNECTIONS (32),
THROTTLE_BENCH_WORKERS (2). Needs nginx and wrk. On a shared 2-core machine wrk
competes with the gateway for the cores: compare rows of one invocation only.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402  (BenchNginx: a `return 200` backend)
import mgw_harness as h  # noqa: E402
import traffic_manager as tmh  # noqa: E402

DURATION = os.environ.get("THROTTLE_BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("THROTTLE_BENCH_CONNECTIONS", "32")
WORKERS = int(os.environ.get("THROTTLE_BENCH_WORKERS", "2"))
POLICIES = """
resourcePolicies:
  - Huge: {count: 1000000000000, unitTime: 1, timeUnit: min}
subscriptionPolicies:
  - Unauthenticated: {count: 1000000000000, unitTime: 1, timeUnit: min}
"""


def wrk(url):
    argv = ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, "--latency", url]
    subprocess.run(argv[:3] + ["-d2s", url], capture_output=True)  # warm-up
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(bad.group(1)) if bad else 0


def run(backend, policies, chain, throttling):
    api = h.api_definition("/b", ["http://127.0.0.1:%d/" % backend.port],
                           paths={"/pets": ["get"]}, extra={"x-throttling-tier": "Huge"})
    conf = {"listenerConfig": {"workers": WORKERS}, "accessLog": {"enabled": False},
            "throttlingConfig": dict({"policiesFile": policies}, **throttling)}
    gw = h.Microgw({"b": api}, conf=conf, filters=chain).start()
    try:
        return wrk("http://127.0.0.1:%d/b/pets" % gw.port)
    finally:
        gw.cleanup()


def main():
    backend = bench.BenchNginx().start()
    tm = tmh.TrafficManager("admin", "admin").start()
    policies = os.path.join(tempfile.mkdtemp(prefix="mgw-throttle-bench-"), "policies.yaml")
    with open(policies, "w") as f:
        f.write(POLICIES)
    off = "filters:\n  - name: router\n"
    on = "filters:\n  - name: throttle\n  - name: router\n"
    publish = {"enabledGlobalTMEventPublishing": True, "throttleEndpointUrl": tm.url}
    down = dict(publish, throttleEndpointUrl="http://127.0.0.1:%d/endpoints" % h.free_port())
    rows = {}
    try:
        rows["throttle off"] = run(backend, policies, off, {})
        rows["throttle on"] = run(backend, policies, on, {})
        rows["on + TM events"] = run(backend, policies, on, publish)
        rows["on + TM down"] = run(backend, policies, on, down)
    finally:
        tm.stop()
        backend.cleanup()
    base_rps, base_p99, _ = rows["throttle off"]
    print("%-16s %10s %8s %9s %8s %8s" % ("set-up", "req/s", "vs off", "p99 ms", "vs off",
                                          "non-2xx"))
    for name, (rps, p99, bad) in rows.items():
        print("%-16s %10.0f %7.3fx %9.2f %7.2fx %8d" % (name, rps, rps / base_rps, p99,
                                                       p99 / base_p99, bad))
    print("events received by the test traffic manager: %d" % len(tm.event_list()))
    return 1 if any(bad for _, _, bad in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
