#!/usr/bin/env python3
"""Memory per idle downstream connection: microgw against nginx, in one run.

For HTTP/1.1 (keep-alive, after one request) and HTTP/2 cleartext with prior
knowledge (h2c: preface, SETTINGS both ways and acknowledged, one request on
stream 1), each server is started fresh with one worker in front of the same
nginx backend (both as reverse proxies, upstream keep-alive), warmed up with a
few short connections, measured with no client connection, then given N idle
connections (default 5,000) and measured again once the numbers settle:

    bytes per idle connection = (RSS with N - RSS with 0) / N

RSS is VmRSS from /proc/<pid>/status; Pss (smaps_rollup) is shown beside it.
For nginx it is the worker process (the master holds no connection). A fresh
process per protocol keeps memory that one case freed out of the next case's
figure. Loopback only; the client is asyncio in this process, which raises
its own RLIMIT_NOFILE (the servers inherit it).

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/idle_memory_bench.py

Environment: IDLE_BENCH_CONNECTIONS (5000), IDLE_BENCH_ONLY ("h1", "h2"),
IDLE_BENCH_SERVERS ("microgw,nginx"), IDLE_BENCH_H2_INDEX (0; 1: the HTTP/2
client adds :path and :authority to its HPACK table, so both servers keep it), IDLE_BENCH_SETTLE (seconds to wait
before measuring, 3; microgw releases an idle connection's codec memory after
1 s), IDLE_BENCH_ROUNDS (1;
rounds interleave the servers, medians are shown), IDLE_BENCH_PARALLEL (64:
connections being set up at once; small, so that the upstream pools stay small),
IDLE_BENCH_TLS (0; 1: both servers listen with TLS, one certificate, and the
clients connect with TLS 1.3, ALPN "http/1.1" or "h2": the idle connection then
holds its TLS state too).
"""

import asyncio
import json
import os
import resource
import statistics
import struct
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402  (BenchNginx for the backend)
import mgw_harness as h  # noqa: E402

N = int(os.environ.get("IDLE_BENCH_CONNECTIONS", "5000"))
ONLY = [p for p in os.environ.get("IDLE_BENCH_ONLY", "h1,h2").split(",") if p]
H2_INDEX = os.environ.get("IDLE_BENCH_H2_INDEX", "0") == "1"
SERVERS = [s for s in os.environ.get("IDLE_BENCH_SERVERS", "microgw,nginx").split(",") if s]
SETTLE = float(os.environ.get("IDLE_BENCH_SETTLE", "3"))
ROUNDS = int(os.environ.get("IDLE_BENCH_ROUNDS", "1"))
PARALLEL = int(os.environ.get("IDLE_BENCH_PARALLEL", "64"))
WARMUP = 64
TLS = os.environ.get("IDLE_BENCH_TLS", "0") == "1"
CERT = None  # (cert, key) when TLS: bench.bench_cert(), made in main()
PATH = "/idle/v1/pets"
IDLE_MS = 600000

# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------

NGINX_CONF = """daemon off;
worker_processes 1;
worker_rlimit_nofile {nofile};
{user}pid {rd}/nginx.pid;
error_log {rd}/error.log warn;
events {{ worker_connections {conns}; }}
http {{
  access_log off;
  client_body_temp_path {rd}/tmp/client_body;
  proxy_temp_path {rd}/tmp/proxy;
  fastcgi_temp_path {rd}/tmp/fastcgi;
  uwsgi_temp_path {rd}/tmp/uwsgi;
  scgi_temp_path {rd}/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  http2_idle_timeout 600s;
  server_tokens off;
  upstream idle_backend {{
    server 127.0.0.1:{backend};
    keepalive 64;
  }}
  server {{
    listen 127.0.0.1:{port}{tls}{http2};
{certificate}    location / {{
      proxy_pass http://idle_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


class IdleNginx(h._Daemon):
    """nginx, 1 worker, reverse proxy to the backend; http2=True: the port speaks h2c only."""

    name = "nginx"

    def __init__(self, backend_port, http2):
        self.port = h.free_port()
        self.host = h.LOOPBACK
        self.backend_port = backend_port
        self.http2 = http2
        self.run_dir = h.make_run_dir("mgw-idle-nginx-", owner=h.DAEMON_USER)
        self.process = None

    def start(self):
        rd = self.run_dir
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(rd, "tmp", sub), exist_ok=True)
        user = "user %s %s;\n" % (h.DAEMON_USER, h.DAEMON_USER) if os.geteuid() == 0 else ""
        conf = os.path.join(rd, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(nofile=2 * N + 1024, user=user, rd=rd, conns=2 * N + 1024,
                                      backend=self.backend_port, port=self.port,
                                      http2=" http2" if self.http2 else "",
                                      tls=" ssl" if TLS else "",
                                      certificate="    ssl_certificate %s;\n"
                                      "    ssl_certificate_key %s;\n"
                                      "    ssl_protocols TLSv1.2 TLSv1.3;\n" % CERT[:2]
                                      if TLS else ""))
        h.chown_tree(rd, h.DAEMON_USER)
        self.process = h.Process("nginx", ["nginx", "-p", rd, "-e", os.path.join(rd, "error.log"),
                                           "-c", conf], rd, port=self.port, host=self.host)
        self.process.start(wait=False)
        bench.record_pid(self.process)
        h.wait_for_port(self.host, self.port, process=self.process)
        return self

    def measured_pid(self):
        """The worker: the master's only child."""
        master = self.process.pid
        deadline = time.time() + 10
        while time.time() < deadline:
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == master:
                    return int(entry)
            time.sleep(0.1)
        raise RuntimeError("no nginx worker under master %d" % master)


