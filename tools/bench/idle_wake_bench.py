#!/usr/bin/env python3
"""CPU per request when keep-alive clients pause between requests.

A client that waits longer than the gateway's idle release delay (100 ms)
between requests has its connection parked (gateway/server/idle_parking.h)
after each response and handed back at its next request: this measures what
that costs, for one or more gateway binaries side by side. Each binary is
started fresh (one worker, access log off) in front of the same nginx
backend; N asyncio clients (this process, loopback) each send a GET, read
the answer, and sleep PAUSE seconds, for SECONDS. The figure is the
gateway's CPU (user + system, /proc/<pid>/stat) per request; rounds
interleave the binaries, medians are shown.

    MICROGW_BINS=/tmp/before,/tmp/after python3 tools/bench/idle_wake_bench.py

Environment: MICROGW_BINS (comma-separated; default MICROGW_BIN),
WAKE_BENCH_CONNECTIONS (200), WAKE_BENCH_PAUSE_MS (150), WAKE_BENCH_SECONDS
(10), WAKE_BENCH_ROUNDS (3).
"""

import asyncio
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402
import mgw_harness as h  # noqa: E402

BINS = [b for b in os.environ.get("MICROGW_BINS", os.environ.get("MICROGW_BIN", "")).split(",")
        if b]
CONNS = int(os.environ.get("WAKE_BENCH_CONNECTIONS", "200"))
PAUSE = int(os.environ.get("WAKE_BENCH_PAUSE_MS", "150")) / 1000.0
SECONDS = float(os.environ.get("WAKE_BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("WAKE_BENCH_ROUNDS", "3"))
PATH = b"/wake/v1/pets"


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def client(port, stop, counts):
    reader, writer = await asyncio.open_connection(h.LOOPBACK, port)
    try:
        while time.time() < stop:
            writer.write(b"GET " + PATH + b" HTTP/1.1\r\nHost: wake\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            counts[0] += 1
            await asyncio.sleep(PAUSE)
    finally:
        writer.close()


def measure(binary, backend_port):
    api = h.api_definition("/wake/v1", ["http://127.0.0.1:%d/" % backend_port],
                           paths={"/pets": ["get"]}, title="wake")
    gw = h.Microgw({"wake": api}, binary=binary,
                   conf={"listenerConfig": {"workers": 1}, "accessLog": {"enabled": False}})
    gw.start()
    bench.record_pid(gw.process)
    try:
        counts = [0]
        before = cpu_seconds(gw.process.pid)
        stop = time.time() + SECONDS

        async def run_clients():
            await asyncio.gather(*[client(gw.port, stop, counts) for _ in range(CONNS)])

        asyncio.run(run_clients())
        used = cpu_seconds(gw.process.pid) - before
        parked = gw.metrics().get("microgw_downstream_connections_idle_released", 0)
        return counts[0], used / max(counts[0], 1) * 1e6, parked
    finally:
        gw.cleanup()


def main():
    if not BINS:
        print("set MICROGW_BINS (or MICROGW_BIN) to the gateway binaries to compare")
        return 2
    backend = bench.BenchNginx().start()
    results = {b: [] for b in BINS}
    try:
        for _ in range(ROUNDS):
            for binary in BINS:
                n, us, parked = measure(binary, backend.port)
                results[binary].append(us)
                print("  %-40s %6d requests, %6.1f us CPU/request (idle released at the end: %s)"
                      % (binary, n, us, parked), flush=True)
    finally:
        backend.cleanup()
    print()
    print("%d keep-alive clients pausing %d ms, %.0f s, %d round(s), medians; load average %s"
          % (CONNS, PAUSE * 1000, SECONDS, ROUNDS, " ".join("%.2f" % x for x in os.getloadavg())))
    first = statistics.median(results[BINS[0]])
    for binary in BINS:
        m = statistics.median(results[binary])
        print("%-40s %8.1f us/request  %.3fx the first" % (binary, m, m / first))
    return 0


if __name__ == "__main__":
    bench.run(main)
