"""Runs one Python unittest file and writes JUnit XML (one testcase per test) to
$XML_OUTPUT_FILE, which Bazel reads instead of its one-case-per-target summary.

Usage: python3 junit_runner.py path/to/some_test.py [unittest args...]
"""

import importlib.util
import os
import sys
import time
import unittest
import xml.etree.ElementTree as ET


class _Result(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []  # (test, outcome, detail, seconds)
        self._start = 0.0

    def startTest(self, test):
        self._start = time.monotonic()
        super().startTest(test)

    def _add(self, test, outcome, detail=""):
        self.cases.append((test, outcome, detail, time.monotonic() - self._start))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._add(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._add(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._add(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._add(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._add(test, "passed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._add(test, "failure", "unexpected success")


def _write_xml(path, suite_name, result, seconds):
    suites = ET.Element("testsuites")
    failures = sum(1 for c in result.cases if c[1] == "failure")
    errors = sum(1 for c in result.cases if c[1] == "error")
    suite = ET.SubElement(suites, "testsuite", name=suite_name, tests=str(len(result.cases)),
                          failures=str(failures), errors=str(errors), time="%.3f" % seconds)
    for test, outcome, detail, secs in result.cases:
        test_id = test.id()
        cls, _, name = test_id.rpartition(".")
        case = ET.SubElement(suite, "testcase", classname=cls or suite_name, name=name,
                             time="%.3f" % secs,
                             status="notrun" if outcome == "skipped" else "run")
        if outcome in ("failure", "error"):
            el = ET.SubElement(case, outcome, message=detail.strip().splitlines()[-1][:200]
                               if detail.strip() else outcome)
            el.text = detail
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", message=detail)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    loader = unittest.TestLoader()
    filt = os.environ.get("TESTBRIDGE_TEST_ONLY")  # bazel test --test_filter=...
    if len(sys.argv) > 2:
        suite = loader.loadTestsFromNames(sys.argv[2:], module)
    elif filt:
        suite = loader.loadTestsFromNames(filt.split(","), module)
    else:
        suite = loader.loadTestsFromModule(module)
    runner = unittest.TextTestRunner(resultclass=_Result, verbosity=2, stream=sys.stderr)
    start = time.monotonic()
    result = runner.run(suite)
    xml_path = os.environ.get("XML_OUTPUT_FILE")
    if xml_path:
        _write_xml(xml_path, name, result, time.monotonic() - start)
    if result.testsRun == 0:
        print("no tests ran", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
