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
(10), WAKE_BENCH_ROUNDS (3), WAKE_BENCH_PROTO ("h1"; "h2": h2c with prior
knowledge, one stream after another on each connection, fields not indexed,
so that the connection can park), WAKE_BENCH_TLS (0; 1: the clients connect
to the TLS listener, TLS 1.3 with ALPN "http/1.1" or "h2": a parked TLS
connection wakes with a new TLS bufferevent around its session).
"""

import asyncio
import os
import statistics
import struct
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
PROTO = os.environ.get("WAKE_BENCH_PROTO", "h1")
TLS = os.environ.get("WAKE_BENCH_TLS", "0") == "1"
CERT = None  # (cert, key) with WAKE_BENCH_TLS: bench.bench_cert(), made in main()


def client_tls():
    return bench.tls13_client("h2" if PROTO == "h2" else "http/1.1") if TLS else None


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def client(port, stop, counts):
    reader, writer = await asyncio.open_connection(h.LOOPBACK, port, ssl=client_tls())
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


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def hpack_literal(index, value):
    """Literal header field without indexing, name from the static table (RFC 7541 6.2.2)."""
    data = value.encode() if isinstance(value, str) else value
    assert index < 15 and len(data) < 127
    return bytes([index, len(data)]) + data


async def h2_client(port, stop, counts):
    reader, writer = await asyncio.open_connection(h.LOOPBACK, port, ssl=client_tls())
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0))
    stream = 1
    try:
        while time.time() < stop:
            block = b"\x82\x86" + hpack_literal(4, PATH) + hpack_literal(1, "wake")
            writer.write(h2_frame(1, 0x5, stream, block))  # HEADERS, END_STREAM | END_HEADERS
            done = False
            while not done:
                head = await reader.readexactly(9)
                length = struct.unpack(">I", b"\0" + head[:3])[0]
                kind, flags = head[3], head[4]
                sid = struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
                payload = await reader.readexactly(length)
                if kind == 4 and not flags & 1:
                    writer.write(h2_frame(4, 1, 0))  # SETTINGS ACK
                elif kind == 6 and not flags & 1:
                    writer.write(h2_frame(6, 1, 0, payload))  # PING ACK
                elif kind == 7:
                    raise RuntimeError("GOAWAY from the gateway: %r" % payload)
                elif kind == 3 and sid == stream:
                    raise RuntimeError("stream %d reset" % stream)
                elif kind == 0 and length:
                    writer.write(h2_frame(8, 0, 0, struct.pack(">I", length)))  # WINDOW_UPDATE
                if sid == stream and kind in (0, 1) and flags & 1:
                    done = True
            counts[0] += 1
            stream += 2
            await asyncio.sleep(PAUSE)
    finally:
        writer.close()


def measure(binary, backend_port):
    api = h.api_definition("/wake/v1", ["http://127.0.0.1:%d/" % backend_port],
                           paths={"/pets": ["get"]}, title="wake")
    listener = {"workers": 1}
    if TLS:
        listener.update(certificateFile=CERT[0], keyFile=CERT[1])
    gw = h.Microgw({"wake": api}, binary=binary,
                   conf={"listenerConfig": listener, "accessLog": {"enabled": False},
                         "http2": {"enable": True}})
    gw.start()
    port = gw.https_port if TLS else gw.port
    bench.record_pid(gw.process)
    try:
        counts = [0]
        before = cpu_seconds(gw.process.pid)
        stop = time.time() + SECONDS

        async def run_clients():
            one = h2_client if PROTO == "h2" else client
            await asyncio.gather(*[one(port, stop, counts) for _ in range(CONNS)])

        asyncio.run(run_clients())
        used = cpu_seconds(gw.process.pid) - before
        parked = gw.metrics().get("microgw_downstream_connections_parked", 0)
        return counts[0], used / max(counts[0], 1) * 1e6, parked
    finally:
        gw.cleanup()


def main():
    global CERT
    if TLS:
        CERT = bench.bench_cert()
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
                print("  %-40s %6d requests, %6.1f us CPU/request (parked at the end: %s)"
                      % (binary, n, us, parked), flush=True)
    finally:
        backend.cleanup()
    print()
    print("%d keep-alive %s%s clients pausing %d ms, %.0f s, %d round(s), medians; load average %s"
          % (CONNS, PROTO, " over TLS" if TLS else "", PAUSE * 1000, SECONDS, ROUNDS,
             " ".join("%.2f" % x for x in os.getloadavg())))
    first = statistics.median(results[BINS[0]])
    for binary in BINS:
        m = statistics.median(results[binary])
        print("%-40s %8.1f us/request  %.3fx the first" % (binary, m, m / first))
    return 0


if __name__ == "__main__":
    bench.run(main)
