"""A small traffic manager for throttling tests (WSO2 ships none we can run).

It speaks the two sides of microgw's throttling contract (README "Throttling"):

- POST /throttleEventReceiver with `Authorization: Basic base64(user:pass)` and
  a body that is one WSO2 throttle event `{"event": {"metaData": {},
  "correlationData": {}, "payloadData": {...}}}` or a JSON array of them. Each
  event is checked (the fields, `properties` a JSON string with an integer
  `ip` or a string `ipv6`) and recorded; a bad one is recorded in `rejected`
  and answered 400. Wrong credentials get 401.
- GET /throttleDecisions (same Basic auth): `{"decisions": [{"throttleKey",
  "isThrottled", "expiryTimeStamp"}]}`, the keys the test blocked with block().

Python 3 stdlib only. Example:
    with TrafficManager(user="admin", password="s3cret") as tm:
        tm.block("/pets/v1:1.0.0", seconds=5)
        ... url = tm.url  (throttleEndpointUrl)
        tm.wait_for_events(3)
"""

import base64
import http.server
import json
import threading
import time

import mgw_harness as h

PAYLOAD_FIELDS = (
    "messageID", "appKey", "appTier", "apiKey", "apiTier", "subscriptionKey",
    "subscriptionTier", "resourceKey", "resourceTier", "userId", "apiContext", "apiVersion",
    "appTenant", "apiTenant", "appId", "apiName", "properties")


def check_event(event):
    """Returns "" for a valid WSO2 throttle event, else what is wrong."""
    if not isinstance(event, dict) or set(event) != {"event"}:
        return "not {\"event\": {...}}"
    body = event["event"]
    if not isinstance(body, dict):
        return "event is not an object"
    for part in ("metaData", "correlationData", "payloadData"):
        if not isinstance(body.get(part), dict):
            return "event.%s is not an object" % part
    payload = body["payloadData"]
    missing = [f for f in PAYLOAD_FIELDS if f not in payload]
    if missing:
        return "payloadData lacks %s" % ", ".join(missing)
    extra = [f for f in payload if f not in PAYLOAD_FIELDS]
    if extra:
        return "payloadData has unknown %s" % ", ".join(extra)
    for f in PAYLOAD_FIELDS:
        if not isinstance(payload[f], str):
            return "payloadData.%s is not a string" % f
    try:
        props = json.loads(payload["properties"])
    except ValueError:
        return "properties is not a JSON string"
    if not isinstance(props.get("ip"), int) and not isinstance(props.get("ipv6"), str):
        return "properties has neither an integer ip nor an ipv6 string"
    return ""


class TrafficManager:
    def __init__(self, user="admin", password="admin", port=None):
        self.user = user
        self.password = password
        self.port = port or h.free_port()
        self.lock = threading.Lock()
        self.events = []        # payloadData dicts, in arrival order
        self.posts = []         # (number of events, was_array) per accepted POST
        self.rejected = []      # reasons
        self.unauthorized = 0
        self.decision_polls = 0
        self.blocked = {}       # throttleKey -> expiryTimeStamp (epoch ms)
        self.delay = 0.0        # seconds to wait before answering an event POST
        self.server = None
        self.thread = None

    @property
    def url(self):
        """throttleEndpointUrl."""
        return "http://%s:%d/endpoints" % (h.LOOPBACK, self.port)

    def block(self, key, seconds):
        with self.lock:
            self.blocked[key] = int((time.time() + seconds) * 1000)

    def event_list(self):
        with self.lock:
            return list(self.events)

    def wait_for_events(self, n, timeout=10.0):
        return h.wait_until(lambda: len(self.event_list()) >= n and self.event_list(),
                            timeout=timeout, what="%d throttle events" % n)

    def wait_for_polls(self, n, timeout=10.0):
        def polled():
            with self.lock:
                return self.decision_polls >= n
        return h.wait_until(polled, timeout=timeout, what="%d decision polls" % n)

    def _handler(self):
        tm = self
        expected = "Basic " + base64.b64encode(
            ("%s:%s" % (tm.user, tm.password)).encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def authorized(self):
                if self.headers.get("Authorization") == expected:
                    return True
                with tm.lock:
                    tm.unauthorized += 1
                self.answer(401, b'{"error":"unauthorized"}')
                return False

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/endpoints/throttleEventReceiver":
                    return self.answer(404)
                if not self.authorized():
                    return None
                if tm.delay:
                    time.sleep(tm.delay)
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                events = doc if isinstance(doc, list) else [doc]
                reasons = [r for r in (check_event(e) for e in events) if r]
                with tm.lock:
                    if reasons:
                        tm.rejected.extend(reasons)
                    else:
                        tm.events.extend(e["event"]["payloadData"] for e in events)
                        tm.posts.append((len(events), isinstance(doc, list)))
                return self.answer(400 if reasons else 200)

            def do_GET(self):
                if self.path != "/endpoints/throttleDecisions":
                    return self.answer(404)
                if not self.authorized():
                    return None
                with tm.lock:
                    tm.decision_polls += 1
                    decisions = [{"throttleKey": k, "isThrottled": True, "expiryTimeStamp": v}
                                 for k, v in tm.blocked.items()]
                return self.answer(200, json.dumps({"decisions": decisions}).encode())

        return Handler

    def start(self):
        self.server = http.server.ThreadingHTTPServer((h.LOOPBACK, self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
