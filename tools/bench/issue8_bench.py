"""Issue 8's benchmark, in one run: the same open route with throttle + analytics
off (chain [router]) against both on ([analytics, throttle, router]), the latter
with the throttle counting locally, publishing every request to a traffic
manager that answers at once (a second nginx returning 200, apart from the
backend's, so its CPU is counted apart: on this 2-core machine it competes with
the gateway, where a real traffic manager runs elsewhere), and with the traffic
manager down (every event dropped); and each filter
alone, to tell their costs apart. Analytics writes its usage file (uploads
off). Policies are set so that nothing is refused.

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/issue8_bench.py

Set-ups run interleaved, ROUNDS times; the table shows medians with req/s, p99,
the gateway's CPU time per request and the whole machine's (wrk, both nginx and
the kernel included: on a shared VM whose req/s swings by 10-30% from one
round to the next, the steadier measure of what a set-up costs) against
"both off", and the events
counted (analytics written; traffic-manager events sent and dropped: with the
traffic manager up every request must be sent). Targets (issue 8):
at most 8% throughput cost; p99 with the traffic manager down within 10% of
the traffic manager up. Environment as tools/bench/throttle_bench.py
(THROTTLE_BENCH_DURATION, _CONNECTIONS, _WORKERS, _ROUNDS).

With ISSUE8_BENCH_CALLGRIND=<requests> it instead runs each set-up once under
valgrind's callgrind and prints the gateway's user-space instructions per
request (all threads, the background ones included), counted over that many
requests after a warm-up: exact and unaffected by other load on the machine
(no hardware counters in a VM), so the figure to judge a change by. Kernel
time (syscalls) is not in it; the req/s run shows that. The traffic-manager
thread's share is shown apart: under valgrind (~300 req/s) its batches hold a
few events per POST instead of batch_size, so its share per request is
several times what it is at full speed. ISSUE8_BENCH_ONLY
(comma-separated set-up names) limits the set-ups; the callgrind output files
stay in the printed folder for callgrind_annotate.
"""

import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import throttle_bench as tb  # noqa: E402  (wrk, median, POLICIES; sets sys.path)

bench, h = tb.bench, tb.h


USAGE_DIRS = []  # removed at the end: a run writes hundreds of MB of events


CALLGRIND = int(os.environ.get("ISSUE8_BENCH_CALLGRIND", "0"))
# ISSUE8_BENCH_USAGE_DIR=/dev/shm: the analytics files on tmpfs, to tell the
# disk's share of the analytics cost from the CPU's (default: under /tmp).
USAGE_PARENT = os.environ.get("ISSUE8_BENCH_USAGE_DIR", "")
# Per gateway; a run writes ~0.5 GB per analytics set-up and 5 rounds (the
# folders are removed at the end; /dev/shm must hold them meanwhile).
DISK_CAP_MB = int(os.environ.get("ISSUE8_BENCH_DISK_CAP_MB", "8192"))
# Memory written once and freed before the rounds (MB; default: about what the
# run's analytics files will take, at most half the free memory; 0 = none). In
# this VM the first write to a page of guest memory costs several times a later
# one (the host backs the page then): 2 GB into /dev/shm took 4.8 s fresh and
# 1.2-1.6 s again after `rm`. The analytics files grow the page cache into such
# pages, so without this the analytics set-ups pay a tax a machine that has run
# for a while (or whose uploaded files were deleted) does not pay, and the tax
# varied with what earlier runs had left in memory.
PRETOUCH_MB = os.environ.get("ISSUE8_BENCH_PRETOUCH_MB")
ONLY = [n.strip() for n in os.environ.get("ISSUE8_BENCH_ONLY", "").split(",") if n.strip()]


class CallgrindMicrogw(h.Microgw):
    """The gateway under callgrind, counting from the start (zeroed before measuring)."""

    out_dir = None

    def argv(self):
        out = os.path.join(self.out_dir, "callgrind.%s.out" % self.port)
        return ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                "--dump-instr=no", "--separate-threads=yes"] + super().argv()


# Background threads, told apart by a function only they run.
BACKGROUND = (("TrafficManagerClient::Worker::run", "tm"), ("UsageWriter::loop", "writer"))


def thread_totals(out_dir, port):
    """{"request": Ir of the other threads, "tm": ..., "writer": ...} of the last dump."""
    totals = {"request": 0, "tm": 0, "writer": 0}
    for path in glob.glob(os.path.join(out_dir, "callgrind.%d.out*" % port)):
        with open(path, errors="replace") as f:
            text = f.read()
        m = re.search(r"^(?:totals|summary):\s+(\d+)", text, re.M)
        kind = next((k for fn, k in BACKGROUND if fn in text), "request")
        totals[kind] += int(m.group(1)) if m else 0
    return totals


