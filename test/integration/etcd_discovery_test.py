"""etcd service discovery (issue 8) through the real gateway and Debian's etcd 3.4:
endpoints written etcd(<key>, <defaultUrl>) follow the key's value.

Run under Bazel (//test/integration:etcd_discovery_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \\
        /usr/bin/python3 -m unittest test/integration/etcd_discovery_test.py
"""

import json
import os
import signal
import subprocess
import time
import unittest

import etcd_harness as eh
import mgw_harness as h

ETCD_PASSWORD = "etcd-Discovery-pw-never-logged"
KEY = "petstore"


def api(key=KEY, default_url=None):
    return h.api_definition("/pets", ["etcd(%s, %s)" % (key, default_url)],
                            paths={"/echo": ["get"]}, title="Pets")


def backend_port(gw):
    """The port of the backend that answered GET /pets/echo, or the status on failure."""
    status, _, body = gw.request("GET", "/pets/echo", timeout=5.0)
    if status != 200:
        return "status %d" % status
    return json.loads(body)["port"]


def wait_backend(gw, backend, timeout):
    """Seconds until requests reach `backend`; fails after `timeout`."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        last = backend_port(gw)
        if last == backend.port:
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError("requests still reach %r, not port %d, after %.1f s\n%s" % (
        last, backend.port, timeout, gw.log_text()[-3000:]))


class EtcdDiscoveryTest(unittest.TestCase):
    def setUp(self):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        if not os.path.exists(eh.ETCD_BINARY):
            raise unittest.SkipTest("etcd not installed")
        self.etcd = eh.Etcd().start()
        self.addCleanup(self.etcd.cleanup)
        self.a, self.b, self.default = (h.TestBackend().start() for _ in range(3))
        for backend in (self.a, self.b, self.default):
            self.addCleanup(backend.stop)

    def gateway(self, conf=None, extra_args=()):
        merged = h.deep_merge({"etcdurl": self.etcd.client_url}, conf or {})
        gw = h.Microgw(apis={"pets": api(default_url=self.default.url("/"))}, conf=merged,
                       extra_args=extra_args)
        gw.start()
        self.addCleanup(gw.cleanup)
        return gw

    def test_key_change_redirects_within_a_second_and_etcd_loss_keeps_the_last_url(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        gw = self.gateway()
        wait_backend(gw, self.a, timeout=h.scaled(5.0))
        self.etcd.v3_put(KEY, self.b.url("/"))
        took = wait_backend(gw, self.b, timeout=1.0)
        print("key change -> new backend after %.3f s" % took)
        # A value that is no URL is ignored with a log line; the last URL stays.
        self.etcd.v3_put(KEY, "not a url")
        h.wait_until(lambda: "etcd key 'petstore'" in gw.log_text() and "ignored" in gw.log_text(),
                     timeout=h.scaled(5), what="the gateway logs the bad value")
        self.assertEqual(backend_port(gw), self.b.port)
        # A deleted key falls back to the default URL.
        self.etcd.v3_delete(KEY)
        wait_backend(gw, self.default, timeout=1.0)
        self.etcd.v3_put(KEY, self.a.url("/"))
        wait_backend(gw, self.a, timeout=1.0)
        # etcd goes away: the last known URL keeps serving.
        self.etcd.stop()
        h.wait_until(lambda: "service discovery: etcd" in gw.log_text()
                     and "failed" in gw.log_text(), timeout=h.scaled(10),
                     what="the gateway notices etcd is gone")
        for _ in range(5):
            self.assertEqual(backend_port(gw), self.a.port)
        # etcd back with a new value: followed again (back-off capped at 5 s).
        self.etcd.start()
        self.etcd.v3_put(KEY, self.b.url("/"))
        wait_backend(gw, self.b, timeout=h.scaled(8.0))
        self.assertIn("reachable again", gw.log_text())

    def test_start_with_etcd_down_uses_the_default_url(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        self.etcd.stop()
        gw = self.gateway()
        for _ in range(3):
            self.assertEqual(backend_port(gw), self.default.port)
        self.etcd.start()
        wait_backend(gw, self.a, timeout=h.scaled(8.0))

    def test_etcd_with_auth_through_command_line_flags(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        self.etcd.enable_auth(password=ETCD_PASSWORD)
        gw = h.Microgw(apis={"pets": api(default_url=self.default.url("/"))}, extra_args=[
            "--etcd", "etcdurl=" + self.etcd.client_url, "--etcd", "etcdusername=root",
            "--etcd", "etcdpassword=" + ETCD_PASSWORD, "--etcd", "etcdtimer=5000",
            "--etcd", "etcdbasepath=/v3"])
        gw.start()
        self.addCleanup(gw.cleanup)
        wait_backend(gw, self.a, timeout=h.scaled(5.0))
        self.etcd.v3_put(KEY, self.b.url("/"))
        wait_backend(gw, self.b, timeout=1.0)
        self.assertIn("with credentials", gw.log_text())
        self.assertNotIn(ETCD_PASSWORD, gw.log_text())
        self.assertNotIn(self.etcd.v3_token, gw.log_text())

    def test_wrong_password_is_refused_and_the_default_serves(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        self.etcd.enable_auth(password=ETCD_PASSWORD)
        gw = self.gateway({"etcdusername": "root", "etcdpassword": "wrong-" + ETCD_PASSWORD})
        h.wait_until(lambda: "authenticate failed" in gw.log_text(), timeout=h.scaled(10),
                     what="the gateway logs the refusal")
        self.assertEqual(backend_port(gw), self.default.port)
        self.assertNotIn(ETCD_PASSWORD, gw.log_text())

    def test_two_gateways_both_follow_a_key_change(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        one, two = self.gateway(), self.gateway()
        wait_backend(one, self.a, timeout=h.scaled(5.0))
        wait_backend(two, self.a, timeout=h.scaled(5.0))
        self.etcd.v3_put(KEY, self.b.url("/"))
        start = time.monotonic()
        wait_backend(one, self.b, timeout=1.0)
        wait_backend(two, self.b, timeout=max(0.05, 1.0 - (time.monotonic() - start)))

    def test_api_and_resource_endpoints_follow_their_own_keys(self):
        doc = h.api_definition("/pets", ["etcd(%s, %s)" % (KEY, self.default.url("/"))],
                               paths={"/echo": ["get"], "/echo/{id}": ["get"]}, title="Pets")
        doc["paths"]["/echo/{id}"]["get"]["x-wso2-production-endpoints"] = {
            "urls": ["etcd(orders, %s)" % self.default.url("/")]}
        self.etcd.v3_put(KEY, self.a.url("/"))
        self.etcd.v3_put("orders", self.b.url("/"))
        gw = h.Microgw(apis={"pets": doc}, conf={"etcdurl": self.etcd.client_url})
        gw.start()
        self.addCleanup(gw.cleanup)

        def port_of(path):
            status, _, body = gw.request("GET", path, timeout=5.0)
            return json.loads(body)["port"] if status == 200 else status

        h.wait_until(lambda: port_of("/pets/echo") == self.a.port
                     and port_of("/pets/echo/1") == self.b.port, timeout=h.scaled(5),
                     what="both keys followed")
        self.etcd.v3_put("orders", self.a.url("/"))  # the second key's watch works too
        h.wait_until(lambda: port_of("/pets/echo/1") == self.a.port, timeout=1.0,
                     what="the resource's key change followed")
        self.assertEqual(port_of("/pets/echo"), self.a.port)

    def test_reload_follows_a_new_key(self):
        self.etcd.v3_put(KEY, self.a.url("/"))
        self.etcd.v3_put("orders", self.b.url("/"))
        gw = self.gateway()
        wait_backend(gw, self.a, timeout=h.scaled(5.0))
        gw.apis = {"pets": api(key="orders", default_url=self.default.url("/"))}
        gw.write_files()
        gw.process.send_signal(signal.SIGHUP)
        h.wait_until(lambda: "configuration reloaded" in gw.log_text(), timeout=h.scaled(10),
                     what="the reload")
        wait_backend(gw, self.b, timeout=h.scaled(5.0))
        self.assertIn("service discovery follows them anew", gw.log_text())
        self.etcd.v3_put("orders", self.a.url("/"))
        wait_backend(gw, self.a, timeout=1.0)

    def test_etcd_traffic_through_squid_only_with_internal_services(self):
        squid = h.Squid().start()
        self.addCleanup(squid.cleanup)
        proxy = {"enabled": False, "enableInternalServices": True, "host": squid.host,
                 "port": squid.port, "username": squid.username, "password": squid.password,
                 "httpMode": "forward"}
        self.etcd.v3_put(KEY, self.a.url("/"))
        gw = self.gateway({"httpClients": {"proxy": proxy}})
        wait_backend(gw, self.a, timeout=h.scaled(5.0))
        squid.wait_for_log(lambda e: "/v3/kv/range" in e["url"]
                           and str(self.etcd.client_port) in e["url"],
                           what="etcd range in squid's log")
        self.etcd.v3_put(KEY, self.b.url("/"))
        wait_backend(gw, self.b, timeout=1.0)  # the watch streams through squid too
        self.assertNotIn(squid.password, gw.log_text())
        gw.stop()
        squid.wait_for_log(lambda e: "/v3/watch" in e["url"], what="the ended watch in squid's log")

        before = len(squid.access_log_lines())
        proxy["enableInternalServices"] = False
        gw2 = self.gateway({"httpClients": {"proxy": proxy}})
        wait_backend(gw2, self.b, timeout=h.scaled(5.0))
        gw2.stop()  # squid writes a line when a request ends: the watch too
        self.assertEqual(len(squid.access_log_lines()), before)

    def test_check_names_the_api_and_the_key_of_a_bad_form(self):
        gw = h.Microgw(apis={"pets": h.api_definition(
            "/pets", ["etcd(petstore, ftp://10.0.0.1/)"], paths={"/echo": ["get"]},
            title="Pets")})
        self.addCleanup(gw.cleanup)
        out = gw.check()
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("API 'Pets'", out.stderr)
        self.assertIn("etcd key 'petstore'", out.stderr)
        self.assertIn("unsupported scheme 'ftp'", out.stderr)

        ok = h.Microgw(apis={"pets": api(default_url=self.default.url("/"))})
        self.addCleanup(ok.cleanup)
        bad_flag = subprocess.run(
            [ok.binary, "--check", "--conf", ok.conf_path, "--apis", ok.apis_dir,
             "--etcd", "etcdurll=" + self.etcd.client_url], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=h.scaled(30))
        self.assertEqual(bad_flag.returncode, 2, bad_flag.stdout + bad_flag.stderr)
        self.assertIn("did you mean 'etcdurl'", bad_flag.stderr)


if __name__ == "__main__":
    unittest.main()
