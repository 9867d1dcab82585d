"""`microgw --check` over the WSO2-style API definitions that need other
changes of issue 10 (test/conf/wso2_apis_pending): interceptors are refused
with a message naming the API and the resource and pointing to filters;
etcd(...) and query-string endpoint URLs and the other x-wso2-cors spellings
pass. Wired up by the coordinator once those changes are merged.

Run under Bazel (//test/conf:wso2_api_pending_check_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/conf/wso2_api_pending_check_test.py
"""

import os
import shutil
import sys
import unittest

import mgw_harness as h

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wso2_api_check_test import data_dir, run_check  # noqa: E402


class Wso2ApiPendingCheckTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not h.find_microgw():
            raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")
        cls.dir = data_dir("wso2_apis_pending")

    def check_one(self, name):
        one = h.make_run_dir("mgw-wso2-pending-")
        shutil.copy(os.path.join(self.dir, name), one)
        return run_check(one)

    def test_interceptors_fail_with_the_intended_message(self):
        out = self.check_one("interceptors_oas3.yaml")
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("interceptors_oas3.yaml", out.stderr)
        self.assertIn("x-wso2-request-interceptor", out.stderr)
        self.assertIn("Intercepted", out.stderr)
        self.assertIn("filter", out.stderr)
        self.assertNotIn("unknown key", out.stderr)

    def test_other_endpoint_forms_pass(self):
        out = self.check_one("endpoints_other_forms.yaml")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
