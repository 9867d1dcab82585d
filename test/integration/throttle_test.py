"""Throttling through the real gateway (workers = 2): exact counts across
workers, 429 with Retry-After and WSO2's code, events at the test traffic
manager (test/support/traffic_manager.py) with WSO2's fields, blocked keys
polled by two gateways sharing one traffic manager, a traffic manager that is
down, and events through Squid exactly when enableInternalServices = true.

Run under Bazel (//test/integration:throttle_test, tags no-sandbox) or as root:
MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/throttle_test.py
"""

import concurrent.futures
import json
import os
import re
import tempfile
import time
import unittest

import mgw_harness as h
import traffic_manager as tmh

CHAIN = "filters:\n  - name: throttle\n  - name: router\n"
POLICIES = """
resourcePolicies:
  - Twenty: {count: 20, unitTime: 1, timeUnit: min}
applicationPolicies: []
subscriptionPolicies:
  - Unauthenticated: {count: 100000, unitTime: 1, timeUnit: min}
"""
N, K = 20, 12
USER, PASSWORD = "tmuser", "tm-s3cret"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.dir = tempfile.mkdtemp(prefix="mgw-throttle-")
        cls.policies = os.path.join(cls.dir, "policies.yaml")
        with open(cls.policies, "w") as f:
            f.write(POLICIES)

    @classmethod
    def tearDownClass(cls):
        cls.backend.stop()

    def api(self, tier="Twenty"):
        doc = h.api_definition("/thr/v1", [self.backend.url("/")], title="Thr",
                               paths={"/echo": ["get"], "/open": ["get"]})
        doc["x-throttling-tier"] = tier
        return doc

    def gateway(self, throttling=None, proxy=None, tier="Twenty"):
        conf = {"throttlingConfig": dict({"policiesFile": self.policies}, **(throttling or {}))}
        if proxy:
            conf["httpClients"] = {"proxy": proxy}
        gw = h.Microgw({"thr": self.api(tier)}, conf=conf, filters=CHAIN)
        self.addCleanup(gw.cleanup)
        return gw

    def tm_conf(self, tm, **extra):
        return dict({"enabledGlobalTMEventPublishing": True, "throttleEndpointUrl": tm.url,
                     "throttleEndpointbase64Header": "%s:%s" % (USER, PASSWORD),
                     "decisionPollIntervalInMillis": 100}, **extra)


class LocalLimitTest(Base):
    def test_exactly_n_of_n_plus_k_pass_across_workers(self):
        gw = self.gateway().start()

        def one(i):
            # A fresh connection each: the kernel spreads them over both workers.
            return gw.request("GET", "/thr/v1/echo?i=%d" % i)

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(one, range(N + K)))
        self.assertLess(time.monotonic() - started, 30)  # well inside the 1 min window
        ok = [r for r in results if r[0] == 200]
        refused = [r for r in results if r[0] == 429]
        self.assertEqual(len(ok), N)
        self.assertEqual(len(refused), K)
        for status, headers, body in refused:
            retry = int(headers["Retry-After"])
            self.assertTrue(1 <= retry <= 60, retry)
            doc = json.loads(body)
            self.assertEqual(doc["code"], "900800")
            self.assertEqual(doc["message"], "Message throttled out")
            self.assertEqual(doc["description"], "You have exceeded your quota")
        samples = gw.metrics()
        self.assertEqual(h.metric_sum(samples, "microgw_throttled_requests_total", 'level="api"'), K)

    def test_unknown_tier_is_a_start_up_error_naming_the_api(self):
        gw = self.gateway(tier="Platinum")
        result = gw.check()
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("API 'Thr'", result.stderr)
        self.assertIn("'Platinum'", result.stderr)

    def test_binary_publisher_and_jms_keys_warn_once(self):
        gw = self.gateway(throttling={"jmsConnectionTopic": "throttleData",
                                      "binary": {"enabled": True, "username": "admin"},
                                      "nodeLocal": {"processThreadPoolCoreSize": 200}})
        result = gw.check()
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout + result.stderr
        self.assertEqual(out.count("binary (Thrift) publisher is not supported"), 1, out)
        self.assertEqual(out.count("jmsConnection"), 1, out)
        self.assertEqual(out.count("throttlingConfig.nodeLocal"), 1, out)


