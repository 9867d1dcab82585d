"""Load-independent costs of HTTP/2 over TLS at the front, per request, against
nginx (`listen ssl http2`) and nghttpx, the same fronts as h2_bench.py's
downstream group (one worker each, the same nginx HTTP/1.1 backend):

  callgrind   user-space instructions per request (valgrind --tool=callgrind:
              counters zeroed after a warm-up, dumped after H2_PROFILE_REQUESTS
              requests; the few TLS handshakes of h2load's connections included)
  strace      system calls per request (strace -c -f on the serving process
              and its threads while the same load runs), and the commonest ones
  io          the reads and writes of the same load (strace -f -yy), split by side
              (downstream: the front's port; upstream: the rest): calls per
              request and bytes per call
The callgrind mode also counts calls per request of malloc & co. and of the
TLS and nghttp2 entry points (from the profile's call counts).

    sudo MICROGW_BIN=<opt build>/gateway/microgw /usr/bin/python3 tools/bench/h2_profile.py

The machine's load does not change these counts (it has no hardware counters).
Environment: H2_PROFILE_REQUESTS (20000), H2_PROFILE_CLIENTS (4: h2load -c, with
-m H2_BENCH_STREAMS), H2_PROFILE_MODES (callgrind,strace,io),
H2_PROFILE_FRONTS (microgw,nginx,nghttpx), H2_PROFILE_MAX_IDLE (unset: each
front's default; N: microgw's maxIdleConnectionsPerHost and nginx's upstream
`keepalive` are N, to tell upstream connection churn from the rest: with
-c64 -m10 up to 640 requests are in flight, and an HTTP/1 pool that keeps 64
idle closes and reopens most of its connections). The callgrind files stay under /tmp
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
MODES = os.environ.get("H2_PROFILE_MODES", "callgrind,strace,io").split(",")
# Few connections, so that the TLS handshakes (slow under valgrind) weigh
# little against the requests; as many streams per connection as h2_bench.py.
CLIENTS = os.environ.get("H2_PROFILE_CLIENTS", "4")
FRONTS = os.environ.get("H2_PROFILE_FRONTS", "microgw,nginx,nghttpx").split(",")
MAX_IDLE = os.environ.get("H2_PROFILE_MAX_IDLE")


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
    out = subprocess.run(["h2load", "-n", str(n), "-c", CLIENTS, "-m", hb.STREAMS,
                          "--tls13-ciphers=" + hb.TLS13_CIPHER, url],
                         capture_output=True, text=True, timeout=1800)
    m = re.search(r"(\d+) succeeded", out.stdout)
    if not m or int(m.group(1)) != n:
        raise RuntimeError("h2load %s:\n%s%s" % (url, out.stdout[-1500:], out.stderr[-500:]))


def fronts(cert, key, backend_port, single_process):
    """{name: (argv, run_dir, port, forks)}: how each front is started.
    single_process: nginx `master_process off` and nghttpx --single-process, one
    process that callgrind_control can reach (a worker forked with another
    user id is out of its reach)."""
    nginx = bench.BenchNginx(upstream_port=backend_port, tls_cert=(cert, key), http2=True).start()
    nginx.stop()  # only its configuration is wanted
    with open(nginx.conf_path) as f:
        conf = f.read()
    if single_process:
        conf = "master_process off;\n" + conf
    if MAX_IDLE:
        conf = conf.replace("keepalive 64;", "keepalive %s;" % MAX_IDLE)
    with open(nginx.conf_path, "w") as f:
        f.write(conf)
    nghttpx = hb.Nghttpx("127.0.0.1,%d" % backend_port, frontend_tls=(cert, key))
    if single_process:
        nghttpx.argv.insert(1, "--single-process")
    api = h.api_definition("/", ["http://127.0.0.1:%d/" % backend_port],
                           paths={"/pets": ["get"]}, title="bench")
    conf = {"listenerConfig": {"workers": 1, "certificateFile": cert, "keyFile": key,
                               "tlsHandshakeTimeoutInMillis": 600000},
            "accessLog": {"enabled": False}, "admin": {"enabled": False}}
    if MAX_IDLE:
        conf["httpClients"] = {"maxIdleConnectionsPerHost": int(MAX_IDLE)}
    gw = h.Microgw({"bench": api}, conf=conf, filters="filters:\n  - name: router\n")
    return {
        "microgw": (gw.argv(), gw.run_dir, gw.https_port, False),
        "nginx": (nginx.process.argv, nginx.run_dir, nginx.port, not single_process),
        "nghttpx": (nghttpx.argv, nghttpx.run_dir, nghttpx.port, not single_process),
    }


def serving_pid(proc, forks):
    if not forks:
        return proc.pid
    h.wait_until(lambda: children(proc.pid), timeout=120, what="the worker process")
    return children(proc.pid)[0]


# Functions whose calls per request the callgrind mode reports.
COUNTED = ("malloc", "calloc", "realloc", "free", "SSL_write", "SSL_read", "epoll_wait",
           "nghttp2_session_mem_send", "nghttp2_session_mem_recv")


def call_counts(text):
    """{function: calls} summed over every call site of a callgrind profile
    (names are compressed: `fn=(id) name` or `cfn=(id) name` once, then `(id)`)."""
    names, counts, callee = {}, {}, None
    for line in text.splitlines():
        if line.startswith("fn=") or line.startswith("cfn="):
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m and m.group(2):
                names[m.group(1)] = m.group(2)
            if line.startswith("cfn=") and m:
                callee = names.get(m.group(1))
        elif line.startswith("calls=") and callee is not None:
            counts[callee] = counts.get(callee, 0) + int(line[6:].split()[0])
            callee = None
    out = {}
    for name, n in counts.items():
        base = name.split("'")[0].split("(")[0]
        if base in COUNTED:
            out[base] = out.get(base, 0) + n
    return out


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
        load(url, 500)
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
        return int(m.group(1)) / REQUESTS, dump, call_counts(text)
    finally:
        proc.stop(timeout=60)


def traced_load(name, argv, run_dir, port, forks, strace_args, out_name):
    """Starts the front, warms it up, then runs REQUESTS requests under
    `strace -p <serving pid> strace_args`; returns the trace file's path."""
    proc = h.Process(name, argv, run_dir, port=port)
    proc.start(timeout=60)
    bench.record_pid(proc)
    try:
        pid = serving_pid(proc, forks)
        url = "https://127.0.0.1:%d/pets" % port
        load(url, 2000)
        out_path = os.path.join(run_dir, out_name)
        tracer = subprocess.Popen(["strace"] + strace_args + ["-o", out_path, "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        load(url, REQUESTS)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=60)
        return out_path
    finally:
        proc.stop(timeout=30)


def strace(name, argv, run_dir, port, forks):
    """{system call: count} of the load."""
    out_path = traced_load(name, argv, run_dir, port, forks, ["-c", "-f"], "strace.txt")
    calls = {}
    with open(out_path) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                calls[fields[-1]] = int(fields[3])
    return calls


IO_CALLS = "read,write,readv,writev,sendmsg,recvmsg,sendto,recvfrom"
# `writev(12<TCP:[127.0.0.1:8443->127.0.0.1:51234]>, ...) = 1234`
IO_LINE = re.compile(r"(\w+)\(\d+<TCPv?6?:\[[^\]]*?:(\d+)->[^\]]*\]>.*\)\s+=\s+(-?\d+)")


def io(name, argv, run_dir, port, forks):
    """{(side, call): (calls, bytes)} of the load's socket reads and writes."""
    out_path = traced_load(name, argv, run_dir, port, forks,
                           ["-f", "-yy", "-e", "trace=" + IO_CALLS], "io.txt")
    calls = {}
    with open(out_path) as f:
        for line in f:
            m = IO_LINE.search(line)
            if not m:
                continue
            side = "down" if int(m.group(2)) == port else "up"
            key = (side, m.group(1))
            n, b = calls.get(key, (0, 0))
            calls[key] = (n + 1, b + max(int(m.group(3)), 0))
    return calls


def main():
    ca = h.TestCA(directory=h.make_run_dir("mgw-bench-h2prof-"))
    cert, key = ca.issue()
    h.chown_tree(ca.directory, h.DAEMON_USER)
    backend = bench.BenchNginx().start()
    rows = {}
    try:
        for name in FRONTS:
            row = rows.setdefault(name, {})
            if "callgrind" in MODES:
                argv, run_dir, port, forks = fronts(cert, key, backend.port, True)[name]
                row["ir"], row["dump"], row["counts"] = callgrind(name, argv, run_dir, port,
                                                                  forks)
            if "strace" in MODES:
                argv, run_dir, port, forks = fronts(cert, key, backend.port, False)[name]
                row["calls"] = strace(name, argv, run_dir, port, forks)
            if "io" in MODES:
                argv, run_dir, port, forks = fronts(cert, key, backend.port, False)[name]
                row["io"] = io(name, argv, run_dir, port, forks)
    finally:
        backend.stop()
    print("%d requests, h2load -c%s -m%s over TLS (ALPN h2), one worker each%s"
          % (REQUESTS, CLIENTS, hb.STREAMS,
             "; upstream idle connections kept: %s" % MAX_IDLE if MAX_IDLE else ""))
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
        if row.get("counts"):
            print("          calls/request: " + " ".join(
                "%s %.2f" % (k, v / REQUESTS) for k, v in sorted(row["counts"].items())))
        if calls:
            print("          all system calls/request: " + " ".join(
                "%s %.3f" % (k, v / REQUESTS)
                for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v >= REQUESTS / 1000))
        for (side, call), (n, b) in sorted(row.get("io", {}).items()):
            print("          %-4s %-8s %6.3f calls/request %8.0f bytes/call" % (
                side, call, n / REQUESTS, b / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
