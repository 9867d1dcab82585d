#!/usr/bin/env bash
# The microgw demo: a backend reachable only through an authenticating Squid.
#
#   client --curl--> microgw :9090 --CONNECT (basic auth)--> Squid :3128 --> backend
#
# Installs what is needed, builds //gateway:microgw, starts a local Squid (own
# squid.conf under /tmp), a Python test backend and the gateway with a
# generated config, sends one request with curl, and shows Squid's access-log
# line proving the request went through the proxy. Then keeps running until
# Ctrl-C; with CI=true or --once it exits after the demo request.
# MICROGW_BIN=path uses that gateway binary instead of building it.
# Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [[ "${CI:-}" == "true" ]]; then once=1; fi

tools/install.sh
if [[ -n "${MICROGW_BIN:-}" ]]; then
  bin="$MICROGW_BIN"  # a prebuilt gateway; skip the build
else
  bazel build //gateway:microgw </dev/null
  bin="$(bazel info bazel-bin </dev/null 2>/dev/null)/gateway/microgw"
  [[ -x "$bin" ]] || bin="bazel-bin/gateway/microgw"
fi

export MICROGW_BIN="$bin" DEMO_ONCE="$once"
export PYTHONPATH="$PWD/test/support${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
exec /usr/bin/python3 - <<'PY'
import os, signal, subprocess, sys, threading
import mgw_harness as h


def port_or_free(preferred):
    return preferred if not h.port_open(h.LOOPBACK, preferred, timeout=0.2) else h.free_port()


def main():
    once = os.environ.get("DEMO_ONCE") == "1"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    backend = h.TestBackend().start()
    squid = h.Squid(auth=True, username="demo", password="demo-secret", port=port_or_free(3128))
    gw = None
    try:
        squid.start()
        api = h.api_definition("/petstore/v1", [backend.url("/")], title="Petstore",
                               paths={"/pets": ["get", "post"], "/pets/{petId}": ["get"]})
        gw_port = port_or_free(9090)
        conf = {
            "listenerConfig": {"httpPort": gw_port},
            "admin": {"port": port_or_free(9797)},
            "httpClients": {
                # Short, so the tunnel closes soon and Squid logs the CONNECT.
                "poolIdleTimeoutInMillis": 1000,
                "proxy": {"enabled": True, "host": h.LOOPBACK, "port": squid.port,
                          "username": squid.username, "password": squid.password},
            },
        }
        # Secured by default: without x-wso2-disable-security this API needs a
        # JWT from a [[jwtTokenConfig]] issuer (none here), so it answers 401.
        secured = h.api_definition("/orders/v1", [backend.url("/")], title="Orders",
                                   paths={"/orders": ["get"]},
                                   extra={"x-wso2-disable-security": False})
        chain = h.read_text(os.path.join(os.getcwd(), "conf", "filters.yaml"))
        gw = h.Microgw({"petstore": api, "orders": secured}, conf=conf, filters=chain)
        gw.start()
        url = "http://127.0.0.1:%d/petstore/v1/pets?limit=2" % gw.port
        print("\n== microgw :%d -> Squid :%d (user %r) -> backend :%d"
              % (gw.port, squid.port, squid.username, backend.port))
        print("== config: %s\n== curl -sS -i %s\n" % (gw.conf_path, url))
        r = subprocess.run(["curl", "-sS", "-i", "--max-time", "30", url])
        ok = r.returncode == 0
        secured_url = "http://127.0.0.1:%d/orders/v1/orders" % gw.port
        print("\n== a secured API without a token (secure by default): curl -sS -i %s\n"
              % secured_url)
        status, _, body = gw.request("GET", "/orders/v1/orders")
        print("HTTP %d %s" % (status, body.decode(errors="replace")))
        ok = ok and status == 401
        target = "127.0.0.1:%d" % backend.port
        try:
            lines = squid.wait_for_log(lambda e: e["method"] == "CONNECT" and e["url"] == target,
                                       timeout=20)
            print("\n== Squid access log (%s):" % squid.access_log)
            for e in lines:
                print("   " + e["line"])
            print("== the request went through Squid as user %r" % lines[-1]["user"])
        except TimeoutError:
            ok = False
            print("\n!! no CONNECT for %s in Squid's log:" % target)
            print("\n".join("   " + l for l in squid.access_log_lines()) or "   (empty)")
            print(gw.process.output_tail())
        if once:
            return 0 if ok else 1
        print("\nTry it:  curl -i %s" % url)
        print("Squid's log:  tail -f %s" % squid.access_log)
        print("Gateway log:  %s\nCtrl-C to stop." % gw.process.stdout_path)
        while not stop.wait(0.5):
            if not gw.running():
                print("microgw exited:\n" + gw.process.output_tail())
                return 1
        return 0
    finally:
        if gw is not None:
            gw.cleanup()
        squid.cleanup()
        backend.stop()
        print("demo stopped; everything cleaned up")


sys.exit(main())
PY
