"""Integration-test harness for microgw: real peers on free loopback ports.

Python 3 standard library only (Debian's /usr/bin/python3). Pieces:

- free_port(), wait_for_port(): loopback port allocation and readiness.
- Process: start a command, capture stdout/stderr to files, wait for a TCP port,
  stop it (SIGTERM, then SIGKILL).
- TestCA: a throwaway CA and server certificates made with the openssl CLI.
- TestBackend: a threaded HTTP/1.1 (optionally https) backend with echo, /big,
  /chunked, /slow, /reset and /status/NNN endpoints; counts requests and
  connections so tests can see keep-alive reuse.
- Squid, Tinyproxy, Nginx: the real daemons with their own configs in a run
  folder under /tmp (owned by `proxy` when running as root, since they drop to
  that user).
- Microgw: writes micro-gw.conf + filters.yaml + API files and runs the gateway.
- RawClient: a socket-level HTTP/1.1 client for malformed or pipelined requests.

Example:
    with TestBackend() as backend, Squid(auth=True) as squid:
        conn = http.client.HTTPConnection("127.0.0.1", squid.port)
        conn.set_tunnel("127.0.0.1", backend.port, headers=squid.auth_header())
        conn.request("GET", "/echo")
"""

import base64
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

# Multiply every timeout by this on slow machines.
TIMEOUT_SCALE = float(os.environ.get("MGW_TEST_TIMEOUT_SCALE", "1"))
LOOPBACK = "127.0.0.1"
DAEMON_USER = "proxy"


def scaled(seconds):
    return seconds * TIMEOUT_SCALE


# ---------------------------------------------------------------------------
# Ports and processes
# ---------------------------------------------------------------------------

_ports_lock = threading.Lock()
_ports_given = set()


def free_port(host=LOOPBACK):
    """Returns a loopback TCP port that was free a moment ago (never the same twice)."""
    with _ports_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
            if port not in _ports_given:
                _ports_given.add(port)
                return port
    raise RuntimeError("no free port")


def port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls predicate() until it returns a truthy value; returns it or raises TimeoutError."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for %s" % what)
        time.sleep(interval)


