"""RSS over many reloads: a check run by hand, not in CI.

    sudo PYTHONPATH=test/support /usr/bin/python3 tools/soak/reload_rss.py \
        --binary bazel-bin/gateway/microgw --reloads 1000

Starts the gateway with its backend reached through Squid, sends traffic, then
sends --reloads SIGHUPs one after the other (each waits for its log line).
Like the soak, each reload adds or removes an API and every fourth changes
httpClients.connectTimeoutInMillis (new upstream connectors). A client thread
keeps requests running through the whole run, and every answer must be 200.
Prints VmRSS after a warm-up of --warmup reloads and at the end.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

import mgw_harness as h


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--reloads", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()

    backend = h.TestBackend().start()
    squid = h.Squid(auth=True, password="Rss-pw-61a").start()
    conf = {"httpClients": {"proxy": {"enabled": True, "host": h.LOOPBACK, "port": squid.port,
                                      "username": squid.username, "password": "Rss-pw-61a"}}}
    gw = h.Microgw({"a": h.api_definition("/a", [backend.url("/")])}, conf=conf,
                   binary=args.binary)
    gw.start()
    stop = threading.Event()
    counts = {"ok": 0, "bad": []}

    def client():
        while not stop.is_set():
            try:
                status = gw.request("GET", "/a/echo", timeout=30)[0]
            except OSError as e:
                status = str(e)
            if status == 200:
                counts["ok"] += 1
            else:
                counts["bad"].append(status)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()

    def write(path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)

    def reload(n):
        extra = os.path.join(gw.apis_dir, "extra.yaml")
        if n % 2:
            write(extra, json.dumps(h.api_definition("/extra", [backend.url("/")])))
        else:
            os.remove(extra)
        if n % 4 == 0:
            gw.conf = h.deep_merge(gw.conf, {"httpClients": {
                "connectTimeoutInMillis": 4000 + (n // 4) % 2}})
            write(gw.conf_path, gw.conf_text())
        before = gw.process.stderr_text().count("configuration reloaded")
        gw.process.send_signal(signal.SIGHUP)
        h.wait_until(lambda: gw.process.stderr_text().count("configuration reloaded") > before,
                     timeout=30, what="reload %d" % n)

    try:
        t0 = time.monotonic()
        for n in range(1, args.warmup + 1):
            reload(n)
        start_rss = rss_kb(gw.process.pid)
        for n in range(args.warmup + 1, args.warmup + args.reloads + 1):
            reload(n)
        end_rss = rss_kb(gw.process.pid)
        stop.set()
        for t in threads:
            t.join()
        m = gw.metrics()
        print("reloads: %d after %d warm-up, %.0f s" % (args.reloads, args.warmup,
                                                       time.monotonic() - t0))
        print("VmRSS after warm-up: %d kB; after %d more reloads: %d kB (%+d kB)"
              % (start_rss, args.reloads, end_rss, end_rss - start_rss))
        print("microgw_config_reloads_total: success %g, failure %g"
              % (m.get('microgw_config_reloads_total{result="success"}', 0),
                 m.get('microgw_config_reloads_total{result="failure"}', 0)))
        print("requests during the run: %d answered 200, %d not: %s"
              % (counts["ok"], len(counts["bad"]), counts["bad"][:5]))
        return 0 if not counts["bad"] else 1
    finally:
        stop.set()
        gw.cleanup()
        squid.cleanup()
        backend.stop()


if __name__ == "__main__":
    sys.exit(main())
