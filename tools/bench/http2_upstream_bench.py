"""HTTP/2 upstream cost, in one run: the same nginx location (`return 200`,
14 bytes) behind the gateway over HTTP/1.1 (pooled keep-alive connections)
and over HTTP/2 prior knowledge (streams on the worker's shared connection).

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/http2_upstream_bench.py

Set-ups run interleaved, ROUNDS times; the table shows medians of req/s, p99
and the gateway's CPU time per request, and the HTTP/2 / HTTP/1.1 ratio.
Environment as tools/bench/throttle_bench.py (THROTTLE_BENCH_DURATION,
_CONNECTIONS, _WORKERS, _ROUNDS).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import throttle_bench as tb  # noqa: E402  (wrk, median; sets sys.path)

h = tb.h
sys.path.insert(0, os.path.join(tb.ROOT, "test", "integration"))

import http2_upstream_test as t  # noqa: E402  (H2Nginx: h2c and HTTP/1.1 on one nginx)


def main():
    backend = t.H2Nginx(keepalive_requests=1000000).start()
    apis = {
        "h1": h.api_definition("/h1", ["http://127.0.0.1:%d/" % backend.h1_port],
                               paths={"/hello": ["get"]}),
        "h2": h.api_definition("/h2", [backend.url("/")], endpoint_extra=t.H2,
                               paths={"/hello": ["get"]}),
    }
    gw = h.Microgw(apis, conf={"listenerConfig": {"workers": tb.WORKERS},
                               "accessLog": {"enabled": False}}).start()
    runs = {"HTTP/1.1": [], "HTTP/2": []}
    try:
        for _ in range(tb.ROUNDS):
            for name, path in (("HTTP/1.1", "/h1/hello"), ("HTTP/2", "/h2/hello")):
                runs[name].append(tb.wrk("http://127.0.0.1:%d%s" % (gw.port, path),
                                         gw.process.pid))
    finally:
        gw.cleanup()
        backend.stop()
    base = tb.median([r[0] for r in runs["HTTP/1.1"]])
    print("%-10s %10s %9s %12s %8s %6s" % ("upstream", "req/s", "p99 ms", "cpu us/req",
                                           "ratio", "non2xx"))
    for name, rs in runs.items():
        rps = tb.median([r[0] for r in rs])
        print("%-10s %10.0f %9.2f %12.1f %8.2f %6d" % (
            name, rps, tb.median([r[1] for r in rs]), tb.median([r[2] for r in rs]),
            rps / base, sum(r[3] for r in rs)))
    return 1 if any(r[3] for rs in runs.values() for r in rs) else 0


if __name__ == "__main__":
    sys.exit(main())
