"""Revoked tokens from a real etcd (issue 7): the RevocationService the gateway
runs, driven by //test/filters/token_revocation:revocation_probe (it answers
isRevoked() on stdin), against Debian's etcd 3.4 and Squid.

Run under Bazel (//test/integration:revocation_test) or directly:
    REVOCATION_PROBE=bazel-bin/test/filters/token_revocation/revocation_probe \
        PYTHONPATH=test/support /usr/bin/python3 -m unittest test/integration/revocation_test.py
"""

import os
import subprocess
import threading
import time
import unittest

import etcd_harness as eh
import mgw_harness as h

ETCD_PASSWORD = "etcd-Pw-never-logged"


def find_probe():
    candidates = []
    if os.environ.get("REVOCATION_PROBE"):
        candidates.append(os.environ["REVOCATION_PROBE"])
    srcdir = os.environ.get("TEST_SRCDIR") or os.environ.get("RUNFILES_DIR")
    rel = os.path.join("test", "filters", "token_revocation", "revocation_probe")
    if srcdir:
        candidates.append(os.path.join(srcdir, os.environ.get("TEST_WORKSPACE", "microgw"), rel))
    root = h.repo_root()
    if root:
        candidates.append(os.path.join(root, "bazel-bin", rel))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


class Probe:
    """The probe process: ask(jti, sig) -> bool; stderr collected for log checks."""

    def __init__(self, conf_text):
        self.dir = h.make_run_dir("mgw-revocation-")
        self.conf = os.path.join(self.dir, "micro-gw.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.proc = subprocess.Popen([find_probe(), self.conf], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.err = []
        threading.Thread(target=self._drain, daemon=True).start()
        first = self.proc.stdout.readline().strip()
        if first != "ready":
            raise RuntimeError("probe did not start: %r %s" % (first, self.stderr()))

    def _drain(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def stderr(self):
        return "".join(self.err)

    def ask(self, jti, sig="-"):
        self.proc.stdin.write("%s %s\n" % (jti, sig))
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip() == "1"

    def wait_revoked(self, jti, sig="-", timeout=1.0, expect=True):
        """Seconds until ask() == expect; fails after `timeout` (not scaled: the 1 s is the spec)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.ask(jti, sig) == expect:
                return time.monotonic() - start
            time.sleep(0.01)
        raise AssertionError("%s %s not %s within %.1f s\n%s" % (
            jti, sig, "revoked" if expect else "cleared", timeout, self.stderr()[-3000:]))

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def conf(endpoint, user=None, password=None, proxy=None):
    lines = ["[tokenRevocationConfig.persistent]", "enablePersistentStorageRetrieval = true",
             'type = "etcd"', 'endpointURL = "%s"' % endpoint]
    if user:
        lines += ['username = "%s"' % user, 'password = "%s"' % password]
    if proxy:
        lines += ["[httpClients.proxy]"] + ["%s = %s" % (k, h.toml_value(v))
                                            for k, v in proxy.items()]
    return "\n".join(lines) + "\n"


class RevocationTest(unittest.TestCase):
    def setUp(self):
        if not find_probe():
            raise unittest.SkipTest("revocation_probe not built (set REVOCATION_PROBE)")
        if not os.path.exists(eh.ETCD_BINARY):
            raise unittest.SkipTest("etcd not installed")
        self.etcd = eh.Etcd().start()
        self.addCleanup(self.etcd.cleanup)
        self.probes = []

    def tearDown(self):
        for p in self.probes:
            p.close()

    def probe(self, text):
        p = Probe(text)
        self.probes.append(p)
        return p

    def v2_url(self):
        return self.etcd.client_url + "/v2/keys/wso2/revoked/"

    def test_v2_key_revokes_within_one_second_and_ttl_clears_it(self):
        p = self.probe(conf(self.v2_url()))
        self.etcd.v2_put("/wso2/revoked/other", "true")  # the directory exists
        p.wait_revoked("other")
        self.assertFalse(p.ask("jti-a", "sig-a"))
        self.etcd.v2_put("/wso2/revoked/jti-a", "true", ttl=60)
        took = p.wait_revoked("jti-a", "sig-a", timeout=1.0)
        print("v2: revoked %.3f s after the PUT" % took)
        # WSO2 checks the signature segment as well as the jti.
        self.etcd.v2_put("/wso2/revoked/sig-b", "true", ttl=60)
        p.wait_revoked("not-revoked-jti", "sig-b", timeout=1.0)
        # TTL: etcd expires the key and the watcher drops it.
        self.etcd.v2_put("/wso2/revoked/short", "true", ttl=1)
        p.wait_revoked("short", timeout=1.0)
        p.wait_revoked("short", timeout=h.scaled(6.0), expect=False)
        self.etcd.v2_delete("/wso2/revoked/jti-a")
        p.wait_revoked("jti-a", timeout=1.0, expect=False)

    def test_two_instances_share_revocations(self):
        """The scale-out case: instances behind a balancer both refuse within 1 s."""
        a = self.probe(conf(self.v2_url()))
        b = self.probe(conf(self.v2_url()))
        self.etcd.v2_put("/wso2/revoked/warmup", "true")
        a.wait_revoked("warmup", timeout=2.0)
        b.wait_revoked("warmup", timeout=2.0)
        self.etcd.v2_put("/wso2/revoked/shared", "true", ttl=60)
        start = time.monotonic()
        a.wait_revoked("shared", timeout=1.0)
        b.wait_revoked("shared", timeout=max(0.05, 1.0 - (time.monotonic() - start)))

    def test_keys_present_at_start(self):
        self.etcd.v2_put("/wso2/revoked/early", "true", ttl=60)
        p = self.probe(conf(self.v2_url()))
        p.wait_revoked("early", timeout=2.0)

    def test_v3_prefix_with_auth_and_lease(self):
        self.etcd.enable_auth(password=ETCD_PASSWORD)
        p = self.probe(conf(self.etcd.client_url + "/v3/mgw/revoked/", "root", ETCD_PASSWORD))
        self.etcd.v3_put("/mgw/revoked/j3", "true")
        p.wait_revoked("j3", timeout=2.0)
        self.etcd.v3_put("/mgw/revoked/j4", "true")
        took = p.wait_revoked("j4", timeout=1.0)
        print("v3: revoked %.3f s after the put" % took)
        self.etcd.v3_put("/mgw/other/j5", "true")  # outside the prefix
        time.sleep(0.3)
        self.assertFalse(p.ask("j5"))
        lease = self.etcd.v3_grant_lease(1)
        self.etcd.v3_put("/mgw/revoked/leased", "true", lease=lease)
        p.wait_revoked("leased", timeout=1.0)
        p.wait_revoked("leased", timeout=h.scaled(8.0), expect=False)
        self.etcd.v3_delete("/mgw/revoked/j4")
        p.wait_revoked("j4", timeout=1.0, expect=False)
        self.assertNotIn(ETCD_PASSWORD, p.stderr())
        self.assertNotIn(self.etcd.v3_token, p.stderr())

    def test_v2_basic_auth(self):
        self.etcd.enable_auth(password=ETCD_PASSWORD)
        p = self.probe(conf(self.v2_url(), "root", ETCD_PASSWORD))
        self.etcd.v2_put("/wso2/revoked/authed", "true")
        p.wait_revoked("authed", timeout=2.0)
        self.assertNotIn(ETCD_PASSWORD, p.stderr())

    def test_reconnects_after_etcd_restart(self):
        p = self.probe(conf(self.v2_url()))
        self.etcd.v2_put("/wso2/revoked/before", "true")
        p.wait_revoked("before", timeout=1.0)
        self.etcd.stop()
        h.wait_until(lambda: "failed" in p.stderr(), timeout=h.scaled(10), what="probe logs the loss")
        self.assertTrue(p.ask("before"))  # serves with what it has
        self.etcd.start()
        self.etcd.v2_put("/wso2/revoked/after", "true")
        # Back-off is capped at 5 s.
        p.wait_revoked("after", timeout=h.scaled(8.0))
        self.assertIn("reachable again", p.stderr())

    def test_unreachable_at_start(self):
        self.etcd.stop()
        p = self.probe(conf(self.v2_url()))  # starts anyway
        h.wait_until(lambda: "failed" in p.stderr(), timeout=h.scaled(10), what="probe says so")
        self.assertFalse(p.ask("x"))
        self.etcd.start()
        self.etcd.v2_put("/wso2/revoked/late", "true")
        p.wait_revoked("late", timeout=h.scaled(8.0))

    def test_traffic_through_squid_only_with_internal_services(self):
        squid = h.Squid().start()
        self.addCleanup(squid.cleanup)
        proxy = {"enabled": False, "enableInternalServices": True, "host": squid.host,
                 "port": squid.port, "username": squid.username, "password": squid.password,
                 "httpMode": "forward"}
        p = self.probe(conf(self.v2_url(), proxy=proxy))
        self.etcd.v2_put("/wso2/revoked/via-squid", "true")
        p.wait_revoked("via-squid", timeout=1.0)
        squid.wait_for_log(lambda e: "/v2/keys/wso2/revoked/" in e["url"]
                           and str(self.etcd.client_port) in e["url"], what="etcd GET in squid log")
        self.assertNotIn(squid.password, p.stderr())
        p.close()
        self.probes.remove(p)

        before = len(squid.access_log_lines())
        proxy["enableInternalServices"] = False
        p2 = self.probe(conf(self.v2_url(), proxy=proxy))
        self.etcd.v2_put("/wso2/revoked/direct", "true")
        p2.wait_revoked("direct", timeout=1.0)
        self.assertEqual(len(squid.access_log_lines()), before)

    def test_gateway_runs_the_service(self):
        """The real gateway starts the watcher: its etcd GETs show in Squid's log."""
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        squid = h.Squid().start()
        self.addCleanup(squid.cleanup)
        self.etcd.v2_put("/wso2/revoked/gw-1", "true")
        api = h.api_definition("/x", ["http://127.0.0.1:9/"])
        gw = h.Microgw(apis={"x": api}, conf={
            "tokenRevocationConfig": {"persistent": {
                "enablePersistentStorageRetrieval": True, "type": "etcd",
                "endpointURL": self.v2_url()}},
            "httpClients": {"proxy": {
                "enabled": False, "enableInternalServices": True, "host": squid.host,
                "port": squid.port, "username": squid.username, "password": squid.password,
                "httpMode": "forward"}}})
        gw.start()
        self.addCleanup(gw.cleanup)
        h.wait_until(lambda: "token revocation: 1 revoked ids" in gw.log_text(),
                     timeout=h.scaled(10), what="the gateway's listing")
        squid.wait_for_log(lambda e: "/v2/keys/wso2/revoked/" in e["url"], what="etcd via squid")
        self.assertNotIn(squid.password, gw.log_text())


if __name__ == "__main__":
    unittest.main()