class IdleMicrogw:
    """microgw, 1 worker, chain [router], HTTP/1 and h2c (prior knowledge) on one port."""

    name = "microgw"

    def __init__(self, backend_port, http2):
        api = h.api_definition("/idle/v1", ["http://127.0.0.1:%d/" % backend_port],
                               paths={"/pets": ["get"]}, title="idle")
        conf = {"listenerConfig": {"workers": 1, "idleTimeoutInMillis": IDLE_MS},
                "http2": {"enable": True},
                "accessLog": {"enabled": False}}
        if TLS:
            conf["listenerConfig"].update(certificateFile=CERT[0], keyFile=CERT[1])
        self.gw = h.Microgw({"idle": api}, conf=conf)
        self.port = self.gw.https_port if TLS else self.gw.port
        self.http2 = http2

    def start(self):
        self.gw.start()
        bench.record_pid(self.gw.process)
        return self

    def measured_pid(self):
        return self.gw.process.pid

    def heap(self):
        """The allocator's own figures (admin /memory), in bytes."""
        return json.loads(self.gw.admin("/memory")[2])

    def cleanup(self):
        self.gw.cleanup()


def memory_kb(pid):
    """(VmRSS, Pss) in kB."""
    rss = pss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


def settled_memory_kb(pid):
    """Waits SETTLE seconds, then until two readings 0.5 s apart agree (or 10 s)."""
    time.sleep(SETTLE)
    last = memory_kb(pid)
    deadline = time.time() + 10
    while time.time() < deadline:
        time.sleep(0.5)
        now = memory_kb(pid)
        if now == last:
            break
        last = now
    return last


# ---------------------------------------------------------------------------
# Clients: open a connection, make it idle, keep it
# ---------------------------------------------------------------------------

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def hpack_literal(index, value):
    """Literal header field, name from the static table: with incremental
    indexing (RFC 7541 6.2.1) when IDLE_BENCH_H2_INDEX=1, as curl, browsers
    and gRPC send, else without indexing (6.2.2)."""
    data = value.encode()
    assert index < 15 and len(data) < 127
    return bytes([(0x40 | index) if H2_INDEX else index, len(data)]) + data


def h2_request(port):
    block = (b"\x82\x86" + hpack_literal(4, PATH) +  # :method GET, :scheme http, :path
             hpack_literal(1, "127.0.0.1:%d" % port))  # :authority
    return h2_frame(1, 0x5, 1, block)  # HEADERS, END_STREAM | END_HEADERS


def client_tls(alpn):
    """The client side's TLS (None without IDLE_BENCH_TLS): TLS 1.3, ALPN `alpn`."""
    return bench.tls13_client(alpn) if TLS else None


async def open_h1(port):
    reader, writer = await asyncio.open_connection(h.LOOPBACK, port, ssl=client_tls("http/1.1"))
    writer.write(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (PATH.encode(), port))
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        if name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked response: the bench expects Content-Length")
    await reader.readexactly(length)
    if status != 200:
        raise RuntimeError("HTTP/1 status %d" % status)
    return writer


async def open_h2(port):
    reader, writer = await asyncio.open_connection(h.LOOPBACK, port, ssl=client_tls("h2"))
    writer.write(H2_PREFACE + h2_frame(4, 0, 0))  # our (empty) SETTINGS
    writer.write(h2_request(port))
    got_settings = got_ack = done = False
    status = None
    while not (got_settings and got_ack and done):
        head = await reader.readexactly(9)
        length = struct.unpack(">I", b"\0" + head[:3])[0]
        kind, flags = head[3], head[4]
        stream = struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF
        payload = await reader.readexactly(length)
        if kind == 4 and not flags & 1:
            got_settings = True
            writer.write(h2_frame(4, 1, 0))  # SETTINGS ACK
        elif kind == 4:
            got_ack = True
        elif kind == 6 and not flags & 1:
            writer.write(h2_frame(6, 1, 0, payload))  # PING ACK
        elif kind == 7:
            raise RuntimeError("GOAWAY from the server: %r" % payload)
        elif kind == 3 and stream == 1:
            raise RuntimeError("stream 1 reset")
        elif stream == 1 and kind == 1:
            # The response's first header: :status 200 is static index 8 (0x88).
            if status is None:
                status = 200 if payload[:1] == b"\x88" else -1
            done = done or bool(flags & 1)
        elif stream == 1 and kind == 0:
            if length:
                writer.write(h2_frame(8, 0, 0, struct.pack(">I", length)))  # WINDOW_UPDATE
            done = done or bool(flags & 1)
    await writer.drain()
    if status != 200:
        raise RuntimeError("HTTP/2 response is not 200")
    return writer


