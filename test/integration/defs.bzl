"""Integration tests that run the real gateway binary (//gateway:microgw)."""

load("//test/support:defs.bzl", "py_unittest")

GATEWAY_TESTS = [
    "gateway_core_test",
    "proxy_test",
    "https_proxy_test",
    "proxy_failure_test",
    "reload_test",
    "resilience_test",
]

# Tests that also start the key manager (oidc-provider) or etcd.
PEER_TESTS = [
    "jwt_authn_test",
    "introspection_api_key_test",
]

def gateway_integration_tests(enabled):
    """Declares one target per GATEWAY_TESTS file when `enabled`.

    no-sandbox: Squid, tinyproxy and nginx started as root drop to user `proxy`,
    which fails inside Bazel's sandbox user namespace.
    """
    if not enabled:
        return
    for name in GATEWAY_TESTS + PEER_TESTS:
        py_unittest(
            name = name,
            src = name + ".py",
            data = ["//gateway:microgw"] + (
                ["//test/support:peers_harness"] if name in PEER_TESTS else []
            ),
            size = "medium",
            tags = [
                "no-sandbox",
                "external",
                "integration",
            ],
        )
