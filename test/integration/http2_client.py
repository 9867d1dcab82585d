"""A small blocking HTTP/2 client over a raw socket for the gateway's HTTP/2
tests: python3-h2 (Debian) for well-behaved traffic, hyperframe/hpack for
hand-built abusive frames. h2c with prior knowledge (the preface first).
"""

import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
import hyperframe.frame as hf

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ENHANCE_YOUR_CALM = 0xB


class Stream:
    def __init__(self):
        self.headers = None
        self.data = bytearray()
        self.trailers = None
        self.ended = False
        self.reset_code = None

    def status(self):
        return int(dict(self.headers or [])[":status"]) if self.headers else None

    def header(self, name):
        for k, v in self.headers or []:
            if k == name:
                return v
        return None


class H2Client:
    """One h2c connection. `window` sets SETTINGS_INITIAL_WINDOW_SIZE; with
    auto_ack False the client never sends WINDOW_UPDATE (a client that does
    not read). index False: the client adds nothing to the gateway's HPACK
    decoder table (as the idle memory bench's client)."""

    def __init__(self, host, port, window=None, auto_ack=True, timeout=30.0, rcvbuf=None,
                 index=True, tls=None):
        """tls: an ssl.SSLContext: HTTP/2 over TLS (the context must offer ALPN h2)."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="localhost")
            if self.sock.selected_alpn_protocol() != "h2":
                raise AssertionError("ALPN chose %r, not h2" % self.sock.selected_alpn_protocol())
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.auto_ack = auto_ack
        self.streams = {}
        self.goaway = None  # error code of a GOAWAY received
        self.closed = False
        self.index = index
        self.conn.initiate_connection()
        if window is not None:
            self.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method, path, headers=(), body=None, trailers=None, end=True,
                authority="gw.example"):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":path", path), (":scheme", "http"),
                (":authority", authority)] + list(headers)
        if not self.index:
            # Literal never indexed (RFC 7541 6.2.3): nothing enters the
            # gateway's HPACK decoder table.
            hdrs = [hpack.NeverIndexedHeaderTuple(k, v) for k, v in hdrs]
        no_body = body is None and trailers is None
        self.conn.send_headers(sid, hdrs, end_stream=no_body and end)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=trailers is None and end)
        if trailers is not None:
            self.conn.send_headers(sid, list(trailers), end_stream=True)
        self.streams[sid] = Stream()
        self.flush()
        return sid

    def send_body(self, sid, data, end=True):
        """Sends `data` on stream `sid` as the gateway's flow-control windows allow."""
        view = memoryview(data)
        while view:
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                if not self.read_once(timeout=1.0):
                    raise AssertionError("HTTP/2 client: connection closed mid-body")
                continue
            self.conn.send_data(sid, bytes(view[:window]))
            view = view[window:]
            self.flush()
        if end:
            self.conn.end_stream(sid)
            self.flush()

    def reset(self, sid, code=8):
        self.conn.reset_stream(sid, error_code=code)
        self.flush()

    def read_once(self, timeout=None):
        """Reads what arrives (one recv); returns False once the connection closed."""
        if self.closed:
            return False
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except (ConnectionError, ssl.SSLError):  # over TLS: a close without close_notify
            data = b""
        if not data:
            self.closed = True
            return False
        for ev in self.conn.receive_data(data):
            self._event(ev)
        self.flush()
        return True

    def _event(self, ev):
        s = self.streams.get(getattr(ev, "stream_id", None))
        if isinstance(ev, h2.events.ResponseReceived):
            s.headers = ev.headers
        elif isinstance(ev, h2.events.DataReceived):
            s.data += ev.data
            if self.auto_ack and ev.flow_controlled_length:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.TrailersReceived):
            s.trailers = ev.headers
        elif isinstance(ev, h2.events.StreamEnded):
            s.ended = True
        elif isinstance(ev, h2.events.StreamReset):
            if s is not None:
                s.reset_code = ev.error_code
                s.ended = True
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.goaway = ev.error_code

    def wait(self, predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("HTTP/2 client: condition not met in %.0fs" % timeout)
            if not self.read_once(timeout=min(left, 1.0)) and not predicate():
                raise AssertionError("HTTP/2 client: connection closed first")
        return True

    def response(self, sid, timeout=30.0):
        self.wait(lambda: self.streams[sid].ended, timeout)
        return self.streams[sid]

    def get(self, path, **kw):
        return self.response(self.request("GET", path, **kw))

    def closed_by_peer(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.read_once(timeout=0.5):
                return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class RawH2:
    """Hand-built frames after the preface and an empty SETTINGS, for floods."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.encoder = hpack.Encoder()
        self.sock.sendall(PREFACE + hf.SettingsFrame(0).serialize())

    def header_block(self, path="/", extra=()):
        return self.encoder.encode([(":method", "GET"), (":path", path), (":scheme", "http"),
                                    (":authority", "gw.example")] + list(extra))

    def send(self, *frames):
        try:
            self.sock.sendall(b"".join(f.serialize() for f in frames))
            return True
        except OSError:
            return False  # the gateway closed the connection

    def frames(self, timeout=10.0, until=None):
        """Frames received until the connection closes, `timeout` passes, or
        `until(frame)` is true for one of them."""
        buf = b""
        out = []
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionError:
                break
            if not data:
                break
            buf += data
            while len(buf) >= 9:
                frame, length = hf.Frame.parse_frame_header(memoryview(buf[:9]))
                if len(buf) < 9 + length:
                    break
                frame.parse_body(memoryview(buf[9:9 + length]))
                out.append(frame)
                buf = buf[9 + length:]
            if until is not None and any(until(f) for f in out):
                break
        return out

    def goaway_code(self, timeout=10.0):
        """Reads until the connection closes; the last GOAWAY's error code, or None."""
        codes = [f.error_code for f in self.frames(timeout) if isinstance(f, hf.GoAwayFrame)]
        return codes[-1] if codes else None

    def close(self):
        self.sock.close()