async def open_many(opener, port, count):
    writers = []
    sem = asyncio.Semaphore(PARALLEL)

    async def one():
        async with sem:
            writers.append(await asyncio.wait_for(opener(port), 30))

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    return writers, errors


async def close_all(writers):
    for w in writers:
        w.close()
    await asyncio.sleep(0.2)


def measure(loop, server, proto):
    """Bytes per idle connection: (RSS, Pss) deltas / N, and the raw kB figures."""
    opener = open_h2 if proto == "h2" else open_h1
    pid = server.measured_pid()
    warm, errors = loop.run_until_complete(open_many(opener, server.port, WARMUP))
    loop.run_until_complete(close_all(warm))
    if errors:
        raise RuntimeError("%s %s warm-up: %d failed, first: %r"
                           % (server.name, proto, len(errors), errors[0]))
    before = settled_memory_kb(pid)
    heap_before = server.heap() if hasattr(server, "heap") else None
    writers, errors = loop.run_until_complete(open_many(opener, server.port, N))
    try:
        if errors:
            raise RuntimeError("%s %s: %d of %d connections failed, first: %r"
                               % (server.name, proto, len(errors), N, errors[0]))
        after = settled_memory_kb(pid)
        heap_after = server.heap() if heap_before else None
    finally:
        loop.run_until_complete(close_all(writers))
    r = {"rss": (after[0] - before[0]) * 1024.0 / N, "pss": (after[1] - before[1]) * 1024.0 / N,
         "rss0": before[0], "rssN": after[0]}
    if heap_before:
        # What the program holds per connection (exact, unlike RSS), and what
        # the allocator keeps beside it: free lists and pages not given back.
        for key in ("allocated", "heap_size", "free_in_heap", "thread_caches", "central_caches"):
            r["heap_" + key] = (heap_after[key] - heap_before[key]) / float(N)
        r["allocator"] = heap_after["allocator"]
    return r


def raise_nofile():
    want = 2 * N + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            sys.exit("RLIMIT_NOFILE hard limit %d < %d: run as root or raise it" % (hard, want))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))


def main():
    global CERT
    raise_nofile()
    if TLS:
        CERT = bench.bench_cert()
    loop = asyncio.new_event_loop()
    backend = bench.BenchNginx().start()
    results = {}  # (proto, server name) -> [measure()]
    try:
        for _ in range(ROUNDS):
            for proto in ONLY:
                for make in [c for c in (IdleMicrogw, IdleNginx) if c.name in SERVERS]:
                    server = make(backend.port, proto == "h2")
                    try:
                        server.start()
                        r = measure(loop, server, proto)
                    finally:
                        server.cleanup()
                    results.setdefault((proto, server.name), []).append(r)
                    print("  %s %-7s RSS %6d -> %6d kB: %7.0f B/conn (Pss %7.0f)"
                          % (proto, server.name, r["rss0"], r["rssN"], r["rss"], r["pss"]),
                          flush=True)
                    if "heap_allocated" in r:
                        print("    %s per connection: allocated %.0f B, heap %.0f B (free in it"
                              " %.0f: thread caches %.0f, central lists %.0f)"
                              % (r["allocator"], r["heap_allocated"], r["heap_heap_size"],
                                 r["heap_free_in_heap"], r["heap_thread_caches"],
                                 r["heap_central_caches"]), flush=True)
    finally:
        backend.cleanup()
        loop.close()
    print()
    print("%d idle connections per server, 1 worker each, %d round(s), medians%s%s; load average %s"
          % (N, ROUNDS, "; HTTP/2 client indexes" if H2_INDEX else "", "; over TLS" if TLS else "",
             " ".join("%.2f" % x for x in os.getloadavg())))
    print("%-6s %18s %18s %8s %16s %16s" % ("proto", "microgw B/conn", "nginx B/conn",
                                            "ratio", "microgw Pss B", "nginx Pss B"))
    nothing = [{"rss": float("nan"), "pss": float("nan")}]
    for proto in ONLY:
        m = results.get((proto, "microgw"), nothing)
        n = results.get((proto, "nginx"), nothing)
        mr = statistics.median(r["rss"] for r in m)
        nr = statistics.median(r["rss"] for r in n)
        print("%-6s %18.0f %18.0f %8s %16.0f %16.0f"
              % (proto, mr, nr, "%.2f" % (mr / nr) if nr > 0 else "-",
                 statistics.median(r["pss"] for r in m), statistics.median(r["pss"] for r in n)))


if __name__ == "__main__":
    main()
