"""Configuration reload on SIGHUP: microgw -> Squid -> backends.

SIGHUP re-reads micro-gw.conf, the API folder and the chain file. A valid new
configuration serves new requests, requests in flight finish on the one they
started with, an invalid one is refused while the old one keeps serving, and
reloads under load lose no request.

Run under Bazel (//test/integration:reload_test, tags no-sandbox) or directly as
root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/reload_test.py
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import mgw_harness as h

PASSWORD = "Rl-pass-4d2e8b"  # distinctive, so a leak is easy to spot


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def write_atomically(path, text):
    """Replaces `path` in one rename, so a reload never reads half a file."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class ReloadTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="mgw-reloadtest-")
        cls.backend = h.TestBackend().start()
        cls.backend2 = h.TestBackend().start()
        cls.squid = h.Squid(auth=True, password=PASSWORD).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        cls.backend.stop()
        cls.backend2.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def proxy_conf(self):
        return {"httpClients": {"proxy": {"enabled": True, "host": h.LOOPBACK,
                                          "port": self.squid.port,
                                          "username": self.squid.username,
                                          "password": PASSWORD}}}

    def gateway(self, apis, conf=None):
        gw = h.Microgw(apis, conf=h.deep_merge(self.proxy_conf(), conf or {}))
        self.addCleanup(gw.cleanup)
        gw.start()
        return gw

    def write_api(self, gw, name, doc):
        write_atomically(os.path.join(gw.apis_dir, name + ".yaml"), json.dumps(doc, indent=2))

    def write_conf(self, gw, conf):
        gw.conf = conf
        write_atomically(gw.conf_path, gw.conf_text())

    def reload(self, gw, expect="configuration reloaded"):
        """Sends SIGHUP and waits for the next log line that says `expect`."""
        before = gw.log_text().count(expect)
        gw.process.send_signal(signal.SIGHUP)
        h.wait_until(lambda: gw.log_text().count(expect) > before, timeout=15,
                     what="'%s' in the gateway log" % expect)
        # The workers swap the snapshot on their own threads right after the
        # log line; a request on a fresh connection after this sees it.
        return gw.log_text()

    def reload_count(self, gw, result):
        return gw.metrics().get('microgw_config_reloads_total{result="%s"}' % result, 0)

    def get(self, gw, path, timeout=30.0):
        status, _, body = gw.request("GET", path, timeout=timeout)
        return status, body


class ReloadTest(ReloadTestBase):
    def test_new_api_is_served_after_sighup(self):
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        self.assertEqual(self.get(gw, "/b/echo")[0], 404)
        self.write_api(gw, "b", h.api_definition("/b", [self.backend2.url("/")]))
        log = self.reload(gw)
        self.assertIn("APIs added: b (/b)", log)
        status, body = self.get(gw, "/b/echo?x=1")
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(json.loads(body)["port"], self.backend2.port)
        self.assertEqual(self.get(gw, "/a/echo")[0], 200)
        self.assertEqual(self.reload_count(gw, "success"), 1)
        self.assertEqual(self.reload_count(gw, "failure"), 0)
        self.assertTrue(gw.process.running())

        os.remove(os.path.join(gw.apis_dir, "a.yaml"))
        self.write_api(gw, "b", h.api_definition("/b", [self.backend.url("/")]))
        log = self.reload(gw)
        self.assertIn("APIs removed: a (/a)", log)
        self.assertIn("APIs changed: b (/b)", log)
        self.assertEqual(self.get(gw, "/a/echo")[0], 404)
        self.assertEqual(json.loads(self.get(gw, "/b/echo")[1])["port"], self.backend.port)
        self.assertNotIn(PASSWORD, gw.log_text())

    def test_invalid_config_is_refused_and_the_old_one_serves(self):
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        good_conf = gw.conf
        bad = h.deep_merge(good_conf, {"listenerConfig": {"idleTimeoutInMilis": 5}})
        self.write_conf(gw, bad)
        check = gw.check()
        self.assertEqual(check.returncode, 2, check.stdout + check.stderr)
        startup_error = check.stderr.strip().replace("microgw: ", "", 1)
        log = self.reload(gw, expect="configuration reload refused")
        self.assertIn(startup_error, log)
        self.assertIn("still serving the previous configuration", log)
        self.assertEqual(self.get(gw, "/a/echo")[0], 200)

        # A broken API file is refused the same way.
        self.write_conf(gw, good_conf)
        write_atomically(os.path.join(gw.apis_dir, "b.yaml"), "openapi: 3.0.0\npaths: [\n")
        self.reload(gw, expect="configuration reload refused")
        self.assertEqual(self.get(gw, "/a/echo")[0], 200)
        self.assertEqual(self.reload_count(gw, "failure"), 2)
        self.assertEqual(self.reload_count(gw, "success"), 0)

        os.remove(os.path.join(gw.apis_dir, "b.yaml"))
        self.reload(gw)
        self.assertEqual(self.reload_count(gw, "success"), 1)
        self.assertTrue(gw.process.running())

    def test_in_flight_request_finishes_on_its_old_config(self):
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        result = {}

        def slow():
            result["response"] = self.get(gw, "/a/slow?ms=3000")

        client = threading.Thread(target=slow)
        client.start()
        h.wait_until(lambda: any(r["path"] == "/slow" for r in self.backend.records),
                     timeout=15, what="the slow request at the backend")
        # The new configuration drops API /a and changes the proxy settings.
        os.remove(os.path.join(gw.apis_dir, "a.yaml"))
        self.write_api(gw, "b", h.api_definition("/b", [self.backend2.url("/")]))
        conf = h.deep_merge(gw.conf, {"httpClients": {"connectTimeoutInMillis": 4000}})
        self.write_conf(gw, conf)
        log = self.reload(gw)
        self.assertIn("APIs removed: a (/a)", log)
        self.assertEqual(self.get(gw, "/a/echo")[0], 404)
        client.join(timeout=h.scaled(30))
        self.assertFalse(client.is_alive())
        status, body = result["response"]
        self.assertEqual((status, body), (200, b"slow ok\n"))

    def test_listener_change_needs_a_restart(self):
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        new_port = h.free_port()
        conf = h.deep_merge(gw.conf, {"listenerConfig": {"httpPort": new_port}})
        self.write_conf(gw, conf)
        log = self.reload(gw)
        self.assertIn("listenerConfig.httpPort changed (%d -> %d): takes effect only after a "
                      "restart" % (gw.port, new_port), log)
        self.assertEqual(self.get(gw, "/a/echo")[0], 200)
        self.assertFalse(h.port_open(h.LOOPBACK, new_port))

    def test_sighup_after_sigterm_does_not_stop_the_drain(self):
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        result = {}
        client = threading.Thread(
            target=lambda: result.setdefault("r", self.get(gw, "/a/slow?ms=1500")))
        mark = len(self.backend.records)
        client.start()
        h.wait_until(lambda: any(r["path"] == "/slow" for r in self.backend.records[mark:]),
                     timeout=15, what="the slow request at the backend")
        gw.process.send_signal(signal.SIGTERM)
        h.wait_until(lambda: "draining" in gw.log_text(), what="the drain log line")
        gw.process.send_signal(signal.SIGHUP)
        client.join(timeout=h.scaled(30))
        self.assertEqual(result["r"], (200, b"slow ok\n"))
        self.assertEqual(gw.process.wait(timeout=15), 0)
        self.assertIn("SIGHUP ignored", gw.log_text())