def wait_for_port(host, port, timeout=30.0, process=None):
    """Waits until host:port accepts a TCP connection. Fails early if `process` died."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        if process is not None and not process.running():
            raise RuntimeError("%s exited (code %s) before listening on %d\n%s"
                               % (process.name, process.returncode(), port, process.output_tail()))
        if port_open(host, port, timeout=0.5):
            return
        time.sleep(0.05)
    tail = process.output_tail() if process is not None else ""
    raise TimeoutError("nothing listening on %s:%d after %.0fs\n%s" % (host, port, timeout, tail))


def make_run_dir(prefix, owner=None):
    """A fresh folder under /tmp, world-readable; chowned to `owner` when running as root.

    Daemons that drop privileges (Squid -> proxy) must own their run folder, and
    cannot enter Bazel's output base under /root, hence /tmp.
    """
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    if owner and os.geteuid() == 0:
        pw = pwd.getpwnam(owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def chown_tree(path, owner):
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(owner)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def read_text(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class SharedPeersTestCase(unittest.TestCase):
    """A TestCase whose peers (backends, proxies, gateways) are shared by the
    class. Subclasses start them in start_peers(), appending each one's stop to
    cls.cleanups; they stop in reverse order after the class, and also when a
    later one fails to start (start_peers() may raise unittest.SkipTest)."""

    cleanups = []

    @classmethod
    def start_peers(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.cleanups = []
        try:
            cls.start_peers()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for c in reversed(cls.cleanups):
            c()


class Process:
    """A child process with stdout/stderr captured to files in `workdir`.

    Started in its own session, so stop() signals the whole process group it
    created (helpers such as Squid's auth programs included).
    """

    def __init__(self, name, argv, workdir, env=None, cwd=None, port=None, host=LOOPBACK):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.workdir = workdir
        self.env = env
        self.cwd = cwd
        self.port = port
        self.host = host
        self.stdout_path = os.path.join(workdir, "%s.stdout.log" % name)
        self.stderr_path = os.path.join(workdir, "%s.stderr.log" % name)
        self.popen = None

    def start(self, wait=True, timeout=30.0):
        out = open(self.stdout_path, "ab")
        err = open(self.stderr_path, "ab")
        try:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=err, env=self.env, cwd=self.cwd,
                                          start_new_session=True)
        finally:
            out.close()
            err.close()
        if wait and self.port:
            wait_for_port(self.host, self.port, timeout=timeout, process=self)
        return self

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def returncode(self):
        return None if self.popen is None else self.popen.poll()

    @property
    def pid(self):
        return self.popen.pid

    def send_signal(self, sig):
        if self.running():
            self.popen.send_signal(sig)

    def wait(self, timeout=None):
        return self.popen.wait(timeout=None if timeout is None else scaled(timeout))

    def _signal_group(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Leftover helpers in the group (e.g. auth programs) go too.
        self._signal_group(signal.SIGKILL)
        return self.popen.returncode

    def stdout_text(self):
        return read_text(self.stdout_path)

    def stderr_text(self):
        return read_text(self.stderr_path)

    def output_tail(self, lines=40):
        text = ("--- %s stdout ---\n%s--- %s stderr ---\n%s"
                % (self.name, self.stdout_text(), self.name, self.stderr_text()))
        return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------

def _openssl(*args, cwd=None):
    subprocess.run(["openssl"] + list(args), check=True, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TestCA:
    """A throwaway CA (ca.crt/ca.key) in `directory`, issuing server certificates."""

    def __init__(self, directory=None, name="microgw-test-ca"):
        self.directory = directory or tempfile.mkdtemp(prefix="mgw-ca-")
        os.makedirs(self.directory, exist_ok=True)
        self.name = name
        self.cert_path = os.path.join(self.directory, "%s.crt" % name)
        self.key_path = os.path.join(self.directory, "%s.key" % name)
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=%s" % name, "-keyout", self.key_path, "-out", self.cert_path,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, cn="localhost", sans=("IP:127.0.0.1", "DNS:localhost")):
        """Issues a server certificate; returns (cert_path, key_path)."""
        base = os.path.join(self.directory, "%s-%s" % (self.name, cn))
        key, csr, crt, ext = base + ".key", base + ".csr", base + ".crt", base + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=CA:FALSE\n" % ",".join(sans))
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % cn,
                 "-keyout", key, "-out", csr)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert_path, "-CAkey", self.key_path,
                 "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
        return crt, key

    def client_context(self):
        ctx = ssl.create_default_context(cafile=self.cert_path)
        return ctx


# ---------------------------------------------------------------------------
# The Python test backend
# ---------------------------------------------------------------------------

def big_body(n):
    """The deterministic bytes /big?n=N returns."""
    pattern = bytes(range(256)) * 256  # 64 KiB
    reps, rest = divmod(n, len(pattern))
    return pattern * reps + pattern[:rest]


def chunked_body(chunks):
    """The body /chunked?n=CHUNKS returns (after de-chunking)."""
    return b"".join(chunk_payload(i) for i in range(chunks))


def chunk_payload(i):
    return ("chunk %d %s\n" % (i, "x" * (i % 50))).encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class _BackendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mgw-test-backend"
    sys_version = ""

    def setup(self):
        super().setup()
        self.conn_id = self.server.note_connection()
        self.requests_on_conn = 0

    def log_message(self, fmt, *args):  # quiet
        pass

    # --- request body ---------------------------------------------------
    def _read_body(self):
        """Reads the request body (Content-Length or chunked); returns (sha256, length, head)."""
        h = hashlib.sha256()
        length = 0
        head = b""
        self.request_trailers = []
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until an empty line
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                        name, _, value = t.decode("latin-1").partition(":")
                        self.request_trailers.append([name, value.strip()])
                    break
                remaining = size
                while remaining:
                    data = self.rfile.read(min(remaining, 1 << 16))
                    if not data:
                        raise ConnectionError("short chunk")
                    h.update(data)
                    length += len(data)
                    if len(head) < 1024:
                        head += data[:1024 - len(head)]
                    remaining -= len(data)
                self.rfile.readline(3)  # CRLF after the chunk
        else:
            remaining = int(self.headers.get("Content-Length", "0") or "0")
            while remaining:
                data = self.rfile.read(min(remaining, 1 << 16))
                if not data:
                    raise ConnectionError("short body")
                h.update(data)
                length += len(data)
                if len(head) < 1024:
                    head += data[:1024 - len(head)]
                remaining -= len(data)
        return h.hexdigest(), length, head

    # --- dispatch ---------------------------------------------------------
    def _handle(self):
        self.requests_on_conn += 1
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        args = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        try:
            body_sha, body_len, body_head = self._read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        record = {
            "method": self.command,
            "path": path,
            "query": url.query,
            "args": args,
            "raw_path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "trailers": self.request_trailers,
            "body_sha256": body_sha,
            "body_length": body_len,
            "connection": self.conn_id,
            "request_on_connection": self.requests_on_conn,
            "tls": self.server.tls,
            "port": self.server.server_address[1],
        }
        self.server.note_request(record)
        last = path.rstrip("/").rsplit("/", 1)[-1]
        m = re.search(r"/status/(\d{3})$", path)
        if m:
            return self._status(int(m.group(1)))
        if last == "big":
            return self._big(int(args.get("n", "1024")))
        if last == "chunked":
            return self._chunked(int(args.get("n", "10")), float(args.get("delay_ms", "0")))
        if last == "slow":
            time.sleep(int(args.get("ms", "1000")) / 1000.0)
            return self._send(200, b"slow ok\n", "text/plain")
        if last == "reset":
            self._reset()
            return
        record = dict(record)
        record["body_head"] = body_head.decode("latin-1")
        record["headers_lower"] = {k.lower(): v for k, v in self.headers.items()}
        self._send(200, json.dumps(record, indent=1).encode() + b"\n", "application/json")

    def _send(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        no_body = status in (204, 304) or 100 <= status < 200
        if not no_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(body)

    def _status(self, status):
        body = json.dumps({"status": status}).encode() + b"\n"
        self._send(status, body, "application/json")

    def _big(self, n):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("X-Body-Sha256", sha256(big_body(n)) if n <= 64 << 20 else "")
        self.end_headers()
        if self.command == "HEAD":
            return
        pattern = bytes(range(256)) * 256
        sent = 0
        while sent < n:
            piece = pattern[:min(len(pattern), n - sent)]
            self.wfile.write(piece)
            sent += len(piece)

    def _chunked(self, chunks, delay_ms):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for i in range(chunks):
            data = chunk_payload(i)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            if delay_ms:
                time.sleep(delay_ms / 1000.0)
        self.wfile.write(b"0\r\n\r\n")

    def _reset(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class CannedBackend:
    """Answers every connection with the bytes that follow the request's path
    (/<name>) in `replies`, then closes."""

    def __init__(self, replies):
        self.replies = replies
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self):
        return "http://%s:%d/" % (LOOPBACK, self.port)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    more = conn.recv(4096)
                    if not more:
                        break
                    data += more
                m = re.match(rb"[A-Z]+ /(\w+)", data)
                conn.sendall(self.replies.get(m.group(1).decode() if m else "", b""))
            except OSError:
                pass  # the gateway went away mid-reply

    def stop(self):
        self.sock.close()


class TestBackend(http.server.ThreadingHTTPServer):
    """Threaded HTTP/1.1 backend on a free loopback port; https when given a TestCA.

    Thread-safe counters: requests, connections; `records` holds one dict per
    request (method, path, query, headers, body_sha256, ...).
    """

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a burst of connections from the
    # gateway (100 concurrent HTTP/2 streams to HTTP/1.1 backend connections)
    # overflows it, and a handshake the kernel dropped waits for SYN-ACK
    # retransmits (1, 2, 4, 8, 16 s): a request can stall for 30 s under load.
    request_queue_size = 512

    def __init__(self, port=0, ca=None, host=LOOPBACK):
        super().__init__((host, port), _BackendHandler)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.tls_failures = 0
        self.records = []
        self.tls = ca is not None
        self.ssl_context = None
        if ca is not None:
            cert, key = ca.issue()
            self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ssl_context.load_cert_chain(cert, key)
        self.thread = None

    @property
    def port(self):
        return self.server_address[1]

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    def url(self, path="/"):
        return "%s://%s:%d%s" % (self.scheme, LOOPBACK, self.port, path)

    def note_connection(self):
        with self.lock:
            self.connections += 1
            return self.connections

    def note_request(self, record):
        with self.lock:
            self.requests += 1
            self.records.append(record)

    def reset_counters(self):
        with self.lock:
            self.connections = 0
            self.requests = 0
            self.records = []

    def finish_request(self, request, client_address):
        if self.ssl_context is not None:
            request.settimeout(30)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with self.lock:
                    self.tls_failures += 1
                return
            request.settimeout(None)
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if self.ssl_context is not None:
                with contextlib.suppress(OSError):
                    request.close()

    def handle_error(self, request, client_address):  # quiet on client resets
        pass

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True, name="test-backend")
        self.thread.start()
        return self

    def stop(self):
        if self.thread is not None:
            self.shutdown()
            self.thread.join(10)
            self.thread = None
        self.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# Daemons
# ---------------------------------------------------------------------------

class _Daemon:
    """Common start/stop/context-manager plumbing for the daemon wrappers."""

    name = "daemon"
    process = None

    def start(self):
        raise NotImplementedError

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def running(self):
        return self.process is not None and self.process.running()

    def cleanup(self, keep=False):
        self.stop()
        if not keep and not os.environ.get("MGW_KEEP_RUN_DIRS"):
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class Squid(_Daemon):
    """Squid as a forward proxy on a free loopback port, with its own squid.conf.

    auth: require basic auth (username/password) via basic_ncsa_auth.
    connect_ports: None = CONNECT to any port; e.g. [443] restricts CONNECT so
      Squid answers 403 for other ports.
    Access log lines: "<time> <client> <user> <method> <url> <status> <bytes> <squid-status>".
    Squid logs a CONNECT only when the tunnel closes.
    """

    name = "squid"

    def __init__(self, auth=True, username="mgwuser", password="Pr0xy-s3cret", port=None,
                 connect_ports=None, extra_conf=""):
        self.auth = auth
        self.username = username
        self.password = password
        self.port = port or free_port()
        self.host = LOOPBACK
        self.connect_ports = connect_ports
        self.extra_conf = extra_conf
        self.run_dir = make_run_dir("mgw-squid-", owner=DAEMON_USER)
        self.conf_path = os.path.join(self.run_dir, "squid.conf")
        self.access_log = os.path.join(self.run_dir, "access.log")
        self.cache_log = os.path.join(self.run_dir, "cache.log")
        self.passwd_path = os.path.join(self.run_dir, "passwd")
        self.process = None

    def auth_header(self, username=None, password=None):
        user = self.username if username is None else username
        pw = self.password if password is None else password
        token = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
        return {"Proxy-Authorization": "Basic " + token}

    def _write_conf(self):
        rd = self.run_dir
        lines = [
            "http_port %s:%d" % (self.host, self.port),
            "visible_hostname microgw-test-squid",
            "pid_filename %s/squid.pid" % rd,
            "cache_log %s" % self.cache_log,
            "logformat mgw %ts.%03tu %>a %un %rm %ru %>Hs %<st %Ss/%Sh",
            "access_log stdio:%s mgw" % self.access_log,
            "cache_store_log none",
            "coredump_dir %s" % rd,
            "netdb_filename none",
            "pinger_enable off",
            "cache deny all",
            "cache_mem 8 MB",
            "shutdown_lifetime 1 seconds",
            "forwarded_for on",
            "strip_query_terms off",
            "acl CONNECT method CONNECT",
        ]
        if self.connect_ports:
            lines.append("acl mgw_connect_ports port %s" % " ".join(str(p) for p in self.connect_ports))
            lines.append("http_access deny CONNECT !mgw_connect_ports")
        if self.auth:
            with open(self.passwd_path, "w") as f:
                f.write("%s:%s\n" % (self.username, _apr1(self.password)))
            lines += [
                "auth_param basic program /usr/lib/squid/basic_ncsa_auth %s" % self.passwd_path,
                "auth_param basic children 2 startup=1 idle=1",
                "auth_param basic realm microgw-test",
                "auth_param basic credentialsttl 1 minute",
                "acl mgw_authed proxy_auth REQUIRED",
                "http_access allow mgw_authed",
            ]
        else:
            lines.append("http_access allow all")
        lines.append("http_access deny all")
        if self.extra_conf:
            lines.append(self.extra_conf)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        chown_tree(self.run_dir, DAEMON_USER)

    def start(self, timeout=60.0):
        if self.running():
            return self
        self._write_conf()
        self.process = Process("squid", ["squid", "-N", "-f", self.conf_path], self.run_dir,
                               port=self.port, host=self.host)
        try:
            self.process.start(timeout=timeout)
        except Exception as e:
            raise RuntimeError("%s\ncache.log:\n%s" % (e, read_text(self.cache_log)[-3000:]))
        return self

    def restart(self):
        """Stops and starts again on the same port."""
        self.stop()
        wait_until(lambda: not port_open(self.host, self.port), timeout=20, what="squid port closed")
        return self.start()

    def access_log_lines(self):
        return [l for l in read_text(self.access_log).splitlines() if l.strip()]

    def parsed_log(self):
        """Access log as dicts: client, user, method, url, status, bytes, result."""
        out = []
        for line in self.access_log_lines():
            parts = line.split()
            if len(parts) >= 8:
                out.append({"time": parts[0], "client": parts[1], "user": parts[2],
                            "method": parts[3], "url": parts[4], "status": parts[5],
                            "bytes": parts[6], "result": parts[7], "line": line})
        return out

    def connect_lines(self, target=None):
        return [e for e in self.parsed_log()
                if e["method"] == "CONNECT" and (target is None or e["url"] == target)]

    def wait_for_log(self, predicate, timeout=15.0, what="squid access log line"):
        return wait_until(lambda: [e for e in self.parsed_log() if predicate(e)],
                          timeout=timeout, what=what)


def _apr1(password):
    """An Apache MD5 ($apr1$) hash, as htpasswd writes it, via the openssl CLI."""
    out = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=password.encode(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return out.stdout.decode().strip()


class Tinyproxy(_Daemon):
    """tinyproxy in the foreground on a free loopback port; CONNECT to any port."""

    name = "tinyproxy"

    def __init__(self, port=None):
        self.port = port or free_port()
        self.host = LOOPBACK
        self.run_dir = make_run_dir("mgw-tinyproxy-", owner=DAEMON_USER)
        self.conf_path = os.path.join(self.run_dir, "tinyproxy.conf")
        self.log_path = os.path.join(self.run_dir, "tinyproxy.log")
        self.process = None

    def start(self, timeout=30.0):
        lines = [
            "Port %d" % self.port,
            "Listen %s" % self.host,
            "Timeout 600",
            "MaxClients 100",
            'LogFile "%s"' % self.log_path,
            "LogLevel Info",
            'PidFile "%s/tinyproxy.pid"' % self.run_dir,
            "Allow 127.0.0.1",
            # No ConnectPort line: CONNECT to every port is allowed.
        ]
        if os.geteuid() == 0:
            lines = ["User %s" % DAEMON_USER, "Group %s" % DAEMON_USER] + lines
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        chown_tree(self.run_dir, DAEMON_USER)
        self.process = Process("tinyproxy", ["tinyproxy", "-d", "-c", self.conf_path],
                               self.run_dir, port=self.port, host=self.host)
        self.process.start(timeout=timeout)
        return self

    def log_text(self):
        return read_text(self.log_path) + self.process.stdout_text() + self.process.stderr_text()


class Nginx(_Daemon):
    """nginx in the foreground serving static files from `www/`, optionally /proxy/ -> upstream."""

    name = "nginx"

    def __init__(self, port=None, proxy_upstream=None, files=None, workers=1):
        self.port = port or free_port()
        self.host = LOOPBACK
        self.proxy_upstream = proxy_upstream  # "127.0.0.1:PORT"
        self.workers = workers
        self.run_dir = make_run_dir("mgw-nginx-", owner=DAEMON_USER)
        self.www = os.path.join(self.run_dir, "www")
        os.makedirs(self.www, exist_ok=True)
        for name, content in (files or {"index.html": "hello from nginx\n"}).items():
            path = os.path.join(self.www, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
        self.conf_path = os.path.join(self.run_dir, "nginx.conf")
        self.process = None

    def url(self, path="/"):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def start(self, timeout=30.0):
        rd = self.run_dir
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(rd, "tmp", sub), exist_ok=True)
        user = "user %s %s;\n" % (DAEMON_USER, DAEMON_USER) if os.geteuid() == 0 else ""
        proxy = ""
        if self.proxy_upstream:
            proxy = ("    location /proxy/ {\n      proxy_pass http://%s/;\n"
                     "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
                     "    }\n" % self.proxy_upstream)
        conf = ("%sdaemon off;\nworker_processes %d;\npid %s/nginx.pid;\n"
                "error_log %s/error.log warn;\nevents { worker_connections 1024; }\n"
                "http {\n  access_log %s/access.log;\n"
                "  client_body_temp_path %s/tmp/client_body;\n  proxy_temp_path %s/tmp/proxy;\n"
                "  fastcgi_temp_path %s/tmp/fastcgi;\n  uwsgi_temp_path %s/tmp/uwsgi;\n"
                "  scgi_temp_path %s/tmp/scgi;\n  keepalive_requests 100000;\n"
                "  server {\n    listen %s:%d;\n    root %s;\n%s  }\n}\n"
                % (user, self.workers, rd, rd, rd, rd, rd, rd, rd, rd, self.host, self.port,
                   self.www, proxy))
        with open(self.conf_path, "w") as f:
            f.write(conf)
        chown_tree(rd, DAEMON_USER)
        self.process = Process("nginx", ["nginx", "-p", rd, "-e", os.path.join(rd, "error.log"),
                                         "-c", self.conf_path], rd, port=self.port, host=self.host)
        self.process.start(timeout=timeout)
        return self

    def access_log_lines(self):
        return read_text(os.path.join(self.run_dir, "access.log")).splitlines()


# ---------------------------------------------------------------------------
# The gateway
# ---------------------------------------------------------------------------

def repo_root():
    d = os.path.dirname(os.path.abspath(__file__))
    while d != "/":
        if os.path.exists(os.path.join(d, "WORKSPACE")):
            return d
        d = os.path.dirname(d)
    return None


def find_microgw():
    """The gateway binary: $MICROGW_BIN, Bazel runfiles, or bazel-bin/ in the work tree."""
    candidates = []
    if os.environ.get("MICROGW_BIN"):
        candidates.append(os.environ["MICROGW_BIN"])
    srcdir = os.environ.get("TEST_SRCDIR") or os.environ.get("RUNFILES_DIR")
    if srcdir:
        ws = os.environ.get("TEST_WORKSPACE", "microgw")
        candidates.append(os.path.join(srcdir, ws, "gateway", "microgw"))
    root = repo_root()
    if root:
        candidates.append(os.path.join(root, "gateway", "microgw"))  # runfiles tree layout
        candidates.append(os.path.join(root, "bazel-bin", "gateway", "microgw"))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError("no TOML for %r" % (v,))


def to_toml(conf, prefix=""):
    """Serialises nested dicts (tables) of scalars/lists to TOML text."""
    out = []
    scalars = [(k, v) for k, v in conf.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in conf.items() if isinstance(v, dict)]
    if prefix and (scalars or not tables):
        out.append("[%s]" % prefix)
    for k, v in scalars:
        out.append("%s = %s" % (k, toml_value(v)))
    if scalars:
        out.append("")
    for k, v in tables:
        out.append(to_toml(v, "%s.%s" % (prefix, k) if prefix else k))
    return "\n".join(out)


def deep_merge(base, override):
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def api_definition(base_path, urls, paths=None, title=None, timeout_ms=None, extra=None,
                   endpoint_extra=None):
    """An OpenAPI 3 dict with WSO2 extensions. paths: {"/x": ["get", "post"]}.

    Default paths: "/{p}" style catch-alls are not OpenAPI, so the default is a set
    of concrete templates the backend understands.
    """
    if paths is None:
        paths = {
            "/echo": ["get", "post", "put", "delete", "head", "patch"],
            "/echo/{id}": ["get", "post"],
            "/big": ["get", "head"],
            "/upload": ["post", "put"],
            "/chunked": ["get"],
            "/slow": ["get"],
            "/reset": ["get"],
            "/status/{code}": ["get"],
        }
    endpoints = {"urls": list(urls), "type": "load_balance"}
    if timeout_ms is not None:
        endpoints["advanceEndpointConfig"] = {"timeoutInMillis": timeout_ms}
    if endpoint_extra:
        endpoints.update(endpoint_extra)
    doc = {
        "openapi": "3.0.0",
        "info": {"title": title or base_path.strip("/").replace("/", "-") or "api",
                 "version": "1.0.0"},
        "x-wso2-basePath": base_path,
        "x-wso2-production-endpoints": endpoints,
        "x-wso2-disable-security": True,
        "paths": {p: {m: {"summary": "%s %s" % (m, p)} for m in methods}
                  for p, methods in paths.items()},
    }
    if extra:
        doc.update(extra)
    return doc


DEFAULT_FILTERS = "filters:\n  - name: router\n"


class Microgw(_Daemon):
    """The gateway under test with a generated config in a temp folder.

    conf: dict deep-merged over a default micro-gw.conf (free ports, 127.0.0.1).
    apis: {"name": dict-or-yaml-text}; dicts are written as JSON (valid YAML).
    filters: filters.yaml text.
    """

    name = "microgw"

    def __init__(self, apis, conf=None, filters=DEFAULT_FILTERS, binary=None, extra_args=(),
                 env=None):
        self.binary = binary or find_microgw()
        self.env = env  # full environment for the process; None = inherit
        if not self.binary:
            raise FileNotFoundError("microgw binary not found (set MICROGW_BIN or build "
                                    "//gateway:microgw)")
        self.host = LOOPBACK
        self.port = free_port()
        self.admin_port = free_port()
        self.run_dir = make_run_dir("mgw-gw-")
        self.apis_dir = os.path.join(self.run_dir, "apis")
        os.makedirs(self.apis_dir)
        self.conf_path = os.path.join(self.run_dir, "micro-gw.conf")
        self.filters_path = os.path.join(self.run_dir, "filters.yaml")
        self.extra_args = list(extra_args)
        base = {
            "listenerConfig": {"host": self.host, "httpPort": self.port, "workers": 2,
                               "headerReadTimeoutInMillis": 10000,
                               "drainTimeoutInMillis": 10000},
            "httpClients": {"connectTimeoutInMillis": 5000},
            "admin": {"enabled": True, "host": self.host, "port": self.admin_port},
            "accessLog": {"enabled": True, "path": "-"},
            "filters": {"chainFile": "filters.yaml"},
        }
        self.conf = deep_merge(base, conf or {})
        listener = self.conf["listenerConfig"]
        # The TLS listener (on when a key store is set) must not take WSO2's
        # fixed 9095: gateways of parallel tests would collide there.
        if ("keyStorePath" in listener or "certificateFile" in listener) \
                and "httpsPort" not in listener:
            listener["httpsPort"] = free_port()
        self.https_port = listener.get("httpsPort")
        self.port = self.conf["listenerConfig"]["httpPort"]
        self.admin_port = self.conf["admin"]["port"]
        self.apis = apis
        self.filters = filters
        self.process = None
        self.write_files()

    def write_files(self):
        with open(self.conf_path, "w") as f:
            f.write(self.conf_text())
        with open(self.filters_path, "w") as f:
            f.write(self.filters)
        for name, api in self.apis.items():
            text = api if isinstance(api, str) else json.dumps(api, indent=2)
            with open(os.path.join(self.apis_dir, "%s.yaml" % name), "w") as f:
                f.write(text)

    def conf_text(self):
        return "# generated by mgw_harness\n" + to_toml(self.conf)

    def argv(self):
        return [self.binary, "--conf", self.conf_path, "--apis", self.apis_dir] + self.extra_args

    def start(self, timeout=60.0):
        self.process = Process("microgw", self.argv(), self.run_dir, env=self.env, port=self.port,
                               host=self.host)
        self.process.start(timeout=timeout)
        if self.conf["admin"].get("enabled", True):
            wait_for_port(self.host, self.admin_port, timeout=timeout, process=self.process)
        return self

    def check(self, timeout=60.0):
        """Runs `microgw --check`; returns the CompletedProcess (text output)."""
        return subprocess.run([self.binary, "--check", "--conf", self.conf_path,
                               "--apis", self.apis_dir], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=scaled(timeout), universal_newlines=True,
                              errors="replace")

    def log_text(self):
        if self.process is None:
            return ""
        return self.process.stdout_text() + self.process.stderr_text()

    def request(self, method, path, body=None, headers=None, timeout=30.0, port=None):
        return http_request(self.host, port or self.port, method, path, body, headers, timeout)

    def admin(self, path, timeout=10.0):
        return http_request(self.host, self.admin_port, "GET", path, timeout=timeout)

    def metrics(self):
        status, _, body = self.admin("/metrics")
        if status != 200:
            raise RuntimeError("/metrics answered %d" % status)
        return parse_prometheus(body.decode(errors="replace"))

    def raw(self, timeout=30.0):
        return RawClient(self.host, self.port, timeout=timeout)


def parse_prometheus(text):
    """{"name{labels}": value} from Prometheus text exposition; also bare names summed."""
    samples = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        samples[m.group(1) + (m.group(2) or "")] = value
    return samples


def metric_sum(samples, name_substring, label_substring=""):
    return sum(v for k, v in samples.items()
               if name_substring in k.split("{")[0] and label_substring in k)


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------

def http_request(host, port, method, path, body=None, headers=None, timeout=30.0):
    """One request on a fresh http.client connection; returns (status, headers, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=scaled(timeout))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.headers, data
    finally:
        conn.close()


class GatewayTestCase(unittest.TestCase):
    """Tests that share one gateway (cls.gw) in front of test peers (cls.peers,
    anything with stop()). setUpClass starts the peers, sets cls.peers, then
    calls start_gateway(); a gateway that fails to start stops the peers. The
    class's end cleans both up, and each test fails if the gateway died under it.
    """

    gw = None
    peers = ()

    @classmethod
    def start_gateway(cls, gw):
        cls.gw = gw
        try:
            gw.start()
        except Exception:
            cls._stop_peers()
            raise

    @classmethod
    def _stop_peers(cls):
        for peer in cls.peers:
            peer.stop()

    @classmethod
    def tearDownClass(cls):
        if cls.gw is not None:
            cls.gw.cleanup(keep=bool(os.environ.get("MGW_KEEP_RUN_DIRS")))
        cls._stop_peers()

    def tearDown(self):
        if self.gw is not None and not self.gw.running():
            self.fail("gateway died:\n" + self.gw.process.output_tail(80))


class RawResponse:
    def __init__(self, version, status, reason, headers, body, interim=()):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self.interim = list(interim)  # 1xx responses seen before this one

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode())

    def __repr__(self):
        return "RawResponse(%s %d %s, %d bytes)" % (self.version, self.status, self.reason,
                                                     len(self.body))


