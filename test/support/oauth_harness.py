"""The OAuth 2.0 key manager for integration tests: oidc-provider on a free loopback port.

Starts test/support/oauth_server/server.js (see its README.md) with Node.js and
talks to it with the standard library only:

    with OAuthServer() as km:
        jwt = km.get_jwt("read write")            # RS256 JWT, aud = km.resource
        opaque = km.get_opaque("read")            # opaque, introspectable
        km.introspect(opaque)["active"]           # True
        km.revoke(opaque); km.rotate_keys()
        km.sign(payload={"exp": 1})               # a crafted token, signed by the current key
"""

import base64
import json
import os
import shutil
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import mgw_harness as h

_HERE = os.path.dirname(os.path.abspath(__file__))


def _find_server_dir():
    """The oauth_server folder with its node_modules.

    Bazel's runfiles carry server.js but not node_modules, so the folder is found
    through the symlinks back into the source tree, where tools/install.sh put it.
    """
    candidates = [
        os.environ.get("MGW_OAUTH_SERVER_DIR", ""),
        os.path.dirname(os.path.realpath(os.path.join(_HERE, "oauth_server", "server.js"))),
        os.path.join(os.path.dirname(os.path.realpath(__file__)), "oauth_server"),
    ]
    for c in candidates:
        if c and os.path.isdir(os.path.join(c, "node_modules", "oidc-provider")):
            return c
    raise RuntimeError("oidc-provider is not installed (looked in %s): run tools/install.sh"
                       % ", ".join(c for c in candidates if c))


def _b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def decode_jwt(token):
    """(header, payload) of a compact JWS, without verifying anything."""
    parts = token.split(".")
    return _b64url_json(parts[0]), _b64url_json(parts[1])


class OAuthError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body))
        self.status = status
        self.body = body


# Test-only credentials, also in oauth_server/server.js DEFAULT_CONFIG.
APP_CLIENT = ("mgw-app", "mgw-app-secret-test-only")           # gets tokens: read write admin
GATEWAY_CLIENT = ("mgw-gateway", "mgw-gateway-secret-test-only")  # introspects / revokes: read
RESOURCE = "http://api.microgw.test/"       # JWT audience of get_jwt() by default
OTHER_RESOURCE = "http://other.microgw.test/"  # a second audience (wrong-audience tests)


