"""A test analytics server for the gateway's usage-data uploads (WSO2 API
Microgateway 3.x's file-upload analytics), on a free loopback port.

    with AnalyticsServer(username="admin", password="s3cret") as an:
        an.url                      # http://127.0.0.1:PORT/analytics/v1.0/usage/upload-file
        an.set_mode("outage")       # 503 for every upload ("ok" -> 201 again)
        an.set_mode("duplicate")    # WSO2's 500 "A duplicate entry found for the file"
        an.uploads                  # [Upload]: every accepted zip, raw bytes and headers
        an.lines()                  # the event lines of every accepted zip, in order

It checks what WSO2's analytics server would: POST, Basic credentials (else
401), multipart/form-data with one part named `file` whose filename equals the
`FileName` header, and a zip whose one entry is `api-usage-data.dat`. A
request that breaks a rule is answered 400 and kept in `rejected` with the
reason, so tests can assert it never happened. A zip name received twice gets
WSO2's duplicate-entry 500, as the real server answers. Python stdlib only.
"""

import base64
import http.server
import io
import re
import threading
import zipfile

import mgw_harness as h

UPLOAD_PATH = "/analytics/v1.0/usage/upload-file"
DUPLICATE_BODY = b'{"code":500,"message":"A duplicate entry found for the file"}'
ZIP_NAME = re.compile(
    r"^api-usage-data\.dat\.(\d{13})\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{12}\.zip$")


class Upload:
    """One accepted upload."""

    def __init__(self, file_name, content, headers, entry_name, data):
        self.file_name = file_name
        self.content = content  # the zip's bytes, as received
        self.headers = headers  # {lower-case name: value}
        self.entry_name = entry_name
        self.data = data  # the zip entry's bytes (api-usage-data.dat)

    def lines(self):
        return self.data.decode("utf-8").splitlines()


def parse_multipart(content_type, body):
    """[(headers dict lower-case, content bytes)] of a multipart body, strictly."""
    m = re.match(r'^multipart/form-data;\s*boundary="?([^";]+)"?$', content_type or "")
    if not m:
        raise ValueError("Content-Type is not multipart/form-data with a boundary: %r"
                         % content_type)
    delimiter = b"--" + m.group(1).encode()
    if not body.startswith(delimiter + b"\r\n"):
        raise ValueError("body does not start with the boundary")
    if not body.endswith(delimiter + b"--\r\n"):
        raise ValueError("body does not end with the closing boundary")
    parts = []
    for chunk in body[:-len(delimiter + b"--\r\n")].split(delimiter)[1:]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError("part not framed by CRLF")
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part without a blank line after its headers")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _answer(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reject(self, why):
        self.server.note_rejected(why)
        self._answer(400, why.encode())

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        srv = self.server
        srv.note_attempt(self.headers.get("FileName", ""))
        if self.path != UPLOAD_PATH:
            return self._answer(404, b'{"message":"no such resource"}')
        if self.headers.get("Authorization", "") != srv.expected_authorization():
            return self._answer(401, b'{"message":"invalid credentials"}')
        mode = srv.mode
        if mode == "outage":
            return self._answer(503, b'{"message":"analytics server unavailable"}')
        try:
            upload = self._read_upload(body)
        except ValueError as e:
            return self._reject(str(e))
        if mode == "duplicate" or srv.has(upload.file_name):
            srv.note_duplicate(upload.file_name)
            return self._answer(500, DUPLICATE_BODY)
        srv.note_upload(upload)
        self._answer(201, b'{"message":"file uploaded"}')

    def _read_upload(self, body):
        file_name = self.headers.get("FileName", "")
        if not ZIP_NAME.match(file_name):
            raise ValueError("FileName header %r is not api-usage-data.dat.<ms>.<uuid>.zip"
                             % file_name)
        parts = parse_multipart(self.headers.get("Content-Type"), body)
        if len(parts) != 1:
            raise ValueError("expected one part, got %d" % len(parts))
        headers, content = parts[0]
        disposition = headers.get("content-disposition", "")
        if not re.match(r'^form-data; name="file"; filename="%s"$' % re.escape(file_name),
                        disposition):
            raise ValueError("part Content-Disposition %r does not name part `file` with "
                             "filename = the FileName header" % disposition)
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = z.namelist()
            if names != ["api-usage-data.dat"]:
                raise ValueError("zip entries %r, expected ['api-usage-data.dat']" % names)
            data = z.read("api-usage-data.dat")
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return Upload(file_name, content, lowered, names[0], data)


class AnalyticsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, username="admin", password="admin", port=0):
        super().__init__((h.LOOPBACK, port or h.free_port()), _Handler)
        self.username = username
        self.password = password
        self.mode = "ok"
        self.uploads = []
        self.attempts = []  # FileName of every POST, answered or not
        self.duplicates = []
        self.rejected = []
        self._lock = threading.Lock()
        self._thread = None

    @property
    def port(self):
        return self.server_address[1]

    @property
    def url(self):
        return "http://%s:%d%s" % (h.LOOPBACK, self.port, UPLOAD_PATH)

    def expected_authorization(self):
        token = base64.b64encode(("%s:%s" % (self.username, self.password)).encode()).decode()
        return "Basic " + token

    def set_mode(self, mode):
        assert mode in ("ok", "outage", "duplicate"), mode
        self.mode = mode

    def reset(self):
        """Forgets what was received and answers 201 again."""
        with self._lock:
            self.mode = "ok"
            self.uploads, self.attempts, self.duplicates, self.rejected = [], [], [], []

    def has(self, file_name):
        with self._lock:
            return any(u.file_name == file_name for u in self.uploads)

    def note_attempt(self, file_name):
        with self._lock:
            self.attempts.append(file_name)

    def note_upload(self, upload):
        with self._lock:
            self.uploads.append(upload)

    def note_duplicate(self, file_name):
        with self._lock:
            self.duplicates.append(file_name)

    def note_rejected(self, why):
        with self._lock:
            self.rejected.append(why)

    def lines(self):
        with self._lock:
            uploads = list(self.uploads)
        return [line for u in uploads for line in u.lines()]

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