class RawClient:
    """A socket-level HTTP/1.1 client: send exact bytes, read responses one by one.

    Keeps the connection open between responses (keep-alive, pipelining).
    """

    def __init__(self, host, port, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=scaled(timeout))
        self.sock.settimeout(scaled(timeout))
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def request(self, method, path, headers=None, body=b"", host="localhost"):
        hdrs = [("Host", host)]
        hdrs += list((headers or {}).items())
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hdrs):
            hdrs.append(("Content-Length", str(len(body))))
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        self.send(head.encode("latin-1") + (body or b""))

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("connection closed by peer")
        self.buf += data

    def _read_line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise ValueError("line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_head(self):
        status_line = self._read_line().decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError("bad status line %r" % status_line)
        headers = []
        while True:
            line = self._read_line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "", headers

    def read_response(self, method="GET", skip_interim=True):
        """Reads one response. 1xx responses are collected into .interim when skipped."""
        interim = []
        while True:
            version, status, reason, headers = self._read_head()
            if 100 <= status < 200 and status != 101:
                interim.append(RawResponse(version, status, reason, headers, b""))
                if skip_interim:
                    continue
                return interim[-1]
            break
        resp = RawResponse(version, status, reason, headers, b"", interim)
        if method == "HEAD" or status in (204, 304):
            return resp
        te = (resp.header("Transfer-Encoding") or "").lower()
        cl = resp.header("Content-Length")
        if "chunked" in te:
            body = []
            while True:
                size = int(self._read_line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line():
                        pass
                    break
                body.append(self._read_exact(size))
                self._read_exact(2)
            resp.body = b"".join(body)
        elif cl is not None:
            resp.body = self._read_exact(int(cl))
        else:
            # Delimited by close.
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def read_interim(self):
        """Reads exactly one 1xx response head (e.g. 100 Continue)."""
        return self.read_response(skip_interim=False)

    def closed_by_peer(self, timeout=5.0):
        """True when the peer closes (EOF/reset) within `timeout` with no more data."""
        self.sock.settimeout(scaled(timeout))
        try:
            data = self.sock.recv(1 << 16)
            if data:
                self.buf += data
                return False
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
