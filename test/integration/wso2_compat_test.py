"""A WSO2 API Microgateway 3.2 user's micro-gw.conf, brought over unchanged.

- `microgw --check` over test/data/wso2/micro-gw.conf (every WSO2 3.2 section and key at
  WSO2's defaults, ${mgw-runtime.home} paths, PKCS#12 stores made here with `openssl
  pkcs12`) and older-forms.conf: accepted, with warnings and no unknown key;
- a store that does not load and an undefined ${mgw-runtime.home} fail --check;
- a short WSO2-style conf ([keyManager], [[jwtTokenConfig]] with WSO2's certificateAlias,
  [analytics] disabled, [b7a.users], [http2], [throttlingConfig]) serves a secured API
  through an https backend trusted through the PKCS#12 trust store;
- listenerConfig.maxPipelinedRequests closes a connection after that many pipelined requests.

Run under Bazel (//test/integration:wso2_compat_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/wso2_compat_test.py
"""

import base64
import json
import os
import shutil
import subprocess
import time
import unittest

import mgw_harness as h

PASSWORD = "ballerina"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def data_file(name):
    """test/data/wso2/<name> from Bazel's runfiles or the work tree."""
    candidates = []
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        candidates.append(os.path.join(srcdir, os.environ.get("TEST_WORKSPACE", "microgw"),
                                       "test", "data", "wso2", name))
    candidates.append(os.path.join(os.path.dirname(__file__), "..", "data", "wso2", name))
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise AssertionError("test/data/wso2/%s not found" % name)


def openssl(*args, cwd=None):
    subprocess.run(["openssl"] + list(args), check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Wso2Runtime:
    """A WSO2-like runtime home: runtime/bre/security/ballerina{Keystore,Truststore}.p12.

    The trust store holds, under WSO2's aliases, the key manager's token signing
    certificate (wso2apim310), the API key issuer's (ballerina) and the test CA that
    issued the https backend's certificate (testca).
    """

    def __init__(self, ca):
        self.home = h.make_run_dir("mgw-wso2-home-")
        self.security = os.path.join(self.home, "runtime", "bre", "security")
        os.makedirs(self.security)
        d = self.security
        for name in ("wso2apim310", "ballerina"):
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".crt",
                    cwd=d)
        self.token_key = os.path.join(d, "wso2apim310.key")
        openssl("pkcs12", "-export", "-inkey", "ballerina.key", "-in", "ballerina.crt",
                "-name", "ballerina", "-out", "ballerinaKeystore.p12", "-passout",
                "pass:" + PASSWORD, cwd=d)
        with open(os.path.join(d, "bundle.pem"), "w") as out:
            for path in (os.path.join(d, "wso2apim310.crt"), os.path.join(d, "ballerina.crt"),
                         ca.cert_path):
                out.write(h.read_text(path))
        openssl("pkcs12", "-export", "-nokeys", "-in", "bundle.pem", "-caname", "wso2apim310",
                "-caname", "ballerina", "-caname", "testca", "-out", "ballerinaTruststore.p12",
                "-passout", "pass:" + PASSWORD, cwd=d)

    def token(self, claims):
        """An RS256 JWT signed with the wso2apim310 key (openssl dgst)."""
        signing_input = "%s.%s" % (b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()),
                                   b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.token_key],
                             input=signing_input.encode(), stdout=subprocess.PIPE,
                             check=True).stdout
        return signing_input + "." + b64url(sig)


def sample_api(backend_url, secured=True):
    return """openapi: 3.0.0
info: {title: Petstore, version: 1.0.0}
x-wso2-basePath: /petstore/v1
x-wso2-production-endpoints:
  urls: [%s]
x-wso2-disable-security: %s
paths:
  /pets:
    get: {summary: List pets}
""" % (backend_url, "false" if secured else "true")


SHORT_CONF = """\
[listenerConfig]
  host = "127.0.0.1"
  httpPort = %(port)d
  httpsPort = %(https_port)d
  keyStorePath = "${mgw-runtime.home}/runtime/bre/security/ballerinaKeystore.p12"
  keyStorePassword = "ballerina"
  trustStorePath = "${mgw-runtime.home}/runtime/bre/security/ballerinaTruststore.p12"
  trustStorePassword = "ballerina"
  maxPipelinedRequests = 2

[admin]
  host = "127.0.0.1"
  port = %(admin_port)d

[keyManager]
  serverUrl = "https://localhost:9443"
  tokenContext = "oauth2"

[keymanager.security.basic]
  enabled = true
  username = "admin"
  password = "admin"

[[jwtTokenConfig]]
  issuer = "https://localhost:9443/oauth2/token"
  certificateAlias = "wso2apim310"
  validateSubscription = false
  consumerKeyClaim = "aud"

[analytics]
  [analytics.fileUpload]
    enable = false

[b7a.users]
  [b7a.users.admin]
    password = "d033e22ae348aeb5660fc2140aec35850c4da997"

[http2]
  enable = true

[httpClients]
  [httpClients.sslConfig]
    trustStorePath = "${mgw-runtime.home}/runtime/bre/security/ballerinaTruststore.p12"
    trustStorePassword = "ballerina"

[throttlingConfig]
  enabledGlobalTMEventPublishing = false
"""


def clean_env():
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


