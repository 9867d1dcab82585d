"""oauth2_introspection cost, in one run: the open route vs. a secured route with an
opaque token whose introspection answer is cached vs. the same with [caching]
enabled = false (one introspection call to oidc-provider per request).

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/introspection_bench.py

Environment: JWT_BENCH_DURATION (5s), JWT_BENCH_CONNECTIONS (32), JWT_BENCH_WORKERS (2).
Needs oidc-provider (tools/install.sh), nginx and wrk. The uncached row measures the
key manager (a Node.js process on the same cores) more than the gateway.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jwt_bench as jb  # noqa: E402  (wrk(), paths, DURATION...)
import bench  # noqa: E402
import mgw_harness as h  # noqa: E402
import oauth_harness as oh  # noqa: E402

CHAIN = "filters:\n  - name: oauth2_introspection\n  - name: router\n"


def main():
    km = oh.OAuthServer().start()
    backend = bench.BenchNginx().start()
    rows = {}
    try:
        target = ["http://127.0.0.1:%d/" % backend.port]
        apis = {"open": h.api_definition("/open", target, paths={"/pets": ["get"]}),
                "sec": h.api_definition("/sec", target, paths={"/pets": ["get"]},
                                        extra={"x-wso2-disable-security": False})}
        token = km.get_opaque("read")
        auth = ["-H", "Authorization: Bearer " + token]
        for caching in (True, False):
            conf = {"listenerConfig": {"workers": jb.WORKERS}, "accessLog": {"enabled": False},
                    "caching": {"enabled": caching},
                    "keyManager": {"introspectionURL": km.introspection_url},
                    "keymanager": {"security": {"basic": {
                        "username": km.gateway_client_id,
                        "password": km.gateway_client_secret}}}}
            gw = h.Microgw(apis, conf=conf, filters=CHAIN).start()
            try:
                base = "http://127.0.0.1:%d" % gw.port
                if caching:
                    rows["open"] = jb.wrk(base + "/open/pets", [])
                    rows["opaque cached"] = jb.wrk(base + "/sec/pets", auth)
                else:
                    calls = km.stats().get("/token/introspection", 0)
                    rows["opaque uncached"] = jb.wrk(base + "/sec/pets", auth)
                    print("introspection calls while uncached: %d"
                          % (km.stats().get("/token/introspection", 0) - calls))
            finally:
                gw.cleanup()
    finally:
        backend.cleanup()
        km.cleanup()
    open_rps = rows["open"][0]
    print("%-20s %10s %8s %8s" % ("set-up", "req/s", "vs open", "non-2xx"))
    for name, (rps, bad) in rows.items():
        print("%-20s %10.0f %7.2fx %8d" % (name, rps, rps / open_rps, bad))
    return 1 if any(bad for _, bad in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
