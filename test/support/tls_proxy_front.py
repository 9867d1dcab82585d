"""haproxy as a TLS front before a plain forward proxy: an HTTPS forward proxy.

Debian's squid is built with GnuTLS and without `https_port` support for this
use; haproxy (Debian package `haproxy`, installed by tools/install.sh)
terminates TLS with a certificate from a TestCA and relays the bytes, in TCP
mode, to the proxy behind it (e.g. mgw_harness.Squid), which then sees the
CONNECT and its Proxy-Authorization as usual. Bytes between the gateway and
this front are TLS only: a client that speaks plain HTTP to it fails the
handshake.

Example:
    squid = mgw_harness.Squid(auth=True).start()
    front = TlsProxyFront(squid.port, ca).start()   # front.port speaks TLS
"""

import os
import shutil
import subprocess

import mgw_harness as h


def haproxy_available():
    return shutil.which("haproxy") is not None


class TlsProxyFront(h._Daemon):
    name = "haproxy"

    def __init__(self, backend_port, ca, port=None, sans=("IP:127.0.0.1", "DNS:localhost")):
        self.backend_port = backend_port
        self.port = port or h.free_port()
        self.host = h.LOOPBACK
        self.run_dir = h.make_run_dir("mgw-haproxy-")
        cert, key = ca.issue(cn="proxy-front", sans=sans)
        self.pem_path = os.path.join(self.run_dir, "front.pem")
        with open(self.pem_path, "w") as out:
            out.write(h.read_text(cert))
            out.write(h.read_text(key))
        self.conf_path = os.path.join(self.run_dir, "haproxy.cfg")
        self.process = None

    def _write_conf(self):
        lines = [
            "global",
            "  maxconn 512",
            "  pidfile %s/haproxy.pid" % self.run_dir,
            "defaults",
            "  mode tcp",
            "  timeout connect 5s",
            "  timeout client 60s",
            "  timeout server 60s",
            "frontend tls_in",
            "  bind %s:%d ssl crt %s" % (self.host, self.port, self.pem_path),
            "  default_backend plain_proxy",
            "backend plain_proxy",
            "  server p1 %s:%d" % (h.LOOPBACK, self.backend_port),
        ]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, timeout=30.0):
        if self.running():
            return self
        self._write_conf()
        check = subprocess.run(["haproxy", "-c", "-f", self.conf_path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        if check.returncode != 0:
            raise RuntimeError("haproxy config invalid:\n%s" % check.stdout.decode(errors="replace"))
        self.process = h.Process("haproxy", ["haproxy", "-db", "-f", self.conf_path],
                                 self.run_dir, port=self.port, host=self.host)
        self.process.start(timeout=timeout)
        return self
