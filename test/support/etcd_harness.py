"""etcd 3.4 (Debian's etcd-server) for integration tests, on free loopback ports.

    with Etcd() as etcd:
        etcd.v2_put("/wso2/revoked/" + jti, "true", ttl=60)   # WSO2 API Manager's layout
        etcd.v3_put("/mgw/revoked/" + jti, "true")             # v3 JSON gateway
        etcd.client_url                                        # http://127.0.0.1:PORT

Runs as the current user (root in tests: etcd does not drop privileges and
does not refuse root). Only the standard library is used; etcdctl is not needed.
"""

import base64
import http.client
import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request

import mgw_harness as h

ETCD_BINARY = os.environ.get("MGW_ETCD", "/usr/bin/etcd")


def b64(text):
    """base64 of a str/bytes, as the v3 JSON gateway wants keys and values."""
    if isinstance(text, str):
        text = text.encode()
    return base64.b64encode(text).decode()


def unb64(text):
    return base64.b64decode(text).decode()


def prefix_end(prefix):
    """The v3 range_end that selects every key starting with `prefix`."""
    raw = bytearray(prefix.encode() if isinstance(prefix, str) else prefix)
    for i in range(len(raw) - 1, -1, -1):
        if raw[i] < 0xFF:
            raw[i] += 1
            return bytes(raw[:i + 1])
    return b"\0"


class EtcdError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body


class Etcd:
    """A single-member etcd with its own data dir; v2 API enabled (--enable-v2=true)."""

    def __init__(self, client_port=None, peer_port=None, host=h.LOOPBACK, name="mgw-test"):
        self.host = host
        self.name = name
        self.client_port = client_port or h.free_port(host)
        self.peer_port = peer_port or h.free_port(host)
        self.client_url = "http://%s:%d" % (host, self.client_port)
        self.peer_url = "http://%s:%d" % (host, self.peer_port)
        self.workdir = h.make_run_dir("mgw-etcd-")
        self.data_dir = os.path.join(self.workdir, "data")
        self.process = None
        # Set by enable_auth(): (user, password) for v2 basic auth, token for v3.
        self.v2_auth = None
        self.v3_token = None

    # -- lifecycle -----------------------------------------------------------
    def argv(self):
        return [ETCD_BINARY, "--name", self.name, "--data-dir", self.data_dir,
                "--listen-client-urls", self.client_url,
                "--advertise-client-urls", self.client_url,
                "--listen-peer-urls", self.peer_url,
                "--initial-advertise-peer-urls", self.peer_url,
                "--initial-cluster", "%s=%s" % (self.name, self.peer_url),
                "--initial-cluster-state", "new",
                "--enable-v2=true", "--logger=zap", "--log-outputs=stderr"]

    def start(self, timeout=30.0):
        """Starts etcd (again after stop(): same data dir, so keys and auth persist)."""
        env = dict(os.environ)
        # Debian's /etc/default/etcd is not read here, but ETCD_* env would be: drop it.
        for k in list(env):
            if k.startswith("ETCD_"):
                del env[k]
        self.process = h.Process("etcd", self.argv(), self.workdir, env=env, cwd=self.workdir,
                                 port=self.client_port, host=self.host)
        self.process.start(timeout=timeout)
        h.wait_until(self._healthy, timeout=timeout, what="etcd /health")
        return self

    def _healthy(self):
        try:
            status, body = self.request("GET", "/health", auth=False)
            return status == 200 and json.loads(body).get("health") == "true"
        except (OSError, ValueError):
            return False

    def stop(self):
        if self.process is not None:
            return self.process.stop()
        return None

    def running(self):
        return self.process is not None and self.process.running()

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def output_tail(self, lines=40):
        return self.process.output_tail(lines) if self.process else ""

    # -- HTTP ----------------------------------------------------------------
    def url(self, path):
        return self.client_url + path

    def request(self, method, path, body=None, headers=None, auth=True, timeout=10.0):
        """(status, body bytes). With auth=True, sends the credentials enable_auth() set."""
        headers = dict(headers or {})
        if auth and path.startswith("/v2/") and self.v2_auth:
            raw = ("%s:%s" % self.v2_auth).encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        if auth and path.startswith("/v3/") and self.v3_token:
            headers["Authorization"] = self.v3_token
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request(self.url(path), data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=h.scaled(timeout)) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _json(self, method, path, body=None, headers=None, ok=(200, 201), auth=True):
        status, data = self.request(method, path, body, headers, auth=auth)
        if status not in ok:
            raise EtcdError(status, data.decode("utf-8", "replace"))
        return json.loads(data) if data else {}

    # -- v2 (the layout WSO2 API Manager writes) -----------------------------
    def v2_put(self, key, value, ttl=None):
        """PUT /v2/keys{key} value=...&ttl=... ; returns etcd's JSON answer."""
        form = {"value": value}
        if ttl is not None:
            form["ttl"] = str(int(ttl))
        return self._json("PUT", "/v2/keys" + _slash(key), urllib.parse.urlencode(form),
                          {"Content-Type": "application/x-www-form-urlencoded"})

    def v2_get(self, key, recursive=False):
        """The v2 node JSON, or None if the key does not exist (404)."""
        q = "?recursive=true" if recursive else ""
        status, data = self.request("GET", "/v2/keys" + _slash(key) + q)
        if status == 404:
            return None
        if status != 200:
            raise EtcdError(status, data.decode("utf-8", "replace"))
        return json.loads(data)

    def v2_delete(self, key):
        return self._json("DELETE", "/v2/keys" + _slash(key))

    # -- v3 (JSON gateway, base64 keys and values) ---------------------------
    def v3_put(self, key, value, lease=None):
        body = {"key": b64(key), "value": b64(value)}
        if lease:
            body["lease"] = str(lease)
        return self._json("POST", "/v3/kv/put", body)

    def v3_grant_lease(self, ttl):
        """A lease id (str) that expires after `ttl` seconds (v3's TTL)."""
        return self._json("POST", "/v3/lease/grant", {"TTL": str(int(ttl))})["ID"]

    def v3_range(self, key, prefix=False):
        """{key: value} of the key (or, with prefix=True, all keys under it)."""
        body = {"key": b64(key)}
        if prefix:
            body["range_end"] = b64(prefix_end(key))
        answer = self._json("POST", "/v3/kv/range", body)
        return {unb64(kv["key"]): unb64(kv.get("value", "")) for kv in answer.get("kvs", [])}

    def v3_delete(self, key, prefix=False):
        body = {"key": b64(key)}
        if prefix:
            body["range_end"] = b64(prefix_end(key))
        return self._json("POST", "/v3/kv/deleterange", body)

    def v3_watch(self, key, prefix=False, timeout=10.0):
        """A V3Watch stream (see below); use it as a context manager."""
        return V3Watch(self, key, prefix, timeout)

    # -- auth ----------------------------------------------------------------
    def enable_auth(self, password="etcd-root-test-only", user="root"):
        """Creates `user` (with the root role) and turns authentication on for v3 and v2.

        Afterwards the harness sends the credentials itself (v2: basic auth, v3: the
        token from /v3/auth/authenticate); an anonymous client gets 401 (v2) or an
        error (v3). v2 and v3 auth are separate stores in etcd 3.4; both get the same
        user and password. v2's `guest` role loses its default read/write on /*.
        """
        self._json("POST", "/v3/auth/user/add", {"name": user, "password": password})
        self._json("POST", "/v3/auth/role/add", {"name": "root"}, ok=(200,))
        self._json("POST", "/v3/auth/user/grant", {"user": user, "role": "root"})
        self._json("POST", "/v3/auth/enable", {})
        self.v3_token = self._json("POST", "/v3/auth/authenticate",
                                   {"name": user, "password": password})["token"]
        self._json("PUT", "/v2/auth/users/" + user, {"user": user, "password": password})
        self._json("PUT", "/v2/auth/enable", None)
        self.v2_auth = (user, password)
        self._json("PUT", "/v2/auth/roles/guest",
                   {"role": "guest", "revoke": {"kv": {"read": ["/*"], "write": ["/*"]}}})
        return self