class Wso2ConfTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.ca = h.TestCA()
        cls.runtime = Wso2Runtime(cls.ca)
        cls.backend = h.TestBackend(ca=cls.ca).start()
        cls.addClassCleanup(cls.backend.stop)

    def folder(self, conf_text, secured=True):
        run_dir = h.make_run_dir("mgw-wso2-")
        with open(os.path.join(run_dir, "micro-gw.conf"), "w") as f:
            f.write(conf_text)
        os.makedirs(os.path.join(run_dir, "apis"))
        with open(os.path.join(run_dir, "apis", "petstore.yaml"), "w") as f:
            f.write(sample_api(self.backend.url("/"), secured))
        return run_dir

    def check(self, run_dir, runtime_home=True):
        argv = [h.find_microgw(), "--check", "--conf", "micro-gw.conf", "--apis", "apis"]
        if runtime_home:
            argv += ["--runtime-home", self.runtime.home]
        return subprocess.run(argv, cwd=run_dir, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)

    def test_full_wso2_conf_at_defaults_passes_check(self):
        run_dir = self.folder(h.read_text(data_file("micro-gw.conf")))
        out = self.check(run_dir)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("configuration OK", out.stdout)
        self.assertNotIn("unknown", out.stderr)
        # Accepted-and-ignored sections warn once each and say what to use instead.
        self.assertNotIn("'http2.enable'", out.stderr)  # implemented (HTTP/2 downstream)
        self.assertNotIn("'httpClients.enableHttp2'", out.stderr)  # implemented (upstream)
        self.assertIn("'listenerConfig.tokenListenerPort' is a WSO2 API Microgateway 3.2 setting "
                      "microgw does not implement; ignored: there is no token endpoint",
                      out.stderr)
        self.assertIn("'mutualSSLConfig.", out.stderr)
        self.assertEqual(out.stderr.count("'listenerConfig.tokenListenerPort'"), 1, out.stderr)
        # The TLS listener's keys are implemented; WSO2's TLSv1.1 is dropped with a warning.
        self.assertNotIn("'listenerConfig.httpsPort'", out.stderr)
        self.assertIn("'mutualSSLConfig.protocolVersions': TLSv1.1 not offered", out.stderr)
        # Disabled sections are silent.
        for quiet in ("analytics.fileUpload", "b7a.observability", "jwtGeneratorConfig",
                      "keymanager.security.oauth2", "tokenRevocationConfig.realtime",
                      "apim.eventHub"):
            self.assertNotIn("'%s." % quiet, out.stderr)

    def test_older_wso2_forms_pass_check(self):
        run_dir = self.folder(h.read_text(data_file("older-forms.conf")), secured=False)
        out = self.check(run_dir)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertNotIn("unknown", out.stderr)

    def test_a_store_that_does_not_load_fails_check(self):
        conf = h.read_text(data_file("micro-gw.conf")).replace(
            'trustStorePassword = "ballerina"', 'trustStorePassword = "Not-The-Pa55"', 1)
        out = self.check(self.folder(conf))
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("'listenerConfig.trustStorePath': ", out.stderr)
        self.assertIn("does not open with the configured password", out.stderr)
        self.assertNotIn("Not-The-Pa55", out.stderr)

    def test_undefined_runtime_home_fails_check_naming_it(self):
        out = self.check(self.folder(h.read_text(data_file("micro-gw.conf"))), runtime_home=False)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("'listenerConfig.keyStorePath' uses ${mgw-runtime.home}, which is not "
                      "defined: start microgw with --runtime-home", out.stderr)

    def start_short(self):
        port, admin_port, https_port = h.free_port(), h.free_port(), h.free_port()
        run_dir = self.folder(SHORT_CONF % {"port": port, "admin_port": admin_port,
                                            "https_port": https_port})
        gw = h.Process("microgw", [h.find_microgw(), "--conf", "micro-gw.conf", "--apis", "apis",
                                   "--runtime-home", self.runtime.home],
                       run_dir, env=clean_env(), cwd=run_dir, port=port)
        self.addCleanup(gw.stop)
        gw.start(timeout=60)
        return gw, port

    def test_short_wso2_conf_serves_a_secured_api_over_an_https_backend(self):
        gw, port = self.start_short()
        now = int(time.time())
        token = self.runtime.token({"iss": "https://localhost:9443/oauth2/token",
                                    "sub": "admin", "aud": "client-1", "iat": now,
                                    "exp": now + 300})
        status, _, body = h.http_request(h.LOOPBACK, port, "GET", "/petstore/v1/pets",
                                         headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 200, body[:300])
        seen = json.loads(body.decode())
        self.assertEqual(seen["path"], "/pets")
        self.assertTrue(seen["tls"], seen)  # trusted through the PKCS#12 trust store
        self.assertNotIn("authorization", seen["headers_lower"])
        status, _, _ = h.http_request(h.LOOPBACK, port, "GET", "/petstore/v1/pets")
        self.assertEqual(status, 401)
        log = gw.stderr_text() + gw.stdout_text()
        self.assertNotIn("'http2.enable'", log)  # implemented: no warning
        self.assertIn("[b7a.users] (here 'b7a.users.admin.password') are WSO2 API Microgateway "
                      "3.2 settings microgw does not implement", log)
        self.assertNotIn("unknown", log)

    def test_max_pipelined_requests_closes_after_that_many(self):
        _, port = self.start_short()
        client = h.RawClient(h.LOOPBACK, port)
        request = "GET /petstore/v1/nope HTTP/1.1\r\nHost: x\r\n\r\n"
        client.send(request * 5)  # one in flight, four waiting: more than 2
        statuses = []
        connection = []
        for _ in range(3):
            resp = client.read_response()
            statuses.append(resp.status)
            connection.append(resp.header("Connection"))
        # 1 + 2 pipelined are answered; the third response closes the connection.
        self.assertEqual(connection, [None, None, "close"], statuses)
        client.sock.settimeout(h.scaled(10))
        self.assertEqual(client.sock.recv(1024), b"")


if __name__ == "__main__":
    unittest.main()
