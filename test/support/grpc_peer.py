"""A gRPC test backend on Python grpcio (Debian python3-grpcio), no protoc.

The service `mgw.test.Echo` takes and returns raw bytes (identity
serializers, grpcio's generic handlers), over h2c or TLS (ALPN h2):

- Unary: returns the request. Initial metadata echoes the client's `x-*`
  metadata as `x-seen-<name>`; trailing metadata `x-trailer: unary` and a
  binary `x-trailer-bin`.
- Fail: aborts with NOT_FOUND, details "no such thing: <request>" and
  trailing metadata `x-error-detail`, before any message (a trailers-only
  response: one HEADERS frame with END_STREAM).
- FailLate: sends one message, then aborts with RESOURCE_EXHAUSTED (status
  in real trailers after DATA).
- Download (server streaming): request b"<count>:<size>" -> `count`
  messages of `size` bytes (message(i, size)); trailer `x-sent-bytes`.
- Upload (client streaming): returns b"<count>:<bytes>:<sha256>" of the
  messages; trailer `x-received`.
- Chat (bidi): answers each message with b"re:" + message as it arrives;
  trailer `x-chat-count`.
- Hang (server streaming): sends b"started", then waits until the call is
  cancelled (recorded in `cancelled`) or 60 s pass.
- Sleep (unary): request b"<ms>": waits that long (or until cancelled),
  returns b"slept".

Every call is recorded (`calls`: method, metadata, time_remaining), so a
test sees what reached the backend, e.g. that grpc-timeout was forwarded.

Example:
    peer = GrpcPeer().start()               # or GrpcPeer(tls=(cert, key))
    channel = grpc.insecure_channel(peer.target)
    reply = unary(channel, "Unary")(b"hi", metadata=[("x-a", "1")])
    peer.stop()
"""

import hashlib
import threading
import time
from concurrent import futures

import grpc

SERVICE = "mgw.test.Echo"
PREFIX = "/" + SERVICE


def message(i, size):
    """Message i of a Download stream: `size` bytes, different per message."""
    seed = hashlib.sha256(b"%d" % i).digest()
    return (seed * (size // len(seed) + 1))[:size]


def path(method):
    return "%s/%s" % (PREFIX, method)


def unary(channel, method):
    return channel.unary_unary(path(method))


def server_stream(channel, method):
    return channel.unary_stream(path(method))


def client_stream(channel, method):
    return channel.stream_unary(path(method))


def bidi(channel, method):
    return channel.stream_stream(path(method))


class GrpcPeer:
    """grpcio server on a free loopback port; `tls` = (cert_path, key_path) for TLS."""

    def __init__(self, tls=None, host="127.0.0.1", workers=16):
        self.host = host
        self.tls = tls
        self.workers = workers
        self.port = None
        self.server = None
        self.lock = threading.Lock()
        self.calls = []
        self.cancelled = {}  # method -> threading.Event, set when a call saw its cancellation

    @property
    def target(self):
        return "%s:%d" % (self.host, self.port)

    def url(self):
        return "%s://%s:%d%s" % ("https" if self.tls else "http", self.host, self.port, PREFIX)

    def start(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=self.workers),
                                  options=[("grpc.max_receive_message_length", 64 << 20),
                                           ("grpc.max_send_message_length", 64 << 20)])
        handlers = {
            "Unary": grpc.unary_unary_rpc_method_handler(self._unary),
            "Fail": grpc.unary_unary_rpc_method_handler(self._fail),
            "FailLate": grpc.unary_stream_rpc_method_handler(self._fail_late),
            "Download": grpc.unary_stream_rpc_method_handler(self._download),
            "Upload": grpc.stream_unary_rpc_method_handler(self._upload),
            "Chat": grpc.stream_stream_rpc_method_handler(self._chat),
            "Hang": grpc.unary_stream_rpc_method_handler(self._hang),
            "Sleep": grpc.unary_unary_rpc_method_handler(self._sleep),
        }
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, handlers),))
        address = "%s:0" % self.host
        if self.tls:
            with open(self.tls[0], "rb") as f:
                cert = f.read()
            with open(self.tls[1], "rb") as f:
                key = f.read()
            self.port = self.server.add_secure_port(
                address, grpc.ssl_server_credentials([(key, cert)]))
        else:
            self.port = self.server.add_insecure_port(address)
        if not self.port:
            raise RuntimeError("grpcio could not bind %s" % address)
        self.server.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.stop(grace=None)
            self.server = None

    def cancel_event(self, method):
        with self.lock:
            return self.cancelled.setdefault(method, threading.Event())

    def calls_to(self, method):
        with self.lock:
            return [c for c in self.calls if c["method"] == method]

    # --- the methods ---------------------------------------------------------------

    def _record(self, method, context):
        md = [(k, v) for k, v in context.invocation_metadata()]
        with self.lock:
            self.calls.append({"method": method, "metadata": md,
                               "time_remaining": context.time_remaining()})
        return md

    def _unary(self, request, context):
        md = self._record("Unary", context)
        context.send_initial_metadata(tuple(("x-seen-" + k, v) for k, v in md
                                            if k.startswith("x-") and not k.endswith("-bin")))
        context.set_trailing_metadata((("x-trailer", "unary"),
                                       ("x-trailer-bin", b"\x00\x01\xfe\xff")))
        return request

    def _fail(self, request, context):
        self._record("Fail", context)
        context.set_trailing_metadata((("x-error-detail", "looked everywhere"),))
        context.abort(grpc.StatusCode.NOT_FOUND,
                      "no such thing: %s" % request.decode("utf-8", "replace"))

    def _fail_late(self, request, context):
        self._record("FailLate", context)
        yield b"partial"
        context.set_trailing_metadata((("x-error-detail", "after one message"),))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "out of quota after one message")

    def _download(self, request, context):
        self._record("Download", context)
        count, size = (int(x) for x in request.split(b":"))
        for i in range(count):
            yield message(i, size)
        context.set_trailing_metadata((("x-sent-bytes", str(count * size)),))

    def _upload(self, request_iterator, context):
        self._record("Upload", context)
        digest = hashlib.sha256()
        count = total = 0
        for m in request_iterator:
            digest.update(m)
            count += 1
            total += len(m)
        context.set_trailing_metadata((("x-received", str(total)),))
        return b"%d:%d:%s" % (count, total, digest.hexdigest().encode())

    def _chat(self, request_iterator, context):
        self._record("Chat", context)
        count = 0
        for m in request_iterator:
            count += 1
            yield b"re:" + m
        context.set_trailing_metadata((("x-chat-count", str(count)),))

    def _hang(self, request, context):
        self._record("Hang", context)
        event = self.cancel_event("Hang")
        context.add_callback(lambda: None if context.is_active() else event.set())
        yield b"started"
        deadline = time.monotonic() + 60
        while context.is_active() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not context.is_active():
            event.set()

    def _sleep(self, request, context):
        self._record("Sleep", context)
        end = time.monotonic() + int(request) / 1000.0
        while context.is_active() and time.monotonic() < end:
            time.sleep(0.01)
        if not context.is_active():
            self.cancel_event("Sleep").set()
        return b"slept"
