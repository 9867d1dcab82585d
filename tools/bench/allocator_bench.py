#!/usr/bin/env python3
"""Which malloc the gateway binary links: one glibc-malloc build of microgw run
with each allocator preloaded (LD_PRELOAD), side by side in one run.

Build the binary without tcmalloc, so that the preloaded library decides:

    bazel build -c opt --define=allocator=libc //gateway:microgw
    cp bazel-out/k8-opt/bin/gateway/microgw /tmp/mgw-libc
    MICROGW_BIN=/tmp/mgw-libc python3 tools/bench/allocator_bench.py

Each allocator gets its own gateway (router-only chain, 1 worker, pooled
connections) in front of the same nginx backend, plain http (set-up `c` of
backend_tls_bench.py) or https (`cs`); interleaved rounds of wrk -t2 -c64.
Reported per allocator: median req/s and the gateway's CPU microseconds per
request (user + system, /proc), and each as a ratio to glibc's in the same run.

Environment:
  ALLOC_BENCH_LIBS: name=path,... (default: glibc plus whichever of Debian's
    tcmalloc_minimal, jemalloc and mimalloc are installed)
  ALLOC_BENCH_KINDS (c,cs)  ALLOC_BENCH_ROUNDS (5)  ALLOC_BENCH_DURATION (4s)
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import backend_tls_bench as bt  # noqa: E402

bench = bt.bench
LIB_DIR = "/usr/lib/x86_64-linux-gnu"
CANDIDATES = (("tcmalloc", "libtcmalloc_minimal.so.4"), ("jemalloc", "libjemalloc.so.2"),
              ("mimalloc", "libmimalloc.so.2"))
ROUNDS = int(os.environ.get("ALLOC_BENCH_ROUNDS", "5"))
DURATION = os.environ.get("ALLOC_BENCH_DURATION", "4s")
KINDS = [k for k in os.environ.get("ALLOC_BENCH_KINDS", "c,cs").split(",") if k]


def allocators():
    spec = os.environ.get("ALLOC_BENCH_LIBS")
    if spec:
        return [tuple(item.split("=", 1)) for item in spec.split(",")]
    found = [("glibc", "")]
    for name, lib in CANDIDATES:
        path = os.path.join(LIB_DIR, lib)
        if os.path.exists(path):
            found.append((name, path))
    return found


def check_binary(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    if "tcmalloc" in out:
        raise SystemExit("%s links tcmalloc, so a preloaded malloc would not decide: build it "
                         "with --define=allocator=libc" % binary)


def start(kind, preload, backend, tls_backend, binary):
    # env(1) execs the gateway: the pid the bench reads CPU time from is the gateway's.
    wrapper = ("env", "LD_PRELOAD=" + preload) if preload else ()
    return bt.start_proxy(kind, backend, tls_backend, binary, wrapper)


def wrk(d, duration):
    return subprocess.run(["wrk", "-t2", "-c64", "-d" + duration, bt.url(d)],
                          capture_output=True, text=True).stdout


def main():
    binary = os.environ.get("MICROGW_BIN") or bt.h.find_microgw()
    if not binary:
        raise SystemExit("microgw binary not found: set MICROGW_BIN")
    check_binary(binary)
    libs = allocators()
    backend = bench.start_daemon(bench.BenchNginx(workers=1))
    tls_backend = bench.start_daemon(bench.BenchNginx(workers=1, tls_cert=bench.bench_cert()))
    try:
        for kind in KINDS:
            running = {name: start(kind, path, backend, tls_backend, binary)
                       for name, path in libs}
            for d, _ in running.values():
                bench.sanity(d.port)
            rps = {name: [] for name, _ in libs}
            cpu = {name: [] for name, _ in libs}
            for rnd in range(ROUNDS):
                order = libs if rnd % 2 == 0 else list(reversed(libs))
                for name, _ in order:
                    d, pid = running[name]
                    wrk(d, "1s")  # warm-up
                    before = bt.cpu_seconds(pid)
                    out = wrk(d, DURATION)
                    used = bt.cpu_seconds(pid) - before
                    total = int(re.search(r"(\d+) requests in", out).group(1))
                    seconds = float(re.match(r"[\d.]+", DURATION).group(0))
                    rps[name].append(total / seconds)
                    cpu[name].append(used * 1e6 / max(total, 1))
                    bench.log("%s round %d %s: %.0f req/s, %.1f us CPU/req"
                              % (kind, rnd, name, rps[name][-1], cpu[name][-1]))
            for d, _ in running.values():
                bench.stop_daemon(d)
            base_rps, base_cpu = bt.median(rps["glibc"]), bt.median(cpu["glibc"])
            print("\n%s (%s backend): wrk -t2 -c64 -d%s, %d interleaved rounds, medians"
                  % (kind, "https" if kind == "cs" else "http", DURATION, ROUNDS))
            print("| allocator | req/s | vs glibc | CPU us/req | vs glibc |")
            print("|---|---|---|---|---|")
            for name, _ in libs:
                r, c = bt.median(rps[name]), bt.median(cpu[name])
                print("| %s | %.0f | %s | %.1f | %s |" % (name, r, bt.ratio(r, base_rps), c,
                                                        bt.ratio(c, base_cpu)))
    finally:
        bench.cleanup_all()


if __name__ == "__main__":
    bench.run(main)
