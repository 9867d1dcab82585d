"""py_unittest: a Python unittest file run by Debian's /usr/bin/python3 under sh_test.

Native py_test would use whichever python3 is first on PATH; the harness is
written for Debian's stdlib-only /usr/bin/python3, so the tests run on that.
Each test case appears in test.xml (via junit_runner.py).
"""

def py_unittest(name, src, data = [], tags = [], size = "medium", **kwargs):
    native.sh_test(
        name = name,
        srcs = ["//test/support:py_unittest.sh"],
        args = ["$(rootpath %s)" % src],
        data = [src, "//test/support:harness"] + data,
        tags = tags,
        size = size,
        **kwargs
    )
