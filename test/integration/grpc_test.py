"""gRPC through the real gateway (issue 9): Python grpcio on both ends
(test/support/grpc_peer.py as the backend), HTTP/2 on both sides:

- h2c client -> gateway plain port -> h2c backend (`http2: prior-knowledge`);
- TLS client (ALPN h2) -> gateway TLS listener -> TLS backend (ALPN h2);
- the same through Squid's CONNECT tunnel ([httpClients.proxy], with
  credentials that never reach the backend).

Each runs unary, server-streaming, client-streaming and bidi calls; checks
that metadata and trailers (grpc-status, grpc-message, custom and binary
trailing metadata) arrive, that an error status passes (trailers-only and
after a message), that 4 MiB streams pass under flow control, that a
client's cancel and an expired deadline (grpc-timeout) reach the backend and
leave the gateway healthy. A gRPC call the gateway cannot carry (HTTP/1-only
backend, unknown method) gets a gRPC status with a reason, never a hang.

Run under Bazel (//test/integration:grpc_test) or directly:
    MICROGW_BIN=bazel-bin/gateway/microgw PYTHONPATH=test/support \
        /usr/bin/python3 -m unittest test/integration/grpc_test.py
"""

import concurrent.futures
import hashlib
import queue
import threading
import time
import unittest

import mgw_harness as h

try:
    import grpc
    import grpc_peer as g
except ImportError:  # python3-grpcio missing (tools/install.sh installs it)
    grpc = None

H2 = {"http2": "prior-knowledge"}
METHODS = ("Unary", "Fail", "FailLate", "Download", "Upload", "Chat", "Hang", "Sleep")
# The client never takes a proxy from the environment, and never retries on
# its own: what the test sees is what the gateway did.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0),
                   ("grpc.max_receive_message_length", 64 << 20)]
CALL_TIMEOUT = h.scaled(30)


def require():
    if grpc is None:
        raise unittest.SkipTest("python3-grpcio is not installed (tools/install.sh)")
    if not h.find_microgw():
        raise unittest.SkipTest("microgw binary not built (set MICROGW_BIN)")


def grpc_api(base_path, urls, endpoint_extra=None, methods=METHODS):
    """An API whose resources are a gRPC service's methods (gRPC calls are POSTs)."""
    return h.api_definition(base_path, urls, endpoint_extra=endpoint_extra,
                            paths={"/" + m: ["post"] for m in methods})


def metadata_dict(md):
    return {k: v for k, v in (md or ())}


