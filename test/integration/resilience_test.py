"""advanceEndpointConfig through the real gateway: retries, circuit breaker, timeout.

A flaky backend (test/support/flaky_backend.py) fails a chosen number of
times then succeeds, resets connections, or answers slowly. The gateway runs
with short intervals so the whole file takes a few seconds.

Run under Bazel (//test/integration:resilience_test) or directly:
MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/resilience_test.py
"""

import json
import time
import unittest

import flaky_backend
import mgw_harness as h

RETRY = {"count": 3, "intervalInMillis": 50, "backOffFactor": 2.0,
         "maxWaitIntervalInMillis": 200, "statusCodes": [503]}
BREAKER = {"rollingWindow": {"requestVolumeThreshold": 3, "timeWindowInMillis": 10000,
                             "bucketSizeInMillis": 1000},
           "failureThreshold": 0.5, "resetTimeInMillis": 1500, "statusCodes": [503]}


def api(title, base_path, urls, advance, endpoint_type=None):
    endpoints = {"urls": urls, "advanceEndpointConfig": advance}
    if endpoint_type:
        endpoints["type"] = endpoint_type
    return {
        "openapi": "3.0.0",
        "info": {"title": title, "version": "1"},
        "x-wso2-basePath": base_path,
        "x-wso2-production-endpoints": endpoints,
        "x-wso2-disable-security": True,
        "paths": {"/{a}": {"get": {}}, "/{a}/{b}": {"get": {}},
                  "/{a}/{b}/{c}": {"get": {}, "post": {}},
                  "/{a}/{b}/{c}/{d}": {"get": {}, "post": {}}},
    }


class ResilienceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.backend = flaky_backend.FlakyBackend("main").start()
        cls.spare = flaky_backend.FlakyBackend("spare").start()
        cls.dead_url = "http://127.0.0.1:%d/" % h.free_port()  # nothing listens
        b = cls.backend.url("/")
        cls.gw = h.Microgw({
            "retry": api("Retry", "/retry", [b], {"timeoutInMillis": 2000, "retryConfig": RETRY}),
            "failover": api("Failover", "/failover", [cls.spare.url("/"), b],
                            {"retryConfig": {"count": 1, "statusCodes": [503]}}, "failover"),
            "breaker": api("Breaker", "/breaker", [b], {"circuitBreaker": BREAKER}),
            "timeout": api("Timeout", "/timeout", [b], {"timeoutInMillis": 300}),
        }).start()

    @classmethod
    def tearDownClass(cls):
        for peer in ("gw", "backend", "spare"):
            if hasattr(cls, peer):
                getattr(cls, peer).stop()

    def metric(self, name, label=""):
        return h.metric_sum(self.gw.metrics(), name, label)

    def test_retries_until_the_backend_succeeds(self):
        before = self.metric("microgw_endpoint_retries_total", 'api="Retry"')
        start = time.monotonic()
        status, _, body = self.gw.request("GET", "/retry/fail/k1/2/503")
        elapsed = time.monotonic() - start
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["hit"], 3)
        self.assertEqual(self.backend.hits("k1"), 3)
        # Waits of 50 then 100 ms (interval * backOffFactor^n), on a timer.
        self.assertGreaterEqual(elapsed, 0.14)
        self.assertEqual(self.metric("microgw_endpoint_retries_total", 'api="Retry"') - before, 2)
        self.assertIn("retry 2/3", self.gw.log_text())
        # The start-up log says what applies.
        self.assertIn("API 'Retry' endpoints: timeout 2000 ms, 3 retries", self.gw.log_text())

    def test_retries_after_connection_resets(self):
        status, _, body = self.gw.request("GET", "/retry/reset/k2/2")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.backend.hits("k2"), 3)

    def test_gives_up_after_count_and_passes_the_last_answer_on(self):
        status, _, body = self.gw.request("GET", "/retry/fail/k3/10/503")
        self.assertEqual(status, 503)
        self.assertTrue(json.loads(body)["failed"])  # the backend's own answer
        self.assertEqual(self.backend.hits("k3"), 4)  # 1 + count

    def test_status_retry_replays_a_post_body(self):
        payload = b'{"order": 42}'
        status, _, body = self.gw.request("POST", "/retry/fail/k4/1/503", body=payload,
                                          headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        bodies = self.backend.bodies("k4")
        self.assertEqual(len(bodies), 2)
        self.assertEqual(bodies[0], bodies[1])
        self.assertEqual(bodies[0], h.sha256(payload))

    def test_post_is_not_retried_after_the_backend_took_it(self):
        # The backend may have acted on it: a reset is not retried for POST.
        status, _, body = self.gw.request("POST", "/retry/reset/k5/1", body=b"x")
        self.assertEqual(status, 502, body)
        self.assertEqual(self.backend.hits("k5"), 1)

    def test_retry_goes_to_the_next_endpoint_of_a_failover_list(self):
        self.spare.down = "status"
        try:
            status, _, body = self.gw.request("GET", "/failover/k6")
        finally:
            self.spare.down = None
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["backend"], "main")
        self.assertEqual(self.spare.hits("/k6"), 1)

    def test_timeout_in_millis_applies(self):
        start = time.monotonic()
        status, _, body = self.gw.request("GET", "/timeout/slow/3000")
        elapsed = time.monotonic() - start
        self.assertEqual(status, 504, body)
        self.assertIn("within 300 ms", json.loads(body)["description"])
        self.assertLess(elapsed, 2.0)

    def test_a_typo_in_advance_endpoint_config_stops_check(self):
        bad = h.Microgw({"typo": api("Typo", "/typo", [self.backend.url("/")],
                                     {"timeoutInMilis": 500})})
        try:
            result = bad.check()
        finally:
            bad.cleanup()
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("typo.yaml: unknown key 'x-wso2-production-endpoints.advanceEndpointConfig."
                      "timeoutInMilis' (did you mean 'timeoutInMillis'?)",
                      result.stderr + result.stdout)

    def test_circuit_breaker_opens_and_recovers(self):
        self.backend.down = "status"
        try:
            for _ in range(3):
                status, _, body = self.gw.request("GET", "/breaker/cb")
                self.assertEqual(status, 503)
                self.assertTrue(json.loads(body).get("failed"))  # the backend answered
            # 3 of 3 failed (> 0.5 with requestVolumeThreshold 3): open, shared by both workers.
            for _ in range(4):
                status, headers, body = self.gw.request("GET", "/breaker/cb")
                self.assertEqual(status, 503)
                reply = json.loads(body)
                self.assertNotIn("failed", reply)
                self.assertIn(self.backend.url("/"), reply["description"])
                self.assertIn("Breaker", reply["description"])
                self.assertIsNotNone(headers.get("Retry-After"))
            self.assertEqual(self.backend.hits("/cb"), 3)
            self.assertEqual(self.metric("microgw_circuit_breaker_state", 'api="Breaker"'), 1)
            self.assertEqual(self.metric("microgw_circuit_breaker_opened_total",
                                         'api="Breaker"'), 1)
            self.assertGreaterEqual(self.metric("microgw_circuit_breaker_rejected_total",
                                                'api="Breaker"'), 4)
            self.assertIn("circuit breaker of endpoint", self.gw.log_text())
            # After resetTimeInMillis one probe reaches the backend; it fails: open again.
            h.wait_until(lambda: self.gw.request("GET", "/breaker/cb")[0] == 503 and
                         self.backend.hits("/cb") == 4, timeout=10, interval=0.05,
                         what="a half-open probe")
            self.assertIn("the probe failed", self.gw.log_text())
        finally:
            self.backend.down = None
        # The backend is back: the next probe closes the circuit.
        h.wait_until(lambda: self.gw.request("GET", "/breaker/cb")[0] == 200, timeout=10,
                     interval=0.05, what="the circuit to close")
        self.assertEqual(self.metric("microgw_circuit_breaker_state", 'api="Breaker"'), 0)
        for _ in range(3):
            self.assertEqual(self.gw.request("GET", "/breaker/cb")[0], 200)
        self.assertIn("closed: the probe succeeded", self.gw.log_text())


if __name__ == "__main__":
    unittest.main()
