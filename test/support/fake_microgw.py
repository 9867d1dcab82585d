#!/usr/bin/python3
"""A crude Python stand-in for the microgw binary, for developing the harness only.

It speaks the same CLI (--conf/--apis/--check/--version) and covers routing,
forwarding (direct or through a CONNECT proxy with basic auth), JSON errors and
the admin endpoint, so the integration tests' own logic can be exercised before
the real gateway exists:  MICROGW_BIN=test/support/fake_microgw.py
It does not implement the listener limits (414/431/413/408) or pipelining
guarantees; it is never used by the Bazel test targets.
"""

import base64
import difflib
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import tomllib

HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
       "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade"}
PROXY_KEYS = ["enabled", "enable", "host", "port", "username", "password",
              "enableInternalServices", "nonProxyHosts", "httpMode", "passwordEnv",
              "passwordFile"]
COUNTERS = {"requests": 0}
LOCK = threading.Lock()


def load(conf_path, apis_dir):
    with open(conf_path, "rb") as f:
        conf = tomllib.load(f)
    proxy = conf.get("httpClients", {}).get("proxy", {})
    for k in proxy:
        if k not in PROXY_KEYS:
            near = difflib.get_close_matches(k, PROXY_KEYS, 1)
            print("%s: unknown key httpClients.proxy.%s%s" % (
                conf_path, k, (" (did you mean `%s`?)" % near[0]) if near else ""),
                file=sys.stderr)
            sys.exit(2)
    apis = []
    for name in sorted(os.listdir(apis_dir)):
        with open(os.path.join(apis_dir, name)) as f:
            apis.append(json.load(f))
    return conf, apis


def route(apis, method, path):
    best = None
    for api in apis:
        bp = api["x-wso2-basePath"].rstrip("/")
        if path == bp or path.startswith(bp + "/"):
            rest = path[len(bp):] or "/"
            for tmpl, ops in api["paths"].items():
                rx = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(tmpl)) + "$"
                if re.match(rx, rest):
                    if method.lower() in ops:
                        return api, rest, None
                    best = 405
            best = best or 404
    return None, None, best or 404


def main():
    args = sys.argv[1:]
    if "--version" in args:
        print("fake-microgw 0.0.1")
        return 0
    conf_path = args[args.index("--conf") + 1]
    apis_dir = args[args.index("--apis") + 1]
    conf, apis = load(conf_path, apis_dir)
    if "--check" in args:
        return 0
    lc = conf["listenerConfig"]
    hc = conf.get("httpClients", {})
    px = hc.get("proxy", {})
    proxy_on = px.get("enabled", px.get("enable", False))
    local = threading.local()

    def upstream(url, timeout):
        u = http.client.urlsplit(url)
        key = (u.scheme, u.hostname, u.port)
        pool = getattr(local, "pool", None)
        if pool is None:
            pool = local.pool = {}
        if key in pool:
            return pool, key, pool.pop(key), u
        via = proxy_on and u.hostname not in px.get("nonProxyHosts", [])
        host, port = (px["host"], px["port"]) if via else (u.hostname, u.port)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=hc.get("trustStorePath") or None)
            c = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
        else:
            c = http.client.HTTPConnection(host, port, timeout=timeout)
        if via:
            hdr = {}
            if px.get("username"):
                tok = base64.b64encode(("%s:%s" % (px["username"], px["password"])).encode())
                hdr["Proxy-Authorization"] = "Basic " + tok.decode()
            c.set_tunnel(u.hostname, u.port, headers=hdr)
        return pool, key, c, u

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            sys.stdout.write("access %s\n" % (a[1:],))

        def err(self, status, message, desc):
            body = json.dumps({"code": status, "message": message, "description": desc}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", ""):
                out = b""
                while True:
                    n = int(self.rfile.readline().split(b";")[0], 16)
                    if n == 0:
                        while self.rfile.readline() not in (b"\r\n", b""):
                            pass
                        return out
                    out += self.rfile.read(n)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def handle_any(self):
            with LOCK:
                COUNTERS["requests"] += 1
            path, _, query = self.path.partition("?")
            api, rest, status = route(apis, self.command, path)
            data = self.body()
            if api is None:
                return self.err(status, "Not Found" if status == 404 else "Method Not Allowed",
                                "no resource for %s %s" % (self.command, path))
            ep = api["x-wso2-production-endpoints"]
            url = ep["urls"][0]
            timeout = ep.get("advanceEndpointConfig", {}).get("timeoutInMillis", 60000) / 1000
            pool, key, c, u = upstream(url, timeout)
            target = (u.path.rstrip("/") + rest) + ("?" + query if query else "")
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP
                    and k.lower() not in [x.strip().lower() for x in
                                          self.headers.get("Connection", "").split(",")]}
            xff = self.headers.get("X-Forwarded-For")
            hdrs["X-Forwarded-For"] = (xff + ", " if xff else "") + self.client_address[0]
            hdrs["X-Forwarded-Proto"] = "http"
            hdrs["Content-Length"] = str(len(data))
            try:
                c.request(self.command, target, body=data, headers=hdrs)
                r = c.getresponse()
                rb = r.read()
            except socket.timeout:
                c.close()
                return self.err(504, "Gateway Timeout", "backend did not answer in time")
            except ssl.SSLCertVerificationError as e:
                c.close()
                return self.err(502, "Bad Gateway", "TLS certificate verification failed: %s"
                                % e.verify_message)
            except OSError as e:
                c.close()
                msg = str(e)
                if "407" in msg:
                    msg = "proxy authentication failed (407) at %s:%s" % (px["host"], px["port"])
                elif "Tunnel" in msg:
                    msg = "proxy refused CONNECT to %s:%s: %s" % (u.hostname, u.port, msg)
                return self.err(502, "Bad Gateway", msg)
            except http.client.HTTPException as e:
                c.close()
                return self.err(502, "Bad Gateway", "backend closed: %r" % e)
            pool[key] = c
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(rb)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(rb)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any

    class A(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/healthz":
                body = b"ok\n"
            else:
                body = ("# TYPE microgw_requests_total counter\nmicrogw_requests_total %d\n"
                        % COUNTERS["requests"]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer((lc["host"], lc["httpPort"]), H)
    srv.daemon_threads = False
    srv.block_on_close = True
    adm = http.server.ThreadingHTTPServer((conf["admin"]["host"], conf["admin"]["port"]), A)
    threading.Thread(target=adm.serve_forever, daemon=True).start()

    def term(*_):
        threading.Thread(target=srv.shutdown).start()
    signal.signal(signal.SIGTERM, term)
    print("fake microgw listening on %s:%d" % (lc["host"], lc["httpPort"]), flush=True)
    srv.serve_forever()
    srv.socket.close()
    srv.server_close()  # joins in-flight request threads
    return 0


if __name__ == "__main__":
    sys.exit(main())