class TrafficManagerTest(Base):
    def setUp(self):
        self.tm = tmh.TrafficManager(USER, PASSWORD).start()
        self.addCleanup(self.tm.stop)

    def test_events_arrive_with_wso2_fields(self):
        gw = self.gateway(throttling=self.tm_conf(self.tm)).start()
        for i in range(3):
            status, _, _ = gw.request("GET", "/thr/v1/open", headers={"X-Request-Id": "r%d" % i})
            self.assertEqual(status, 200)
        events = self.tm.wait_for_events(3)
        self.assertEqual(self.tm.rejected, [])
        self.assertEqual(self.tm.unauthorized, 0)
        self.assertEqual(sorted(e["messageID"] for e in events), ["r0", "r1", "r2"])
        e = events[0]
        self.assertEqual(e["apiKey"], "/thr/v1:1.0.0")
        self.assertEqual(e["apiTier"], "Twenty")
        self.assertEqual(e["resourceKey"], "/thr/v1:1.0.0")  # API tier: WSO2 reports the API
        self.assertEqual(e["apiContext"], "/thr/v1")
        self.assertEqual(e["apiVersion"], "1.0.0")
        self.assertEqual(e["apiName"], "Thr")
        self.assertEqual(e["appId"], "127.0.0.1")
        self.assertEqual(e["appKey"], "127.0.0.1:anonymous")
        self.assertEqual(e["subscriptionKey"], "127.0.0.1:/thr/v1:1.0.0")
        self.assertEqual(e["subscriptionTier"], "Unauthenticated")
        self.assertEqual(e["appTier"], "Unlimited")
        self.assertEqual(e["appTenant"], "carbon.super")
        self.assertEqual(json.loads(e["properties"]), {"ip": 2130706433})

    def test_many_batches_arrive_whole_and_once(self):
        # Sent bodies are filled again for later batches: each one must still
        # arrive as valid JSON with its own events, none repeated or lost.
        gw = self.gateway(throttling=self.tm_conf(self.tm, eventBatchSize=3),
                          tier="Unlimited").start()
        ids = ["m%d" % i for i in range(40)]
        for i in ids:
            self.assertEqual(gw.request("GET", "/thr/v1/open", headers={"X-Request-Id": i})[0],
                             200)
        events = self.tm.wait_for_events(len(ids))
        self.assertEqual(self.tm.rejected, [])
        self.assertEqual(sorted(e["messageID"] for e in events), sorted(ids))

    def test_generated_message_ids_are_distinct_uuids(self):
        # Without X-Request-Id the gateway makes the messageID: a version-4 UUID.
        gw = self.gateway(throttling=self.tm_conf(self.tm), tier="Unlimited").start()
        for _ in range(5):
            self.assertEqual(gw.request("GET", "/thr/v1/open")[0], 200)
        ids = [e["messageID"] for e in self.tm.wait_for_events(5)]
        uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        for i in ids:
            self.assertRegex(i, uuid4)
        self.assertEqual(len(set(ids)), len(ids))

    def test_blocked_key_refused_by_two_gateways_until_expiry(self):
        gws = [self.gateway(throttling=self.tm_conf(self.tm)).start() for _ in range(2)]
        for gw in gws:
            self.assertEqual(gw.request("GET", "/thr/v1/open")[0], 200)
        self.tm.block("/thr/v1:1.0.0", seconds=3)
        polls = self.tm.decision_polls
        self.tm.wait_for_polls(polls + 4)
        for gw in gws:
            status, headers, body = h.wait_until(
                lambda gw=gw: (lambda r: r if r[0] == 429 else None)(
                    gw.request("GET", "/thr/v1/open")), timeout=5, what="429 for the blocked key")
            self.assertEqual(json.loads(body)["code"], "900800")
            self.assertTrue(1 <= int(headers["Retry-After"]) <= 3)
        for gw in gws:  # the block expires on its own
            h.wait_until(lambda gw=gw: gw.request("GET", "/thr/v1/open")[0] == 200, timeout=10,
                         what="the block to expire")

    def test_traffic_manager_down_drops_events_never_delays(self):
        dead = h.free_port()
        conf = self.tm_conf(self.tm, throttleEndpointUrl="http://127.0.0.1:%d/endpoints" % dead,
                            eventQueueSize=5, eventBatchSize=2)
        gw = self.gateway(throttling=conf).start()
        started = time.monotonic()
        for _ in range(15):
            self.assertEqual(gw.request("GET", "/thr/v1/open")[0], 200)
        self.assertLess(time.monotonic() - started, 5)
        h.wait_until(lambda: h.metric_sum(gw.metrics(),
                                          "microgw_throttle_events_dropped_total") >= 15,
                     timeout=10, what="every event counted as dropped")

    def test_slow_traffic_manager_never_delays(self):
        self.tm.delay = 6.0  # each event POST hangs for 6 s
        conf = self.tm_conf(self.tm, eventQueueSize=5, eventBatchSize=2)
        gw = self.gateway(throttling=conf, tier="Unlimited").start()
        started = time.monotonic()
        for _ in range(80):
            self.assertEqual(gw.request("GET", "/thr/v1/open")[0], 200)
        self.assertLess(time.monotonic() - started, 5.0)  # less than one TM answer
        # At most 16 POSTs of 2 in flight, 5 taken to send and 5 queued: the rest is
        # dropped, and counted.
        h.wait_until(lambda: h.metric_sum(gw.metrics(),
                                          "microgw_throttle_events_dropped_total") >= 80 - 42,
                     timeout=10, what="events past the queue counted as dropped")


class TrafficManagerProxyTest(Base):
    """Events go through Squid exactly when enableInternalServices is true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.squid = h.Squid(auth=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        super().tearDownClass()

    def event_lines(self):
        return [e for e in self.squid.parsed_log() if e["url"].endswith("/throttleEventReceiver")]

    def run_with(self, internal):
        tm = tmh.TrafficManager(USER, PASSWORD).start()
        self.addCleanup(tm.stop)
        proxy = {"enabled": False, "enableInternalServices": internal, "host": h.LOOPBACK,
                 "port": self.squid.port, "httpMode": "forward"}
        gw = self.gateway(throttling=self.tm_conf(tm), proxy=proxy).start()
        self.assertEqual(gw.request("GET", "/thr/v1/open")[0], 200)
        tm.wait_for_events(1)
        gw.stop()

    def test_internal_services_true_events_through_squid(self):
        before = len(self.event_lines())
        self.run_with(True)
        h.wait_until(lambda: len(self.event_lines()) > before, timeout=15,
                     what="throttle events in Squid's access log")

    def test_internal_services_false_events_direct(self):
        before = len(self.event_lines())
        self.run_with(False)
        self.assertEqual(len(self.event_lines()), before)


if __name__ == "__main__":
    unittest.main()
