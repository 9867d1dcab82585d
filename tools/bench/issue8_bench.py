"""Issue 8's benchmark, in one run: the same open route with throttle + analytics
off (chain [router]) against both on ([analytics, throttle, router]), the latter
with the throttle counting locally, publishing every request to a traffic
manager that answers at once (nginx returning 200: a sink that costs next to no
CPU), and with the traffic manager down (every event dropped); and each filter
alone, to tell their costs apart. Analytics writes its usage file (uploads
off). Policies are set so that nothing is refused.

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/issue8_bench.py

Set-ups run interleaved, ROUNDS times; the table shows medians with req/s, p99
and the gateway's CPU time per request against "both off". Targets (issue 8):
at most 8% throughput cost; p99 with the traffic manager down within 10% of
the traffic manager up. Environment as tools/bench/throttle_bench.py
(THROTTLE_BENCH_DURATION, _CONNECTIONS, _WORKERS, _ROUNDS).
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import throttle_bench as tb  # noqa: E402  (wrk, median, POLICIES; sets sys.path)

bench, h = tb.bench, tb.h


USAGE_DIRS = []  # removed at the end: a run writes hundreds of MB of events


def gateway(backend, policies, chain, throttling, analytics):
    api = h.api_definition("/b", ["http://127.0.0.1:%d/" % backend.port],
                           paths={"/pets": ["get"]}, extra={"x-throttling-tier": "Huge"})
    conf = {"listenerConfig": {"workers": tb.WORKERS}, "accessLog": {"enabled": False},
            "throttlingConfig": dict({"policiesFile": policies}, **throttling)}
    if analytics:
        USAGE_DIRS.append(h.make_run_dir("mgw-issue8-usage-"))
        conf["analytics"] = {"fileUpload": {"enable": True, "taskUploadFiles": False,
                                            "usageDataDirectory": USAGE_DIRS[-1]}}
    return h.Microgw({"b": api}, conf=conf, filters=chain).start()


def main():
    backend = bench.BenchNginx().start()
    tmp = tempfile.mkdtemp(prefix="mgw-issue8-bench-")
    policies = os.path.join(tmp, "policies.yaml")
    with open(policies, "w") as f:
        f.write(tb.POLICIES)
    off = "filters:\n  - name: router\n"
    on = "filters:\n  - name: analytics\n  - name: throttle\n  - name: router\n"
    sink = {"enabledGlobalTMEventPublishing": True,
            "throttleEndpointUrl": "http://127.0.0.1:%d/endpoints" % backend.port}
    down = dict(sink, throttleEndpointUrl="http://127.0.0.1:%d/endpoints" % h.free_port())
    analytics = "filters:\n  - name: analytics\n  - name: router\n"
    throttle = "filters:\n  - name: throttle\n  - name: router\n"
    setups = [("both off", off, {}, False), ("analytics only", analytics, {}, True),
              ("throttle only", throttle, {}, False), ("both on", on, {}, True),
              ("on + TM up", on, sink, True), ("on + TM down", on, down, True)]
    runs = {name: [] for name, _, _, _ in setups}
    events = {}
    gateways = []
    try:
        for name, chain, throttling, analytics in setups:
            gateways.append((name, gateway(backend, policies, chain, throttling, analytics)))
        for _ in range(tb.ROUNDS):  # interleaved: load from elsewhere hits every set-up alike
            for name, gw in gateways:
                runs[name].append(tb.wrk("http://127.0.0.1:%d/b/pets" % gw.port,
                                         gw.process.pid))
        for name, gw in gateways:
            events[name] = h.metric_sum(gw.metrics(), "microgw_analytics_events_written_total")
    finally:
        for _, gw in gateways:
            gw.cleanup()
        backend.cleanup()
        for d in USAGE_DIRS + [tmp]:
            shutil.rmtree(d, True)
    print_table(runs, events)
    return 1 if any(r[3] for rs in runs.values() for r in rs) else 0


def print_table(runs, events):
    rows = {name: tuple(tb.median([r[i] for r in rs]) for i in range(3)) +
            (sum(r[3] for r in rs),) for name, rs in runs.items()}
    base_rps, base_p99, base_cpu, _ = rows["both off"]
    print("medians of %d interleaved rounds of wrk -t2 -c%s -d%s, %d workers; load average %s"
          % (tb.ROUNDS, tb.CONNECTIONS, tb.DURATION, tb.WORKERS, load_average()))
    print("| set-up | req/s | vs off | p99 ms | vs off | cpu us/req | vs off | non-2xx |"
          " analytics events |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (rps, p99, cpu, bad) in rows.items():
        print("| %s | %.0f | %.3f | %.2f | %.2f | %.1f | %.3f | %d | %d |" % (
            name, rps, rps / base_rps, p99, p99 / base_p99, cpu, cpu / base_cpu, bad,
            events.get(name, 0)))
    up, dn = rows["on + TM up"][1], rows["on + TM down"][1]
    print("p99 TM down / TM up: %.2f" % (dn / up))


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
