"""throttle cost, in one run: the same open route with the chain [router] vs.
[throttle, router] (local counts only), vs. the same publishing every request to
a traffic manager (test/support/traffic_manager.py), vs. to nginx answering 200
(a sink that costs no CPU), vs. with the traffic manager down (events dropped). Policies are set so that nothing is refused: this
measures counting and publishing, not 429s.

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/throttle_bench.py

Environment: THROTTLE_BENCH_DURATION (5s), THROTTLE_BENCH_CONNECTIONS (32),
THROTTLE_BENCH_WORKERS (2), THROTTLE_BENCH_ROUNDS (3: the set-ups run interleaved,
medians reported, with the gateway's CPU time per request, which other load on
the machine disturbs less than req/s). Needs nginx and wrk. On a shared 2-core machine wrk
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


ROUNDS = int(os.environ.get("THROTTLE_BENCH_ROUNDS", "3"))


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (all its threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid):
    """cpu_seconds of `pid` and its children (an nginx master and its workers)."""
    total = cpu_seconds(pid)
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            total += sum(cpu_seconds(int(c)) for c in f.read().split())
    except OSError:
        pass
    return total


def machine_cpu_seconds():
    """Busy CPU time of the whole machine (all cores, every process and the kernel)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wrk(url, pid, others=(), machine=False):
    """(req/s, p99 ms, CPU us/req of `pid`, non-2xx[, CPU us/req of each of `others`]
    [, with `machine` the whole machine's busy CPU us/req, wrk's included])."""
    argv = ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, "--latency", url]
    subprocess.run(argv[:3] + ["-d2s", url], capture_output=True)  # warm-up
    cpu = cpu_seconds(pid)
    other_cpu = [tree_cpu_seconds(o) for o in others]
    busy = machine_cpu_seconds()
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    busy = machine_cpu_seconds() - busy
    cpu = cpu_seconds(pid) - cpu
    other_cpu = [tree_cpu_seconds(o) - c for o, c in zip(others, other_cpu)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (rps, float(p99.group(1)) * scale, cpu * 1e6 / max(total, 1),
            int(bad.group(1)) if bad else 0) + tuple(c * 1e6 / max(total, 1) for c in other_cpu) + (
                (busy * 1e6 / max(total, 1),) if machine else ())


def gateway(backend, policies, chain, throttling):
    api = h.api_definition("/b", ["http://127.0.0.1:%d/" % backend.port],
                           paths={"/pets": ["get"]}, extra={"x-throttling-tier": "Huge"})
    conf = {"listenerConfig": {"workers": WORKERS}, "accessLog": {"enabled": False},
            "throttlingConfig": dict({"policiesFile": policies}, **throttling)}
    return h.Microgw({"b": api}, conf=conf, filters=chain).start()


def median(values):
    return sorted(values)[len(values) // 2]


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
    # The Python test traffic manager competes with the gateway for the cores;
    # nginx answering 200 to every POST is a sink that costs next to nothing.
    sink = dict(publish, throttleEndpointUrl="http://127.0.0.1:%d/endpoints" % backend.port)
    setups = [("throttle off", off, {}), ("throttle on", on, {}),
              ("on + TM events", on, publish), ("on + nginx sink", on, sink),
              ("on + TM down", on, down)]
    runs = {name: [] for name, _, _ in setups}
    gateways = []
    try:
        gateways = [(name, gateway(backend, policies, chain, t)) for name, chain, t in setups]
        for _ in range(ROUNDS):  # interleaved, so load from elsewhere hits every set-up alike
            for name, gw in gateways:
                runs[name].append(wrk("http://127.0.0.1:%d/b/pets" % gw.port, gw.process.pid))
    finally:
        for _, gw in gateways:
            gw.cleanup()
        tm.stop()
        backend.cleanup()
    rows = {name: tuple(median([r[i] for r in rs]) for i in range(3)) + (sum(r[3] for r in rs),)
            for name, rs in runs.items()}
    base_rps, base_p99, base_cpu, _ = rows["throttle off"]
    print("medians of %d interleaved rounds of wrk -t2 -c%s -d%s, %d workers" % (
        ROUNDS, CONNECTIONS, DURATION, WORKERS))
    print("%-16s %9s %8s %8s %8s %12s %8s %8s" % ("set-up", "req/s", "vs off", "p99 ms",
                                                  "vs off", "cpu us/req", "vs off", "non-2xx"))
    for name, (rps, p99, cpu, bad) in rows.items():
        print("%-16s %9.0f %7.3fx %8.2f %7.2fx %12.1f %7.3fx %8d" % (
            name, rps, rps / base_rps, p99, p99 / base_p99, cpu, cpu / base_cpu, bad))
    print("events received by the test traffic manager: %d" % len(tm.event_list()))
    return 1 if any(r[3] for r in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