class GrpcCalls:
    """The calls every transport must carry; a subclass sets cls.gw, cls.peer, cls.channel."""

    def tearDown(self):
        if not self.gw.running():
            self.fail("gateway died:\n" + self.gw.process.output_tail(80))

    def call(self, method):
        return g.unary(self.channel, method)

    def test_unary_metadata_and_trailers(self):
        reply, call = self.call("Unary").with_call(
            b"hello", metadata=[("x-client", "abc"), ("x-bin-bin", b"\x00\xff")],
            timeout=CALL_TIMEOUT)
        self.assertEqual(reply, b"hello")
        self.assertEqual(call.code(), grpc.StatusCode.OK)
        self.assertEqual(metadata_dict(call.initial_metadata()).get("x-seen-x-client"), "abc")
        trailers = metadata_dict(call.trailing_metadata())
        self.assertEqual(trailers.get("x-trailer"), "unary", call.trailing_metadata())
        self.assertEqual(trailers.get("x-trailer-bin"), b"\x00\x01\xfe\xff")
        seen = metadata_dict(self.peer.calls_to("Unary")[-1]["metadata"])
        self.assertEqual(seen.get("x-bin-bin"), b"\x00\xff")
        # The gateway's forwarding headers reach the backend; proxy credentials never do.
        self.assertIn("x-forwarded-for", seen)
        self.assertNotIn("proxy-authorization", seen)

    def test_error_status_in_a_trailers_only_response(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("Fail")(b"widget", timeout=CALL_TIMEOUT)
        e = cm.exception
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND, e)
        self.assertEqual(e.details(), "no such thing: widget")
        self.assertEqual(metadata_dict(e.trailing_metadata()).get("x-error-detail"),
                         "looked everywhere")

    def test_error_status_after_a_message(self):
        stream = g.server_stream(self.channel, "FailLate")(b"", timeout=CALL_TIMEOUT)
        got = []
        with self.assertRaises(grpc.RpcError) as cm:
            for m in stream:
                got.append(m)
        self.assertEqual(got, [b"partial"])
        self.assertEqual(cm.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(cm.exception.details(), "out of quota after one message")
        self.assertEqual(metadata_dict(cm.exception.trailing_metadata()).get("x-error-detail"),
                         "after one message")

    def test_server_streaming_4mib(self):
        count, size = 64, 64 << 10
        stream = g.server_stream(self.channel, "Download")(b"%d:%d" % (count, size),
                                                           timeout=CALL_TIMEOUT)
        n = 0
        for i, m in enumerate(stream):
            self.assertEqual(m, g.message(i, size), "message %d" % i)
            n += 1
        self.assertEqual(n, count)
        self.assertEqual(stream.code(), grpc.StatusCode.OK)
        self.assertEqual(metadata_dict(stream.trailing_metadata()).get("x-sent-bytes"),
                         str(count * size))

    def test_client_streaming_4mib(self):
        msgs = [g.message(i, 64 << 10) for i in range(64)]
        digest = hashlib.sha256(b"".join(msgs)).hexdigest()
        reply, call = g.client_stream(self.channel, "Upload").with_call(iter(msgs),
                                                                        timeout=CALL_TIMEOUT)
        self.assertEqual(reply, b"64:%d:%s" % (64 << 16, digest.encode()))
        self.assertEqual(metadata_dict(call.trailing_metadata()).get("x-received"),
                         str(64 << 16))

    def test_one_large_message_each_way(self):
        body = g.message(7, 3 << 20)
        reply = self.call("Unary")(body, timeout=CALL_TIMEOUT)
        self.assertEqual(hashlib.sha256(reply).hexdigest(), hashlib.sha256(body).hexdigest())

    def test_bidi_ping_pong(self):
        # Each message is sent only after the answer to the previous one came
        # back: the request stays open while responses stream.
        outbox = queue.Queue()

        def requests():
            while True:
                m = outbox.get()
                if m is None:
                    return
                yield m

        outbox.put(b"ping-0")
        responses = g.bidi(self.channel, "Chat")(requests(), timeout=CALL_TIMEOUT)
        got = []
        for i, m in enumerate(responses):
            got.append(m)
            outbox.put(b"ping-%d" % (i + 1) if i < 9 else None)
        self.assertEqual(got, [b"re:ping-%d" % i for i in range(10)])
        self.assertEqual(responses.code(), grpc.StatusCode.OK)
        self.assertEqual(metadata_dict(responses.trailing_metadata()).get("x-chat-count"), "10")

    def test_client_cancel_reaches_the_backend(self):
        event = self.peer.cancel_event("Hang")
        event.clear()
        stream = g.server_stream(self.channel, "Hang")(b"", timeout=CALL_TIMEOUT)
        self.assertEqual(next(stream), b"started")
        stream.cancel()
        self.assertTrue(event.wait(h.scaled(10)), "the backend never saw the cancel")
        with self.assertRaises(grpc.RpcError) as cm:
            next(stream)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.CANCELLED)
        # The gateway and the shared connections go on.
        self.assertEqual(self.call("Unary")(b"after cancel", timeout=CALL_TIMEOUT),
                         b"after cancel")

    def test_deadline_expires(self):
        event = self.peer.cancel_event("Sleep")
        event.clear()
        before = len(self.peer.calls_to("Sleep"))
        start = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            self.call("Sleep")(b"20000", timeout=1.0)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertLess(time.monotonic() - start, h.scaled(10))
        # grpc-timeout reached the backend, which stopped working on the call.
        call = self.peer.calls_to("Sleep")[before]
        self.assertIsNotNone(call["time_remaining"])
        # (grpcio rounds the timeout up to its unit and counts from its own clock)
        self.assertGreater(call["time_remaining"], 0)
        self.assertLess(call["time_remaining"], 1.5)
        self.assertTrue(event.wait(h.scaled(10)), "the backend never saw the deadline")
        self.assertEqual(self.call("Unary")(b"after deadline", timeout=CALL_TIMEOUT),
                         b"after deadline")

    def test_concurrent_calls_share_the_connections(self):
        unary = self.call("Unary")
        futures = [unary.future(b"call-%d" % i, timeout=CALL_TIMEOUT) for i in range(50)]
        self.assertEqual([f.result() for f in futures], [b"call-%d" % i for i in range(50)])