def instructions_per_request(gw, out_dir, requests):
    """Ir per request of the gateway's threads over `requests` requests of ab."""
    url = "http://127.0.0.1:%d/b/pets" % gw.port
    subprocess.run(["ab", "-q", "-k", "-n", "500", "-c", "8", url], capture_output=True)
    pid = str(gw.process.pid)
    time.sleep(1.0)  # background batches of the warm-up
    subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
    out = subprocess.run(["ab", "-q", "-k", "-n", str(requests), "-c", "8", url],
                         capture_output=True, text=True).stdout
    done = int(re.search(r"Complete requests:\s+(\d+)", out).group(1))
    failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    time.sleep(1.0)  # let the background threads take this run's events
    for path in glob.glob(os.path.join(out_dir, "callgrind.%d.out*" % gw.port)):
        os.remove(path)
    subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
    per_request = {k: v / max(done, 1) for k, v in thread_totals(out_dir, gw.port).items()}
    return per_request, failed + (int(non2xx.group(1)) if non2xx else 0)


def gateway(backend, policies, chain, throttling, analytics):
    api = h.api_definition("/b", ["http://127.0.0.1:%d/" % backend.port],
                           paths={"/pets": ["get"]}, extra={"x-throttling-tier": "Huge"})
    conf = {"listenerConfig": {"workers": tb.WORKERS}, "accessLog": {"enabled": False},
            "throttlingConfig": dict({"policiesFile": policies}, **throttling)}
    if analytics:
        USAGE_DIRS.append(tempfile.mkdtemp(prefix="mgw-issue8-usage-", dir=USAGE_PARENT)
                          if USAGE_PARENT else h.make_run_dir("mgw-issue8-usage-"))
        # Past the disk cap (default 1 GiB, ~1.8M events) analytics drops events
        # instead of writing them, and gets cheaper: keep a long run below it.
        conf["analytics"] = {"fileUpload": {"enable": True, "taskUploadFiles": False,
                                            "usageDataDirectory": USAGE_DIRS[-1],
                                            "maxDiskUsageInMB": DISK_CAP_MB}}
    cls = CallgrindMicrogw if CALLGRIND else h.Microgw
    return cls({"b": api}, conf=conf, filters=chain).start(timeout=120)


