"""analytics integration tests: the real gateway writes WSO2 usage events,
rotates and zips them and uploads the zips to a test analytics server
(test/support/analytics_server.py), which checks the multipart upload, Basic
credentials and the zip, and keeps what it received.

Run under Bazel (//test/integration:analytics_test, tags no-sandbox) or as
root: MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
    /usr/bin/python3 -m unittest test/integration/analytics_test.py
"""

import json
import os
import shutil
import unittest

import analytics_server as an
import mgw_harness as h

CHAIN = "filters:\n  - name: analytics\n  - name: request_id\n  - name: router\n"
PASSWORD = "An4lytics-s3cret"


def require_binary():
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def parse_line(line):
    """(stream id, timestamp, metadata dict, payload fields) of one event line."""
    parts = line.split("-ES-")
    assert len(parts) == 5, line
    keys = [p.split("-KS-", 1)[0] for p in parts]
    assert keys == ["streamId", "timestamp", "metadata", "correlationData", "payLoadData"], keys
    values = [p.split("-KS-", 1)[1] for p in parts]
    assert values[3] == "null", line
    return values[0], int(values[1]), json.loads(values[2]), values[4].split("-OS-")


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.backend = h.TestBackend().start()
        cls.server = an.AnalyticsServer(username="mgw", password=PASSWORD).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.backend.stop()

    def setUp(self):
        self.server.reset()
        self.usage_dir = h.make_run_dir("mgw-usage-")
        self.addCleanup(shutil.rmtree, self.usage_dir, True)

    def make_gateway(self, extra_conf=None):
        conf = {"analytics": {"fileUpload": {
            "enable": True, "uploadingEndpoint": self.server.url,
            "username": "mgw", "password": PASSWORD,
            "rotatingPeriod": 150, "uploadingTimeSpanInMillis": 150,
            "initialDelayInMillis": 50, "usageDataDirectory": self.usage_dir}}}
        apis = {"hello": h.api_definition("/hello", [self.backend.url("/")], title="Hello")}
        gw = h.Microgw(apis, conf=h.deep_merge(conf, extra_conf or {}), filters=CHAIN)
        self.addCleanup(gw.cleanup)
        return gw

    def send(self, gw, count, tag):
        ids = []
        for i in range(count):
            rid = "%s-%d" % (tag, i)
            status, _, body = gw.request("GET", "/hello/echo", headers={"X-Request-Id": rid,
                                                                        "User-Agent": "an/1"})
            self.assertEqual(status, 200, body)
            ids.append(rid)
        return ids

    def zips_on_disk(self):
        return [n for n in os.listdir(self.usage_dir) if n.endswith(".zip")]

    def received_ids(self):
        return [parse_line(l)[2]["correlationID"] for l in self.server.lines()]