class GrpcH2cTest(GrpcCalls, h.SharedPeersTestCase):
    """h2c client -> gateway plain port -> h2c backend (prior knowledge)."""

    @classmethod
    def start_peers(cls):
        require()
        cls.peer = g.GrpcPeer().start()
        cls.cleanups.append(cls.peer.stop)
        cls.h1 = h.TestBackend().start()
        cls.cleanups.append(cls.h1.stop)
        apis = {
            "echo": grpc_api(g.PREFIX, [cls.peer.url()], endpoint_extra=H2),
            # The same service behind an HTTP/1-only endpoint.
            "h1": grpc_api("/mgw.test.H1", [cls.h1.url("/")]),
            # The same service, secured (no auth filter in the chain: 401).
            "secured": h.api_definition("/mgw.test.Secured", [cls.peer.url()],
                                        endpoint_extra=H2, paths={"/Unary": ["post"]},
                                        extra={"x-wso2-disable-security": False}),
            # The same service with a short advanceEndpointConfig.timeoutInMillis.
            "slow": h.api_definition("/mgw.test.Slow", [cls.peer.url()], timeout_ms=1500,
                                     endpoint_extra=H2, paths={"/Hang": ["post"]}),
        }
        cls.gw = h.Microgw(apis, conf={"listenerConfig": {"workers": 1}})
        cls.cleanups.append(cls.gw.cleanup)
        cls.gw.start()
        cls.channel = grpc.insecure_channel("%s:%d" % (h.LOOPBACK, cls.gw.port),
                                            options=CHANNEL_OPTIONS)
        cls.cleanups.append(cls.channel.close)

    def test_http1_only_backend_gets_a_grpc_status(self):
        before = self.h1.requests
        start = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            self.channel.unary_unary("/mgw.test.H1/Unary")(b"x", timeout=CALL_TIMEOUT)
        self.assertLess(time.monotonic() - start, h.scaled(5), "an answer, not a timeout")
        e = cm.exception
        self.assertEqual(e.code(), grpc.StatusCode.UNIMPLEMENTED, e)
        self.assertIn("HTTP/2", e.details())
        self.assertEqual(self.h1.requests, before, "the HTTP/1 backend got the call")
        h.wait_until(lambda: "http2: prior-knowledge" in self.gw.log_text(), timeout=10,
                     what="a log line naming the endpoint setting")
        h.wait_until(lambda: '"POST /mgw.test.H1/Unary" 501' in self.gw.log_text(), timeout=10,
                     what="the access log line with 501")

    def test_backend_silent_mid_stream_ends_with_a_status(self):
        # The backend sent a message, then nothing for longer than
        # timeoutInMillis: the gateway ends the call with a gRPC status in
        # trailers (not a bare stream reset) and cancels the backend's stream.
        event = self.peer.cancel_event("Hang")
        event.clear()
        stream = self.channel.unary_stream("/mgw.test.Slow/Hang")(b"", timeout=CALL_TIMEOUT)
        self.assertEqual(next(stream), b"started")
        with self.assertRaises(grpc.RpcError) as cm:
            next(stream)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE, cm.exception)
        self.assertIn("Upstream timeout", cm.exception.details())
        self.assertTrue(event.wait(h.scaled(10)), "the backend's stream was not cancelled")
        h.wait_until(lambda: [l for l in self.gw.log_text().splitlines()
                              if '"POST /mgw.test.Slow/Hang" 200' in l and "aborted=timeout" in l],
                     timeout=10, what="the access log line with aborted=timeout")

    def test_unknown_method_is_unimplemented(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.channel.unary_unary(g.PREFIX + "/NoSuchMethod")(b"x", timeout=CALL_TIMEOUT)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED, cm.exception)
        self.assertIn("Resource not found", cm.exception.details())

    def test_missing_credentials_is_unauthenticated(self):
        before = len(self.peer.calls_to("Unary"))
        with self.assertRaises(grpc.RpcError) as cm:
            self.channel.unary_unary("/mgw.test.Secured/Unary")(b"x", timeout=CALL_TIMEOUT)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED, cm.exception)
        self.assertIn("Missing Credentials", cm.exception.details())
        self.assertEqual(len(self.peer.calls_to("Unary")), before)

    def test_an_idle_connection_parks_and_the_next_calls_go_through(self):
        # gRPC's client indexes its header fields: the gateway parks the idle
        # h2c connection with its copy of the client's HPACK table, and the
        # next calls, which refer to that table, decode as before.
        self.assertEqual(self.call("Unary")(b"before", timeout=CALL_TIMEOUT), b"before")
        h.wait_until(lambda: int(self.gw.metrics().get("microgw_downstream_connections_parked",
                                                       0)) >= 1,
                     timeout=h.scaled(5), what="the gRPC client's connection parked")
        for i in range(3):
            reply, call = self.call("Unary").with_call(
                b"after%d" % i, metadata=[("x-client", "abc")], timeout=CALL_TIMEOUT)
            self.assertEqual(reply, b"after%d" % i)
            self.assertEqual(metadata_dict(call.initial_metadata()).get("x-seen-x-client"), "abc")

    def test_other_requests_keep_the_json_errors(self):
        # A non-gRPC request to the same missing resource still gets WSO2's JSON error.
        status, headers, body = self.gw.request("POST", g.PREFIX + "/NoSuchMethod", body=b"{}")
        self.assertEqual(status, 404)
        self.assertIn(b'"Resource not found"', body)