def pretouch(analytics_setups):
    """Writes and frees memory so the page cache grows into pages the VM has backed."""
    with open("/proc/meminfo") as f:
        free_mb = int(re.search(r"MemAvailable:\s+(\d+)", f.read()).group(1)) // 1024
    mb = (int(PRETOUCH_MB) if PRETOUCH_MB is not None
          else min(free_mb // 2, 250 * analytics_setups * tb.ROUNDS))
    if mb <= 0:
        return
    where = "/dev/shm" if os.path.isdir("/dev/shm") else (USAGE_PARENT or tempfile.gettempdir())
    path = os.path.join(where, "mgw-issue8-pretouch-%d" % os.getpid())
    started = time.monotonic()
    chunk = b"\x5a" * (1 << 20)
    try:
        with open(path, "wb") as f:
            for _ in range(mb):
                f.write(chunk)
    finally:
        os.remove(path)
    print("pre-touched %d MB of memory in %.1f s (ISSUE8_BENCH_PRETOUCH_MB)"
          % (mb, time.monotonic() - started), flush=True)


def main():
    backend = bench.BenchNginx().start()
    tm_sink = bench.BenchNginx().start()
    tmp = tempfile.mkdtemp(prefix="mgw-issue8-bench-")
    policies = os.path.join(tmp, "policies.yaml")
    with open(policies, "w") as f:
        f.write(tb.POLICIES)
    off = "filters:\n  - name: router\n"
    on = "filters:\n  - name: analytics\n  - name: throttle\n  - name: router\n"
    sink = {"enabledGlobalTMEventPublishing": True,
            "throttleEndpointUrl": "http://127.0.0.1:%d/endpoints" % tm_sink.port}
    down = dict(sink, throttleEndpointUrl="http://127.0.0.1:%d/endpoints" % h.free_port())
    analytics = "filters:\n  - name: analytics\n  - name: router\n"
    throttle = "filters:\n  - name: throttle\n  - name: router\n"
    setups = [("both off", off, {}, False), ("analytics only", analytics, {}, True),
              ("throttle only", throttle, {}, False), ("both on", on, {}, True),
              ("on + TM up", on, sink, True), ("on + TM down", on, down, True)]
    setups = [s for s in setups if not ONLY or s[0] in ONLY or s[0] == "both off"]
    if CALLGRIND:
        try:
            return callgrind_main(backend, policies, setups, tmp)
        finally:
            tm_sink.cleanup()
    pretouch(sum(1 for s in setups if s[3]))
    runs = {name: [] for name, _, _, _ in setups}
    events = {}
    gateways = []
    try:
        for name, chain, throttling, analytics in setups:
            gateways.append((name, gateway(backend, policies, chain, throttling, analytics)))
        for i in range(tb.ROUNDS):  # interleaved: load from elsewhere hits every set-up alike
            # A new order each round (the same for every run of the script): no set-up
            # always follows the same one (e.g. the disk write-back of the analytics ones).
            for name, gw in random.Random(i).sample(gateways, len(gateways)):
                runs[name].append(tb.wrk("http://127.0.0.1:%d/b/pets" % gw.port,
                                         gw.process.pid,
                                         (backend.process.pid, tm_sink.process.pid),
                                         machine=True))
        time.sleep(1)  # the last batches of events
        for name, gw in gateways:
            m = gw.metrics()
            events[name] = tuple(h.metric_sum(m, metric) for metric in (
                "microgw_analytics_events_written_total", "microgw_throttle_events_sent_total",
                "microgw_throttle_events_dropped_total"))
            if name == "on + TM up" and events[name][2]:  # failed POSTs, else the queue was full
                print("\n".join(["on + TM up: events dropped; the gateway's log says:"] + [
                    line for line in gw.log_text().splitlines()
                    if "throttle: publishing" in line or "accepts events" in line]))
    finally:
        for _, gw in gateways:
            gw.cleanup()
        backend.cleanup()
        tm_sink.cleanup()
        for d in USAGE_DIRS + [tmp]:
            shutil.rmtree(d, True)
    print_table(runs, events)
    return 1 if any(r[3] for rs in runs.values() for r in rs) else 0


def callgrind_main(backend, policies, setups, tmp):
    out_dir = h.make_run_dir("mgw-issue8-callgrind-")
    CallgrindMicrogw.out_dir = out_dir
    rows = {}
    try:
        for name, chain, throttling, analytics in setups:  # one at a time: valgrind is slow
            gw = gateway(backend, policies, chain, throttling, analytics)
            try:
                rows[name] = instructions_per_request(gw, out_dir, CALLGRIND)
            finally:
                gw.cleanup()
    finally:
        backend.cleanup()
        for d in USAGE_DIRS + [tmp]:
            shutil.rmtree(d, True)
    base = sum(rows["both off"][0].values())
    print("callgrind: user-space instructions per request of the gateway (all threads), "
          "%d requests of ab -k -c8; profiles in %s" % (CALLGRIND, out_dir))
    print("| set-up | instructions/req | vs off | extra vs off | of which TM thread |"
          " of which analytics writer | failed or non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for name, (ir, bad) in rows.items():
        total = sum(ir.values())
        print("| %s | %.0f | %.3f | %+.0f | %.0f | %.0f | %d |" % (
            name, total, total / base, total - base, ir["tm"], ir["writer"], bad))
    return 1 if any(bad for _, bad in rows.values()) else 0


def print_table(runs, events):
    rows = {name: tuple(tb.median([r[i] for r in rs]) for i in range(3)) +
            (sum(r[3] for r in rs),) + tuple(tb.median([r[i] for r in rs]) for i in (4, 5, 6))
            for name, rs in runs.items()}
    base_machine = rows["both off"][6]
    base_rps, base_p99, base_cpu = rows["both off"][:3]
    print("medians of %d interleaved rounds of wrk -t2 -c%s -d%s, %d workers; load average %s"
          % (tb.ROUNDS, tb.CONNECTIONS, tb.DURATION, tb.WORKERS, load_average()))
    print("| set-up | req/s | vs off | p99 ms | vs off | gateway cpu us/req | vs off |"
          " backend nginx cpu us/req | TM sink cpu us/req | machine cpu us/req | vs off |"
          " non-2xx | analytics events | TM events sent | TM events dropped |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (rps, p99, cpu, bad, backend_cpu, sink_cpu, machine) in rows.items():
        print("| %s | %.0f | %.3f | %.2f | %.2f | %.1f | %.3f | %.1f | %.1f | %.1f | %.3f | %d | %d"
              " | %d | %d |" % ((name, rps, rps / base_rps, p99, p99 / base_p99, cpu,
                                 cpu / base_cpu, backend_cpu, sink_cpu, machine,
                                 machine / base_machine, bad) + events.get(name, (0, 0, 0))))
    if "on + TM up" in rows and "on + TM down" in rows:
        up, dn = rows["on + TM up"][1], rows["on + TM down"][1]
        print("p99 TM down / TM up: %.2f" % (dn / up))


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    sys.exit(main())
