"""API definitions as WSO2 users write them (issue 10), through the real gateway:
an OpenAPI 3 JSON file whose base path and backend come from `servers`, a
Swagger 2.0 file (basePath, host, schemes), and an API whose endpoints are
`#/x-wso2-endpoints/<name>` references with backend basic auth
(securityConfig). The test backend echoes what it received, so each test
checks the path and the Authorization header the backend got.

Run under Bazel (//test/integration:api_formats_test, tags no-sandbox) or directly as
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/api_formats_test.py
"""

import base64
import json
import os
import unittest

import mgw_harness as h

ORDERS_PW = "Ord3rs-backend-pw"
ADMIN_PW = "Adm1n-backend-pw"


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def orders_json(backend_port):
    return json.dumps({
        "openapi": "3.0.1",
        "info": {"title": "Orders JSON", "version": "v1"},
        "servers": [{"url": "http://127.0.0.1:{port}/orders/{version}",
                     "variables": {"port": {"default": str(backend_port)},
                                   "version": {"default": "v1"}}}],
        "x-wso2-disable-security": True,
        "paths": {"/items/{id}": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }, indent=2)


def inventory_swagger(backend_port):
    return """swagger: "2.0"
info: {title: Inventory Swagger, version: 1.0.0}
host: 127.0.0.1:%d
basePath: /inventory/v2
schemes: [http]
x-wso2-disable-security: true
paths:
  /stock:
    get:
      responses: {"200": {description: ok}}
""" % backend_port


def referenced_api(backend_port):
    return """openapi: 3.0.0
info: {title: Referenced, version: 1.0.0}
x-wso2-basePath: /ref
x-wso2-disable-security: true
x-wso2-production-endpoints: "#/x-wso2-endpoints/main"
x-wso2-sandbox-endpoints: "#/x-wso2-endpoints/main"
x-wso2-endpoints:
  - main:
      urls: ["http://127.0.0.1:%(port)d/backend"]
      type: http
      securityConfig: {type: basic, username: orders-gw, password: "%(orders)s"}
  - admin:
      urls: ["http://127.0.0.1:%(port)d/admin"]
      securityConfig: {type: basic, username: admin-gw, passwordEnv: ADMIN_BACKEND_PW}
paths:
  /orders:
    get: {}
  /admin/tasks:
    post:
      x-wso2-production-endpoints: "#/x-wso2-endpoints/admin"
  /open:
    get:
      x-wso2-production-endpoints: {urls: ["http://127.0.0.1:%(port)d/plain"]}
""" % {"port": backend_port, "orders": ORDERS_PW}


class ApiFormatsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = h.TestBackend().start()
        cls.addClassCleanup(cls.backend.stop)
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["ADMIN_BACKEND_PW"] = ADMIN_PW
        cls.gw = h.Microgw(apis={}, env=env)
        files = {
            "orders.json": orders_json(cls.backend.port),
            "inventory.yaml": inventory_swagger(cls.backend.port),
            "referenced.yml": referenced_api(cls.backend.port),
        }
        for name, text in files.items():
            with open(os.path.join(cls.gw.apis_dir, name), "w") as f:
                f.write(text)
        cls.gw.start()
        cls.addClassCleanup(cls.gw.cleanup)

    def seen(self, method, path, headers=None, body=None):
        status, _, data = self.gw.request(method, path, body=body, headers=headers)
        self.assertEqual(status, 200, data[:300])
        return json.loads(data.decode())

    def test_json_api_base_path_and_backend_from_servers(self):
        seen = self.seen("GET", "/orders/v1/items/42?x=1")
        self.assertEqual(seen["path"], "/orders/v1/items/42")
        self.assertEqual(seen["query"], "x=1")
        self.assertNotIn("authorization", seen["headers_lower"])

    def test_swagger2_base_path_and_backend_from_host(self):
        seen = self.seen("GET", "/inventory/v2/stock")
        self.assertEqual(seen["path"], "/inventory/v2/stock")

    def test_reference_with_basic_auth_replaces_the_client_credential(self):
        seen = self.seen("GET", "/ref/orders", headers={"Authorization": "Bearer client-token"})
        self.assertEqual(seen["path"], "/backend/orders")
        self.assertEqual(seen["headers_lower"]["authorization"], basic("orders-gw", ORDERS_PW))

    def test_resource_reference_uses_its_own_credential(self):
        seen = self.seen("POST", "/ref/admin/tasks", body=b"{}",
                         headers={"Content-Type": "application/json"})
        self.assertEqual(seen["path"], "/admin/admin/tasks")
        self.assertEqual(seen["headers_lower"]["authorization"], basic("admin-gw", ADMIN_PW))

    def test_resource_endpoint_without_security_config_sends_no_credential(self):
        seen = self.seen("GET", "/ref/open", headers={"Authorization": "Bearer client-token"})
        self.assertEqual(seen["path"], "/plain/open")
        self.assertEqual(seen["headers_lower"]["authorization"], "Bearer client-token")

    def test_start_up_log_never_holds_a_password(self):
        h.wait_until(lambda: "API 'Referenced' (" in self.gw.log_text(), timeout=10,
                     what="the Referenced API's start-up line in the log")
        log = self.gw.log_text()
        # Sandbox endpoints are routed (sandbox tokens): no "ignored" warning.
        self.assertNotIn("x-wso2-sandbox-endpoints is accepted and ignored", log)
        for secret in (ORDERS_PW, ADMIN_PW, basic("orders-gw", ORDERS_PW).split()[1]):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
