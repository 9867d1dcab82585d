"""Checks that the gateway integration test files load against the harness."""

import importlib.util
import os
import unittest


class ImportTest(unittest.TestCase):
    def load(self, name):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def count_tests(self, module):
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        return suite.countTestCases()

    def test_gateway_core_test_loads(self):
        self.assertGreater(self.count_tests(self.load("gateway_core_test")), 25)

    def test_proxy_test_loads(self):
        self.assertGreater(self.count_tests(self.load("proxy_test")), 10)

    def test_reload_test_loads(self):
        self.assertGreaterEqual(self.count_tests(self.load("reload_test")), 6)


if __name__ == "__main__":
    unittest.main()
