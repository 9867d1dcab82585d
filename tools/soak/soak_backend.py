"""The soak's backend: the harness's TestBackend (http and https) in its own process, with chaos.

Run by tools/soak/soak.py (not by hand):
    python3 soak_backend.py --http-port P --https-port Q --cert C --key K --sabotage-log F

A separate process so that the backend does not share the driver's GIL, and so
that the soak can kill it (a real crash: every connection dies with it) and
start it again on the same ports.

Chaos: requests that carry an X-Soak-Id header may be sabotaged with the
probabilities set through GET /__soak/chaos?reset=P&reset_mid=P&stall=P&stall_mid=P&bad_status=P&bad_name=P
(on either port, never sabotaged itself):
  reset      close with RST before answering           (gateway: 502)
  reset_mid  read the body, send a 200 head and part of the body, then RST
  stall      sleep STALL seconds before answering      (gateway: 504)
  stall_mid  send a 200 head and part of the body, then go silent STALL seconds
  bad_status answer with a status outside 100-599 (000, 20, 600)   (gateway: 502)
  bad_name   answer with a header name that is not a token, e.g.
             "Content-Length : 5"                                   (gateway: 502)
Each sabotage is appended to the sabotage log as "<soak-id> <action> <unix-time>"
so the driver can tell a fault it caused from a gateway bug.
"""

import argparse
import os
import random
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "test", "support"))
import mgw_harness as h  # noqa: E402

ACTIONS = ("reset", "reset_mid", "stall", "stall_mid", "bad_status", "bad_name")

# Responses no gateway may pass on (the gateway must answer 502 instead).
GARBAGE = {
    "bad_status": (b"HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok",
                   b"HTTP/1.1 20 Short\r\nContent-Length: 2\r\n\r\nok",
                   b"HTTP/1.1 600 Big\r\nContent-Length: 2\r\n\r\nok"),
    "bad_name": (b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
                 b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n"
                 b"\r\nhello"),
}


class Chaos:
    def __init__(self, log_path, stall_seconds):
        self.lock = threading.Lock()
        self.probabilities = {a: 0.0 for a in ACTIONS}
        self.stall_seconds = stall_seconds
        self.log = open(log_path, "a", buffering=1)
        self.rng = random.Random()

    def set(self, values):
        with self.lock:
            for a in ACTIONS:
                if a in values:
                    self.probabilities[a] = float(values[a])
            return dict(self.probabilities)

    def pick(self, soak_id):
        with self.lock:
            x = self.rng.random()
            for a in ACTIONS:
                p = self.probabilities[a]
                if x < p:
                    self.log.write("%s %s %.3f\n" % (soak_id, a, time.time()))
                    return a
                x -= p
        return None


CHAOS = None


class SoakHandler(h._BackendHandler):
    def _handle(self):
        if self.path.startswith("/__soak/chaos"):
            args = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            self._read_body()
            now = CHAOS.set(args)
            body = (" ".join("%s=%s" % kv for kv in sorted(now.items())) + "\n").encode()
            return self._send(200, body, "text/plain")
        soak_id = self.headers.get("X-Soak-Id")
        action = CHAOS.pick(soak_id) if soak_id else None
        if action is None:
            return super()._handle()
        if action == "reset":
            return self._reset()
        if action == "stall":
            time.sleep(CHAOS.stall_seconds)
            return super()._handle()
        if action in GARBAGE:
            try:
                self._read_body()
            except (ConnectionError, ValueError):
                pass
            self.close_connection = True
            self.wfile.write(random.choice(GARBAGE[action]))
            self.wfile.flush()
            return
        # reset_mid / stall_mid: a head that promises more than is sent.
        try:
            self._read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True
            return
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", "200000")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"p" * 50000)
        self.wfile.flush()
        if action == "stall_mid":
            time.sleep(CHAOS.stall_seconds)
            self.connection.close()
        else:
            self._reset()


    # The parent binds do_GET & co. to its own _handle; rebind them to ours.
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class CertShim:
    """Stands in for TestCA: TestBackend calls issue() for its server certificate."""

    def __init__(self, cert, key):
        self.pair = (cert, key)

    def issue(self):
        return self.pair


def main():
    global CHAOS
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--https-port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--sabotage-log", required=True)
    ap.add_argument("--stall-seconds", type=float, default=2.5)
    args = ap.parse_args()
    CHAOS = Chaos(args.sabotage_log, args.stall_seconds)

    class Backend(h.TestBackend):
        request_queue_size = 256

        def note_request(self, record):  # keep no records: the soak runs for minutes
            with self.lock:
                self.requests += 1

    plain = Backend(port=args.http_port)
    plain.RequestHandlerClass = SoakHandler
    tls = Backend(port=args.https_port, ca=CertShim(args.cert, args.key))
    tls.RequestHandlerClass = SoakHandler
    plain.start()
    tls.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("soak backend: http %d https %d" % (plain.port, tls.port), flush=True)
    while not stop.wait(1.0):
        pass
    # A crash, not a drain: exit without closing anything politely.
    os._exit(0)


if __name__ == "__main__":
    main()