class GrpcTlsTest(GrpcCalls, h.SharedPeersTestCase):
    """TLS client (ALPN h2) -> gateway TLS listener -> TLS backend (ALPN h2); with
    `proxied`, through Squid's CONNECT tunnel."""

    proxied = False

    @classmethod
    def start_peers(cls):
        require()
        cls.ca = h.TestCA()
        cls.peer = g.GrpcPeer(tls=cls.ca.issue()).start()
        cls.cleanups.append(cls.peer.stop)
        cls.h1 = h.TestBackend(ca=cls.ca).start()  # https, HTTP/1.1 only
        cls.cleanups.append(cls.h1.stop)
        cert, key = cls.ca.issue()
        http_clients = {"trustStorePath": cls.ca.cert_path}
        if cls.proxied:
            # Idle tunnels close soon, so Squid logs their CONNECT (it logs
            # one only when the tunnel closes).
            http_clients["poolIdleTimeoutInMillis"] = 1000
            cls.squid = h.Squid(auth=True).start()
            cls.cleanups.append(cls.squid.cleanup)
            http_clients["proxy"] = {"enabled": True, "host": h.LOOPBACK,
                                     "port": cls.squid.port, "username": cls.squid.username,
                                     "password": cls.squid.password}
        apis = {"echo": grpc_api(g.PREFIX, [cls.peer.url()]),
                "h1": grpc_api("/mgw.test.H1", [cls.h1.url("/")])}
        cls.gw = h.Microgw(apis, conf={"listenerConfig": {"workers": 1,
                                                          "certificateFile": cert,
                                                          "keyFile": key},
                                       "httpClients": http_clients})
        cls.cleanups.append(cls.gw.cleanup)
        cls.gw.start()
        h.wait_for_port(h.LOOPBACK, cls.gw.https_port, process=cls.gw.process)
        with open(cls.ca.cert_path, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        cls.channel = grpc.secure_channel(
            "%s:%d" % (h.LOOPBACK, cls.gw.https_port), creds,
            options=CHANNEL_OPTIONS + [("grpc.ssl_target_name_override", "localhost")])
        cls.cleanups.append(cls.channel.close)

    def test_https_backend_without_h2_gets_a_grpc_status(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.channel.unary_unary("/mgw.test.H1/Unary")(b"x", timeout=CALL_TIMEOUT)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED, cm.exception)
        self.assertIn("HTTP/2", cm.exception.details())
        self.assertEqual([r for r in self.h1.records if "Unary" in r.get("path", "")], [])


class GrpcConnectTunnelTest(GrpcTlsTest):
    proxied = True

    def test_calls_went_through_the_tunnel(self):
        self.assertEqual(self.call("Unary")(b"via squid", timeout=CALL_TIMEOUT), b"via squid")
        target = "127.0.0.1:%d" % self.peer.port
        self.squid.wait_for_log(lambda e: e["method"] == "CONNECT" and e["url"] == target
                                and e["user"] == self.squid.username, timeout=20,
                                what="the CONNECT to the gRPC backend in Squid's log")

if __name__ == "__main__":
    unittest.main()
