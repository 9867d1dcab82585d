"""Integration tests that run the real gateway binary (//gateway:microgw)."""

load("//test/support:defs.bzl", "py_unittest")

GATEWAY_TESTS = [
    "gateway_core_test",
    "proxy_test",
    "proxy_failure_test",
    "reload_test",
]

def gateway_integration_tests(enabled):
    """Declares one target per GATEWAY_TESTS file when `enabled`.

    no-sandbox: Squid, tinyproxy and nginx started as root drop to user `proxy`,
    which fails inside Bazel's sandbox user namespace.
    """
    if not enabled:
        return
    for name in GATEWAY_TESTS:
        py_unittest(
            name = name,
            src = name + ".py",
            data = ["//gateway:microgw"],
            size = "medium",
            tags = [
                "no-sandbox",
                "external",
                "integration",
            ],
        )
