"""`microgw --check` over WSO2-style API definitions written for this project
(test/conf/wso2_apis: OpenAPI 3 YAML, OpenAPI 3 JSON, Swagger 2.0) that
together use every x-wso2-* extension WSO2 API Microgateway 3.2 reads: each
passes, the ignorable ones are named in one warning each, and a backend
password never reaches the output.

Run under Bazel (//test/conf:wso2_api_check_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/conf/wso2_api_check_test.py
"""

import os
import re
import shutil
import subprocess
import unittest

import mgw_harness as h

# WSO2 3.2's API extensions (../shared/wso2-3.2-keys.md) that microgw reads or
# accepts; the interceptors, etcd URLs and query-string URLs are in
# test/conf/wso2_apis_pending (wso2_api_pending_check_test.py).
EXTENSIONS = [
    "x-wso2-basePath", "x-wso2-production-endpoints", "x-wso2-sandbox-endpoints",
    "x-wso2-endpoints", "x-wso2-disable-security", "x-wso2-throttling-tier",
    "x-throttling-tier", "x-wso2-cors", "x-wso2-auth-header", "x-wso2-application-security",
    "x-wso2-mutual-ssl", "x-wso2-transports", "x-wso2-response-cache", "x-wso2-owner",
    "x-auth-type",
]
ENDPOINT_KEYS = [
    "urls", "load_balance", "failover", "type: http", "address", "securityConfig",
    "advanceEndpointConfig", "timeoutInMillis", "retryConfig", "circuitBreaker",
    "rollingWindow", "requestVolumeThreshold", "timeWindowInMillis", "bucketSizeInMillis",
    "failureThreshold", "resetTimeInMillis", "statusCodes", "backOffFactor",
    "maxWaitIntervalInMillis", "intervalInMillis", "count",
]
FILES = ["petstore_oas3.yaml", "orders_oas3.json", "inventory_swagger2.yaml"]
PASSWORDS = ["ClinicBackendPw1", "OrdersAdminPw2"]


def data_dir(name):
    candidates = []
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        candidates.append(os.path.join(srcdir, os.environ.get("TEST_WORKSPACE", "microgw"),
                                       "test", "conf", name))
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), name))
    for c in candidates:
        if os.path.isdir(c):
            return c
    raise unittest.SkipTest("%s not found" % name)


def run_check(apis_dir):
    """`microgw --check` with a minimal micro-gw.conf over `apis_dir`."""
    run_dir = h.make_run_dir("mgw-wso2-apis-")
    conf = os.path.join(run_dir, "micro-gw.conf")
    with open(conf, "w") as f:
        f.write('[listenerConfig]\n  host = "127.0.0.1"\n  httpPort = %d\n'
                '[admin]\n  port = %d\n' % (h.free_port(), h.free_port()))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run([h.find_microgw(), "--check", "--conf", conf, "--apis", apis_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          universal_newlines=True, errors="replace", timeout=60)


class Wso2ApiCheckTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.dir = data_dir("wso2_apis")
        cls.text = ""
        for name in FILES:
            with open(os.path.join(cls.dir, name)) as f:
                cls.text += f.read()

    def test_data_uses_every_extension_and_endpoint_key(self):
        for key in EXTENSIONS + ENDPOINT_KEYS:
            self.assertRegex(self.text, r'["\s]%s["\s:]' % re.escape(key) if ":" not in key
                             else re.escape(key), key)
        self.assertIn('swagger: "2.0"', self.text)
        self.assertIn('"openapi": "3.0.1"', self.text)

    def test_all_three_pass_together(self):
        out = run_check(self.dir)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("configuration OK", out.stdout)
        self.assertIn("3 APIs", out.stdout)
        for pw in PASSWORDS:
            self.assertNotIn(pw, out.stdout + out.stderr)

    def test_each_passes_alone(self):
        for name in FILES:
            with self.subTest(file=name):
                one = h.make_run_dir("mgw-wso2-one-")
                shutil.copy(os.path.join(self.dir, name), one)
                out = run_check(one)
                self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertIn("1 APIs", out.stdout)

    def test_ignored_extensions_warn_once_each(self):
        log = run_check(self.dir).stderr
        expected = {
            "petstore_oas3.yaml": ["x-wso2-owner", "x-wso2-response-cache"],
        }
        for name, keys in expected.items():
            for key in keys:
                pattern = r"%s: API '[^']+': %s is accepted and ignored: " % (
                    re.escape(name), re.escape(key))
                self.assertEqual(len(re.findall(pattern, log)), 1, (name, key, log))
        self.assertNotIn("inventory_swagger2.yaml: API 'Inventory': x-wso2-transports", log)
        # The TLS listener implements both (README, "TLS listener").
        self.assertNotIn("x-wso2-mutual-ssl is accepted", log)
        self.assertNotIn("x-wso2-transports", log)
        # Sandbox endpoints are routed (sandbox tokens), so never warned about.
        self.assertNotIn("x-wso2-sandbox-endpoints is accepted and ignored", log)


if __name__ == "__main__":
    unittest.main()