class UploadTest(Base):
    def test_events_received_match_requests_sent(self):
        gw = self.make_gateway()
        gw.start()
        ids = self.send(gw, 20, "match")
        status, _, _ = gw.request("GET", "/nowhere", headers={"X-Request-Id": "fault-1"})
        self.assertEqual(status, 404)
        status, _, _ = gw.request("GET", "/hello/status/503", headers={"X-Request-Id": "be-503"})
        self.assertEqual(status, 503)
        # No id sent: the event carries the one request_id (after analytics) gave it.
        status, headers, _ = gw.request("GET", "/hello/echo")
        self.assertEqual(status, 200)
        ids.append(headers["X-Request-Id"])
        h.wait_until(lambda: len(self.server.lines()) >= 23, timeout=15,
                     what="23 events at the analytics server")
        self.assertEqual(self.server.rejected, [])
        self.assertEqual(sorted(self.received_ids()), sorted(ids + ["fault-1", "be-503"]))
        by_id = {parse_line(l)[2]["correlationID"]: l for l in self.server.lines()}

        stream, ts, meta, f = parse_line(by_id["match-3"])
        self.assertEqual(stream, "org.wso2.apimgt.statistics.request:3.2.0")
        self.assertEqual(meta, {"clientType": "PRODUCTION", "correlationID": "match-3"})
        self.assertEqual(len(f), 37)
        self.assertEqual(f[:4], ["anonymous"] * 4)
        self.assertEqual(f[4:10], ["/hello/1.0.0", "Hello", "1.0.0", "/echo", "/echo", "GET"])
        self.assertEqual(f[10:13], ["__unknown__", "carbon.super", "Unauthenticated"])
        self.assertEqual(f[16:18], ["127.0.0.1", "an/1"])
        self.assertLessEqual(int(f[18]), ts)
        self.assertEqual(f[25:28], ["http", "200", self.backend.url("/")])
        self.assertEqual(f[34:], ["MICRO", "MICRO", "{}"])

        stream, _, _, f = parse_line(by_id["be-503"])
        self.assertEqual(stream, "org.wso2.apimgt.statistics.request:3.2.0")
        self.assertEqual(f[26], "503")

        stream, _, meta, f = parse_line(by_id["fault-1"])
        self.assertEqual(stream, "org.wso2.apimgt.statistics.fault:3.2.0")
        self.assertEqual(meta, {"keyType": "PRODUCTION", "correlationID": "fault-1"})
        self.assertEqual(len(f), 20)
        self.assertEqual(f[16], "900404")

        for upload in self.server.uploads:
            self.assertTrue(an.ZIP_NAME.match(upload.file_name), upload.file_name)
            self.assertEqual(upload.headers["filename"], upload.file_name)
            self.assertEqual(upload.headers["accept"], "application/json")
        h.wait_until(lambda: not self.zips_on_disk(), timeout=10,
                     what="uploaded zips deleted from disk")
        samples = gw.metrics()
        self.assertEqual(h.metric_sum(samples, "microgw_analytics_events_written_total"), 23)
        self.assertEqual(h.metric_sum(samples, "microgw_analytics_events_dropped_total"), 0)
        self.assertNotIn(PASSWORD, gw.log_text())

    def test_duplicate_entry_answer_deletes_the_zip(self):
        self.server.set_mode("duplicate")
        gw = self.make_gateway()
        gw.start()
        self.send(gw, 3, "dup")
        h.wait_until(lambda: self.server.duplicates, timeout=15, what="a duplicate answer")
        h.wait_until(lambda: not self.zips_on_disk() and
                     not os.path.exists(os.path.join(self.usage_dir, "api-usage-data.dat.tmp")),
                     timeout=10, what="the zip deleted after the duplicate-entry 500")
        self.assertIn("duplicate entry", gw.log_text())

    # A restart in the middle of an analytics outage loses no event: zips and
    # the unrotated .tmp stay on disk, the next process uploads them.
    def test_restart_during_outage_loses_no_event(self):
        self.server.set_mode("outage")
        first = self.make_gateway()
        first.start()
        sent = self.send(first, 15, "before")
        h.wait_until(lambda: self.zips_on_disk(), timeout=10, what="a rotated zip")
        attempts = len(self.server.attempts)
        h.wait_until(lambda: len(self.server.attempts) > attempts + 1, timeout=10,
                     what="failed uploads retried")
        sent += self.send(first, 5, "late")  # likely still in the queue or the .tmp
        first.stop()
        self.assertEqual(first.process.returncode(), 0)
        self.assertEqual(self.server.uploads, [])
        second = self.make_gateway()
        second.start()
        attempts = len(self.server.attempts)
        sent += self.send(second, 5, "after")
        h.wait_until(lambda: len(self.server.attempts) > attempts + 1, timeout=10,
                     what="failed uploads of the second process")
        self.assertEqual(self.server.uploads, [])
        self.server.set_mode("ok")
        h.wait_until(lambda: len(self.server.lines()) >= len(sent), timeout=20,
                     what="%d events at the analytics server" % len(sent))
        h.wait_until(lambda: not self.zips_on_disk(), timeout=10, what="zips deleted")
        received = self.received_ids()
        self.assertEqual(len(received), len(sent), "no event lost or duplicated")
        self.assertEqual(sorted(received), sorted(sent))
        self.assertEqual(self.server.rejected, [])


class UploadProxyTest(Base):
    """The upload is an internal service: through Squid exactly when
    [httpClients.proxy] enableInternalServices is true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.squid = h.Squid(auth=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.squid.cleanup()
        super().tearDownClass()

    def upload_lines(self):
        return [e for e in self.squid.parsed_log() if e["url"].endswith(an.UPLOAD_PATH)]

    def run_with(self, internal):
        gw = self.make_gateway({"httpClients": {"proxy": {
            "enabled": False, "enableInternalServices": internal, "host": h.LOOPBACK,
            "port": self.squid.port, "httpMode": "forward"}}})
        gw.start()
        before = len(self.server.uploads)
        ids = self.send(gw, 2, "proxy-%s" % internal)
        h.wait_until(lambda: len(self.server.uploads) > before, timeout=15, what="an upload")
        h.wait_until(lambda: set(ids) <= set(self.received_ids()), timeout=15,
                     what="both events uploaded")
        gw.stop()

    def test_internal_services_true_upload_through_squid(self):
        before = len(self.upload_lines())
        self.run_with(True)
        h.wait_until(lambda: len(self.upload_lines()) > before, timeout=15,
                     what="the upload in Squid's access log")
        self.assertTrue(all(e["method"] == "POST" for e in self.upload_lines()))

    def test_internal_services_false_upload_direct(self):
        before = len(self.upload_lines())
        self.run_with(False)
        self.assertEqual(len(self.upload_lines()), before)


if __name__ == "__main__":
    unittest.main()