class ReloadUnderLoadTest(ReloadTestBase):
    """Reloads every 100 ms while wrk runs through Squid: no request lost."""

    def test_reloads_every_100ms_under_wrk_lose_no_request(self):
        wrk = shutil.which("wrk")
        if not wrk:
            self.skipTest("wrk not installed")
        gw = self.gateway({"a": h.api_definition("/a", [self.backend.url("/")])})
        stop = threading.Event()
        reloads = {"sent": 0}

        def reloader():
            n = 0
            while not stop.wait(0.1):  # 100 ms after the previous reload is done
                n += 1
                # Each reload changes something real: an API comes and goes, and
                # every fourth one changes the connect timeout, so each worker
                # gets a new connector while the old one still serves the
                # requests in flight. (A new connector loads the trust store,
                # which takes a few hundred ms on a small machine.)
                if n % 4 == 0:
                    timeout = 4000 + (n // 4) % 2
                    self.write_conf(gw, h.deep_merge(
                        gw.conf, {"httpClients": {"connectTimeoutInMillis": timeout}}))
                if n % 2:
                    self.write_api(gw, "b", h.api_definition("/b", [self.backend2.url("/")]))
                else:
                    os.remove(os.path.join(gw.apis_dir, "b.yaml"))
                # Wait for this reload's log line before touching the files
                # again: a folder that changes while the gateway reads it can
                # be refused (correctly), which this test does not exercise.
                before = gw.log_text().count("configuration reload")
                gw.process.send_signal(signal.SIGHUP)
                reloads["sent"] += 1
                h.wait_until(lambda: gw.log_text().count("configuration reload") > before,
                             timeout=15, what="reload %d" % n)

        thread = threading.Thread(target=reloader)
        thread.start()
        # wrk in rounds of 3 s until 20 reloads were sent (6 s on a quiet machine;
        # reloads are slower on a loaded one), each round checked on its own.
        total = 0
        deadline = time.monotonic() + h.scaled(120)
        try:
            while reloads["sent"] < 20 and time.monotonic() < deadline:
                out = subprocess.run([wrk, "-t2", "-c16", "-d3s", "--latency",
                                      "http://%s:%d/a/echo" % (gw.host, gw.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     universal_newlines=True, timeout=h.scaled(60)).stdout
                self.assertNotIn("Non-2xx", out)
                self.assertNotIn("Socket errors", out)
                total += int(re.search(r"(\d+) requests in", out).group(1))
        finally:
            stop.set()
            thread.join()
        self.assertGreater(total, 200)
        self.assertGreaterEqual(reloads["sent"], 20)
        self.assertEqual(self.reload_count(gw, "success"), reloads["sent"])
        self.assertEqual(self.reload_count(gw, "failure"), 0,
                         re.findall(r".*reload refused.*", gw.log_text()))
        self.assertIn("upstream connection settings changed", gw.log_text())
        metrics = gw.metrics()
        answered = h.metric_sum(metrics, "microgw_requests_total", 'api="a"')
        ok = h.metric_sum(metrics, "microgw_requests_total", 'class="2xx"')
        self.assertEqual(answered, ok)
        self.assertGreaterEqual(ok, total)
        self.assertTrue(gw.process.running())


if __name__ == "__main__":
    unittest.main()