class OAuthServer:
    """oidc-provider as the key manager. `config` overrides server.js's DEFAULT_CONFIG keys
    (clients, resources {url: {scope, ttl, audience}}, opaque_ttl, keep_old_keys)."""

    def __init__(self, port=None, config=None, host=h.LOOPBACK):
        self.host = host
        self.port = port or h.free_port(host)
        self.issuer = "http://%s:%d" % (host, self.port)
        self.server_dir = _find_server_dir()
        self.workdir = h.make_run_dir("mgw-oauth-")
        self.state_dir = os.path.join(self.workdir, "state")
        os.makedirs(self.state_dir, exist_ok=True)
        self.config_path = os.path.join(self.workdir, "config.json")
        with open(self.config_path, "w") as f:
            json.dump(config or {}, f, indent=2)
        self.client_id, self.client_secret = APP_CLIENT
        self.gateway_client_id, self.gateway_client_secret = GATEWAY_CLIENT
        self.resource = RESOURCE
        self.other_resource = OTHER_RESOURCE
        self.process = None

    # -- endpoints -----------------------------------------------------------
    def url(self, path):
        return self.issuer + path

    @property
    def jwks_url(self):
        return self.url("/jwks")

    @property
    def token_url(self):
        return self.url("/token")

    @property
    def introspection_url(self):
        return self.url("/token/introspection")

    @property
    def revocation_url(self):
        return self.url("/token/revocation")

    @property
    def discovery_url(self):
        return self.url("/.well-known/openid-configuration")

    # -- lifecycle -----------------------------------------------------------
    def start(self, timeout=30.0, attempts=2):
        """Starts (or restarts after stop(); keys persist in the state dir, tokens do not).

        A start that does not listen within `timeout` is diagnosed (Node's own report of
        its JavaScript stack, and the kernel's view of each thread, go to stderr), killed
        and tried again, up to `attempts` times. CI once saw Node print its start-up
        warning and then never listen; the diagnosis says where it waited next time.
        """
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(timeout)
                return self
            except TimeoutError as e:
                sys.stderr.write("oauth_server: start %d of %d failed: %s\n%s\n"
                                 % (attempt, attempts, e, self._diagnose()))
                self.process.stop(timeout=2)
                if attempt == attempts:
                    raise
        return self

    def _start_once(self, timeout):
        node = shutil.which("node") or "/usr/bin/node"
        argv = [node, "--report-on-signal", "--report-signal=SIGUSR2",
                "--report-directory=" + self.workdir,
                os.path.join(self.server_dir, "server.js"), "--port", self.port,
                "--host", self.host, "--issuer", self.issuer, "--config", self.config_path,
                "--state", self.state_dir]
        self.process = h.Process("oauth_server", argv, self.workdir, cwd=self.server_dir,
                                 port=self.port, host=self.host)
        self.process.start(timeout=timeout)
        h.wait_until(self._ready, timeout=timeout, what="oauth_server discovery document")

    def _diagnose(self):
        """Where a Node process that does not answer is: kernel wait channels, JS stack."""
        lines = []
        if not self.process.running():
            return "(process exited with %s)" % self.process.returncode()
        pid = self.process.pid
        task_dir = "/proc/%d/task" % pid
        for tid in sorted(os.listdir(task_dir)) if os.path.isdir(task_dir) else []:
            try:
                with open(os.path.join(task_dir, tid, "stat")) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                with open(os.path.join(task_dir, tid, "wchan")) as f:
                    wchan = f.read().strip()
                with open(os.path.join(task_dir, tid, "comm")) as f:
                    comm = f.read().strip()
                lines.append("thread %s (%s): state %s, waiting in %s" % (tid, comm, state, wchan))
            except OSError:
                continue
        before = set(os.listdir(self.workdir))
        self.process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            reports = [n for n in set(os.listdir(self.workdir)) - before if n.startswith("report.")]
            if reports:
                time.sleep(0.2)  # written in one go, but let it finish
                try:
                    with open(os.path.join(self.workdir, reports[0])) as f:
                        report = json.load(f)
                    stack = report.get("javaScriptStack", {}).get("stack", [])
                    lines.append("JavaScript stack: " + " | ".join(stack[:12]))
                except (OSError, ValueError) as e:
                    lines.append("node report unreadable: %s" % e)
                break
            time.sleep(0.1)
        else:
            lines.append("no node report within 3 s (the main thread is not running JavaScript)")
        return "\n".join(lines)

    def _ready(self):
        try:
            return self.get_json("/.well-known/openid-configuration")["issuer"] == self.issuer
        except (OSError, OAuthError, ValueError):
            return False

    def stop(self):
        if self.process is not None:
            self.process.stop()

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
    def _request(self, path, form=None, data=None, auth=None, method=None):
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        if auth is not None:
            raw = ("%s:%s" % (urllib.parse.quote(auth[0], safe=""),
                              urllib.parse.quote(auth[1], safe=""))).encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        req = urllib.request.Request(self.url(path), data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=h.scaled(10)) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get_json(self, path):
        status, body = self._request(path)
        if status != 200:
            raise OAuthError(status, body)
        return json.loads(body)

    def _post(self, path, expect=200, **kwargs):
        status, body = self._request(path, **kwargs)
        if status != expect:
            raise OAuthError(status, body.decode("utf-8", "replace"))
        return json.loads(body) if body else {}

    # -- tokens --------------------------------------------------------------
    def jwks(self):
        return self.get_json("/jwks")

    def token_response(self, scope=None, resource=None, client=None):
        """The raw token endpoint response (client_credentials, client_secret_basic)."""
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        if resource:
            form["resource"] = resource
        return self._post("/token", form=form, auth=client or (self.client_id, self.client_secret))

    def get_jwt(self, scope="read", resource=None, client=None):
        """An RS256 JWT access token whose `aud` is `resource` (default: self.resource)."""
        return self.token_response(scope, resource or self.resource, client)["access_token"]

    def get_opaque(self, scope="read", client=None):
        """An opaque access token (no resource indicator), checked by introspection."""
        return self.token_response(scope, None, client)["access_token"]

    def introspect(self, token, client=None):
        """RFC 7662 introspection as the gateway's client: the JSON response.
        Raises OAuthError (400 unsupported_token_type) for a JWT."""
        return self._post("/token/introspection", form={"token": token},
                          auth=client or (self.gateway_client_id, self.gateway_client_secret))

    def revoke(self, token, client=None):
        """RFC 7009 revocation of an opaque token (JWTs cannot be revoked here: use etcd)."""
        self._post("/token/revocation", form={"token": token},
                   auth=client or (self.gateway_client_id, self.gateway_client_secret))

    # -- admin (test-only extensions of server.js) ---------------------------
    def keys(self):
        """{current_kid, kids (published in /jwks), public_pem (of the current key)}."""
        return self.get_json("/admin/keys")

    def rotate_keys(self, keep_old=True):
        """New signing key with a new kid; the old one stays in /jwks only if keep_old."""
        return self._post("/admin/rotate", data={"keep_old": bool(keep_old)})

    def sign(self, payload=None, header=None, kid=None):
        """A JWT signed RS256 by a provider key (default: current). Unset members get valid
        defaults (iss, iat, exp = now + 600, jti, client_id, sub); a member set to None is
        left out. Give `aud` yourself, e.g. payload={"aud": km.resource, "scope": "read"}."""
        body = {"payload": payload or {}, "header": header or {}}
        if kid:
            body["kid"] = kid
        return self._post("/admin/sign", data=body)["token"]

    def set_outage(self, paths):
        """Makes the given paths answer with a status, e.g. {"/jwks": 503}; {} clears."""
        return self._post("/admin/outage", data={"paths": paths})

    def stats(self):
        """Requests seen per path (admin paths excluded), e.g. {"/jwks": 2}."""
        return self.get_json("/admin/stats")["counts"]
