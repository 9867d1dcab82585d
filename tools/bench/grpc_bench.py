"""gRPC through microgw against the same calls straight to the backend, in one run.

grpcio on both ends (test/support/grpc_peer.py as the backend, h2c); the
gateway routes /mgw.test.Echo/* to it with `http2: prior-knowledge`. Rounds
alternate direct / gateway so machine noise hits both alike:

- unary: CONCURRENCY calls in flight on one channel for SECONDS, calls/s;
- stream: one server-streaming call of 64 MiB (64 x 1 MiB messages), MiB/s.

The Python client and server are the bottleneck, so the ratio says what the
gateway's extra hop costs a grpcio deployment, not the gateway's own ceiling.

    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \\
        /usr/bin/python3 tools/bench/grpc_bench.py [rounds] [seconds]
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "support"))
import grpc  # noqa: E402
import grpc_peer as g  # noqa: E402
import mgw_harness as h  # noqa: E402

CONCURRENCY = 32
OPTIONS = [("grpc.enable_http_proxy", 0), ("grpc.max_receive_message_length", 64 << 20)]


def unary_rate(channel, seconds):
    call = g.unary(channel, "Unary")
    done = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    finished = threading.Event()
    outstanding = [0]

    def issue():
        with lock:
            outstanding[0] += 1
        call.future(b"x" * 64, timeout=30).add_done_callback(on_done)

    def on_done(f):
        nonlocal done
        f.result()
        with lock:
            done += 1
            outstanding[0] -= 1
        if time.monotonic() < stop:
            issue()
        elif outstanding[0] == 0:
            finished.set()

    start = time.monotonic()
    for _ in range(CONCURRENCY):
        issue()
    finished.wait(seconds + 30)
    return done / (time.monotonic() - start)


def stream_rate(channel):
    start = time.monotonic()
    total = sum(len(m) for m in g.server_stream(channel, "Download")(b"64:1048576", timeout=60))
    return total / (1 << 20) / (time.monotonic() - start)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    peer = g.GrpcPeer(workers=CONCURRENCY).start()
    gw = h.Microgw({"echo": h.api_definition(g.PREFIX, [peer.url()],
                                             endpoint_extra={"http2": "prior-knowledge"},
                                             paths={"/Unary": ["post"], "/Download": ["post"]})},
                   conf={"listenerConfig": {"workers": 2}, "accessLog": {"enabled": False}})
    gw.start()
    targets = {"direct": peer.target, "gateway": "%s:%d" % (h.LOOPBACK, gw.port)}
    results = {k: {"unary": [], "stream": []} for k in targets}
    try:
        for r in range(rounds):
            for name, target in targets.items():
                with grpc.insecure_channel(target, options=OPTIONS) as channel:
                    stream_rate(channel)  # warm-up: connections, windows
                    results[name]["unary"].append(unary_rate(channel, seconds))
                    results[name]["stream"].append(stream_rate(channel))
                print("round %d %-7s unary %7.0f calls/s  stream %6.1f MiB/s"
                      % (r + 1, name, results[name]["unary"][-1], results[name]["stream"][-1]),
                      flush=True)
    finally:
        gw.cleanup()
        peer.stop()
    for kind in ("unary", "stream"):
        d = sorted(results["direct"][kind])[rounds // 2]
        v = sorted(results["gateway"][kind])[rounds // 2]
        print("median %-6s direct %8.1f  gateway %8.1f  ratio %.3f" % (kind, d, v, v / d))


if __name__ == "__main__":
    main()