def _slash(key):
    return key if key.startswith("/") else "/" + key


class V3Watch:
    """A /v3/watch stream on a key or prefix (JSON gateway: one JSON object per line).

        with etcd.v3_watch("/mgw/revoked/", prefix=True) as w:
            etcd.v3_put("/mgw/revoked/x", "true")
            events = w.next_events()   # [{"type": "PUT"?, "kv": {...}}] (type absent = PUT)
    """

    def __init__(self, etcd, key, prefix=False, timeout=10.0):
        req = {"key": b64(key)}
        if prefix:
            req["range_end"] = b64(prefix_end(key))
        headers = {"Content-Type": "application/json"}
        if etcd.v3_token:
            headers["Authorization"] = etcd.v3_token
        self.conn = http.client.HTTPConnection(etcd.host, etcd.client_port,
                                               timeout=h.scaled(timeout))
        self.conn.request("POST", "/v3/watch", json.dumps({"create_request": req}), headers)
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise EtcdError(self.resp.status, self.resp.read().decode("utf-8", "replace"))
        created = self._next()
        if not created.get("created"):
            raise EtcdError(200, "watch not created: %r" % created)
        self.watch_id = created.get("watch_id", "0")

    def _next(self):
        line = self.resp.readline()
        if not line:
            raise EtcdError(200, "watch stream closed")
        answer = json.loads(line)
        if "error" in answer:
            raise EtcdError(200, answer["error"])
        return answer["result"]

    def next_events(self):
        """Blocks (up to the timeout) for the next batch of events; keys/values decoded."""
        while True:
            result = self._next()
            events = result.get("events")
            if events:
                for ev in events:
                    ev["kv"]["key"] = unb64(ev["kv"]["key"])
                    if "value" in ev["kv"]:
                        ev["kv"]["value"] = unb64(ev["kv"]["value"])
                return events

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
