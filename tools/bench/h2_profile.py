"""Load-independent costs of HTTP/2 over TLS at the front, per request, against
nginx (`listen ssl http2`) and nghttpx, the same fronts as h2_bench.py's
downstream group (one worker each, the same nginx HTTP/1.1 backend):

  callgrind   user-space instructions per request (valgrind --tool=callgrind:
              counters zeroed after a warm-up, dumped after H2_PROFILE_REQUESTS
              requests; TLS handshakes of the h2load connections included)
  strace      system calls per request (strace -c -f on the serving process
              and its threads while the same load runs), and the commonest ones

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/h2_profile.py

The machine's load does not change these counts (it has no hardware counters).
Environment: H2_PROFILE_REQUESTS (20000), H2_PROFILE_MODES (callgrind,strace),
H2_PROFILE_FRONTS (microgw,nginx,nghttpx). The callgrind files stay under /tmp
(their paths are printed) for callgrind_annotate.
"""

import glob
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h2_bench as hb  # noqa: E402  (Nghttpx; sets sys.path)

h = hb.h
bench = hb.bench
REQUESTS = int(os.environ.get("H2_PROFILE_REQUESTS", "20000"))
MODES = os.environ.get("H2_PROFILE_MODES", "callgrind,strace").split(",")
FRONTS = os.environ.get("H2_PROFILE_FRONTS", "microgw,nginx,nghttpx").split(",")


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                pass
    return out


def load(url, n):
    out = subprocess.run(["h2load", "-n", str(n), "-c", hb.CLIENTS, "-m", hb.STREAMS, url],
                         capture_output=True, text=True, timeout=1800)
    m = re.search(r"(\d+) succeeded", out.stdout)
    if not m or int(m.group(1)) != n:
        raise RuntimeError("h2load %s:\n%s%s" % (url, out.stdout[-1500:], out.stderr[-500:]))


def fronts(cert, key, backend_port):
    """{name: (argv, run_dir, port, forks)}: how each front is started."""
    nginx = bench.BenchNginx(upstream_port=backend_port, tls_cert=(cert, key), http2=True).start()
    nginx.stop()  # only its configuration is wanted
    nghttpx = hb.Nghttpx("127.0.0.1,%d" % backend_port, frontend_tls=(cert, key))
    api = h.api_definition("/", ["http://127.0.0.1:%d/" % backend_port],
                           paths={"/pets": ["get"]}, title="bench")
    gw = h.Microgw({"bench": api},
                   conf={"listenerConfig": {"workers": 1, "certificateFile": cert,
                                            "keyFile": key},
                         "accessLog": {"enabled": False}, "admin": {"enabled": False}},
                   filters="filters:\n  - name: router\n")
    return {
        "microgw": (gw.argv(), gw.run_dir, gw.https_port, False),
        "nginx": (nginx.process.argv, nginx.run_dir, nginx.port, True),
        "nghttpx": (nghttpx.argv, nghttpx.run_dir, nghttpx.port, True),
    }


def serving_pid(proc, forks):
    if not forks:
        return proc.pid
    h.wait_until(lambda: children(proc.pid), timeout=120, what="the worker process")
    return children(proc.pid)[0]


def callgrind(name, argv, run_dir, port, forks):
    out_dir = os.path.join(run_dir, "callgrind")
    os.makedirs(out_dir, exist_ok=True)
    os.chmod(out_dir, 0o777)
    proc = h.Process(name + "-callgrind", ["valgrind", "--tool=callgrind",
                                           "--callgrind-out-file=%s/cg.%%p" % out_dir] + argv,
                     run_dir, port=port)
    proc.start(timeout=180)
    bench.record_pid(proc)
    try:
        pid = serving_pid(proc, forks)
        url = "https://127.0.0.1:%d/pets" % port
        load(url, 2000)
        subprocess.run(["callgrind_control", "-d", "warm", str(pid)], capture_output=True,
                       timeout=120)
        time.sleep(1)
        before = set(glob.glob(os.path.join(out_dir, "cg.%d*" % pid)))
        load(url, REQUESTS)
        subprocess.run(["callgrind_control", "-d", "load", str(pid)], capture_output=True,
                       timeout=120)
        h.wait_until(lambda: set(glob.glob(os.path.join(out_dir, "cg.%d*" % pid))) - before,
                     timeout=120, what="the callgrind dump")
        time.sleep(1)
        dump = sorted(set(glob.glob(os.path.join(out_dir, "cg.%d*" % pid))) - before)[-1]
        with open(dump) as f:
            text = f.read()
        m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        return int(m.group(1)) / REQUESTS, dump
    finally:
        proc.stop(timeout=60)


def strace(name, argv, run_dir, port, forks):
    proc = h.Process(name, argv, run_dir, port=port)
    proc.start(timeout=60)
    bench.record_pid(proc)
    try:
        pid = serving_pid(proc, forks)
        url = "https://127.0.0.1:%d/pets" % port
        load(url, 2000)
        out_path = os.path.join(run_dir, "strace.txt")
        tracer = subprocess.Popen(["strace", "-c", "-f", "-o", out_path, "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        load(url, REQUESTS)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=60)
        calls = {}
        with open(out_path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                    calls[fields[-1]] = int(fields[3])
        return calls
    finally:
        proc.stop(timeout=30)


def main():
    ca = h.TestCA(directory=h.make_run_dir("mgw-bench-h2prof-"))
    cert, key = ca.issue()
    h.chown_tree(ca.directory, h.DAEMON_USER)
    backend = bench.BenchNginx().start()
    rows = {}
    try:
        setups = fronts(cert, key, backend.port)
        for name in FRONTS:
            argv, run_dir, port, forks = setups[name]
            row = rows.setdefault(name, {})
            if "callgrind" in MODES:
                row["ir"], row["dump"] = callgrind(name, argv, run_dir, port, forks)
            if "strace" in MODES:
                row["calls"] = strace(name, argv, run_dir, port, forks)
    finally:
        backend.stop()
    print("%d requests, h2load -c%s -m%s over TLS (ALPN h2), one worker each"
          % (REQUESTS, hb.CLIENTS, hb.STREAMS))
    print("%-8s %12s %9s %10s  %s" % ("front", "Ir/request", "vs nginx", "syscalls/req",
                                      "commonest system calls per request"))
    for name, row in rows.items():
        ir = row.get("ir")
        ratio = ir / rows["nginx"]["ir"] if ir and rows.get("nginx", {}).get("ir") else None
        calls = row.get("calls", {})
        total = sum(calls.values()) / REQUESTS
        top = sorted(calls.items(), key=lambda kv: -kv[1])[:5]
        print("%-8s %12s %9s %10.2f  %s" % (
            name, "%.0f" % ir if ir else "-", "%.2fx" % ratio if ratio else "-", total,
            " ".join("%s %.2f" % (k, v / REQUESTS) for k, v in top)))
        if row.get("dump"):
            print("          callgrind file: %s" % row["dump"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
