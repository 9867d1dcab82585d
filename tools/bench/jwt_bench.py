"""jwt_authn cost, in one run: the open route vs. a secured route with a cached token
vs. the same with [caching] enabled = false (one RS256 parse + verify per request),
and the uncached target of issue 7: throughput >= 0.8 / (1/open + 1/verify), where
verify is `openssl speed rsa2048` verify/s times the worker count.

    sudo MICROGW_BIN=bazel-bin/gateway/microgw /usr/bin/python3 tools/bench/jwt_bench.py

Environment: JWT_BENCH_DURATION (5s), JWT_BENCH_CONNECTIONS (32), JWT_BENCH_WORKERS (2).
Needs oidc-provider (tools/install.sh), nginx and wrk. On a shared 2-core machine wrk
competes with the gateway for the cores: compare runs from one invocation only.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "support"))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))

import bench  # noqa: E402  (BenchNginx: a `return 200` backend)
import mgw_harness as h  # noqa: E402
import oauth_harness as oh  # noqa: E402

DURATION = os.environ.get("JWT_BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("JWT_BENCH_CONNECTIONS", "32")
WORKERS = int(os.environ.get("JWT_BENCH_WORKERS", "2"))
CHAIN = "filters:\n  - name: jwt_authn\n  - name: router\n"


class Gateway(h.Microgw):
    def __init__(self, apis, issuer, **kwargs):
        self.issuer = issuer
        super().__init__(apis, filters=CHAIN, **kwargs)

    def conf_text(self):
        return super().conf_text() + "\n[[jwtTokenConfig]]\n" + "".join(
            "%s = %s\n" % (k, h.toml_value(v)) for k, v in self.issuer.items())


def wrk(url, extra):
    argv = ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, url] + extra
    subprocess.run(argv[:3] + ["-d2s"] + argv[4:], capture_output=True)  # warm-up
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def rsa_verify_rate():
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"],
                         capture_output=True, text=True).stdout
    m = re.search(r"rsa 2048 bits\s+\S+\s+\S+\s+[\d.]+\s+([\d.]+)", out)
    return float(m.group(1))


def main():
    km = oh.OAuthServer().start()
    backend = bench.BenchNginx().start()
    rows = {}
    try:
        target = ["http://127.0.0.1:%d/" % backend.port]
        apis = {"open": h.api_definition("/open", target, paths={"/pets": ["get"]}),
                "sec": h.api_definition("/sec", target, paths={"/pets": ["get"]},
                                        extra={"x-wso2-disable-security": False})}
        issuer = {"issuer": km.issuer, "audience": km.resource, "jwksURL": km.jwks_url}
        token = km.get_jwt("read")
        auth = ["-H", "Authorization: Bearer " + token]
        for caching in (True, False):
            gw = Gateway(apis, issuer, conf={"listenerConfig": {"workers": WORKERS},
                                             "accessLog": {"enabled": False},
                                             "caching": {"enabled": caching}})
            gw.start()
            try:
                h.wait_until(lambda: gw.request("GET", "/sec/pets",
                                                headers={"Authorization": "Bearer " + token})[0]
                             == 200, what="keys fetched")
                base = "http://127.0.0.1:%d" % gw.port
                if caching:
                    rows["open"] = wrk(base + "/open/pets", [])
                    rows["open, same header"] = wrk(base + "/open/pets", auth)
                    rows["jwt cached"] = wrk(base + "/sec/pets", auth)
                else:
                    rows["jwt uncached"] = wrk(base + "/sec/pets", auth)
            finally:
                gw.cleanup()
    finally:
        backend.cleanup()
        km.cleanup()
    verify = rsa_verify_rate()
    open_rps = rows["open"][0]
    print("%-20s %10s %8s %8s" % ("set-up", "req/s", "vs open", "non-2xx"))
    for name, (rps, bad) in rows.items():
        print("%-20s %10.0f %7.2fx %8d" % (name, rps, rps / open_rps, bad))
    bound = 0.8 / (1 / open_rps + 1 / (WORKERS * verify))
    print("openssl rsa2048 verify/s (one core): %.0f" % verify)
    print("targets: cached >= %.0f (0.90x): %s; uncached >= %.0f: %s" % (
        0.9 * open_rps, "met" if rows["jwt cached"][0] >= 0.9 * open_rps else "NOT met",
        bound, "met" if rows["jwt uncached"][0] >= bound else "NOT met"))
    return 1 if any(bad for _, bad in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
