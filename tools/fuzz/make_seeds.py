#!/usr/bin/env python3
"""Writes the seed corpus test/fuzz/corpus/<target>/seed_* (run from anywhere).

Seeds are small, meaningful inputs in each driver's input layout (see the
comment at the top of each test/fuzz/*_fuzz.cc). Files not named seed_*
(minimized finds, fixed crash reproducers) are left alone.
"""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test" / "fuzz" / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed_" + name)).write_bytes(data)


def write_crash(target, name, data):
    """A reproducer of a known, unfixed bug: test/fuzz/crashes/<target>/."""
    d = CORPUS.parent / "crashes" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def write_repro(target, name, data):
    """A reproducer of a fixed bug: replayed with the corpus from now on."""
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("repro_" + name)).write_bytes(data)


def conf_text(name):
    return (ROOT / "conf" / name).read_bytes()


# http1_codec_fuzz: 8 control bytes, then the client's bytes.
WAIT = b"\x00\x03\x03\x03\x03\x03\x03\x03"      # default limits, 4-byte chunks, answer later
WHOLE = b"\x00\x83\x83\x83\x83\x83\x83\x83"     # one chunk, answer later
LOCAL = b"\x00\xff\xff\xff\xff\xff\xff\xff"     # local reply from decodeHeaders
SMALL = b"\x3f\x01\x01\x01\x01\x01\x01\x01"     # tiny limits, 2-byte chunks
CONT = b"\x00\x81\x86\x81\x86\x81\x86\x81"      # 100-continue, whole input
H = {
    "get": b"GET /petstore/v1/pets?limit=2 HTTP/1.1\r\nHost: gw\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "post_cl": b"POST /petstore/v1/pets HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"name\":\"x\"}\nGET / HTTP/1.1\r\nHost: gw\r\n\r\n",
    "chunked_trailers": b"POST /up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n",
    "chunked": b"PUT /up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: gw\r\n\r\n",
    "expect": b"POST /up HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
    "http10": b"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /old2 HTTP/1.0\r\n\r\n",
    "absolute": b"GET http://gw.example.com:9090/petstore/v1/pets HTTP/1.1\r\nHost: gw.example.com\r\n\r\n",
    "cl_te": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab",
    "space_colon": b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
    "upgrade": b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "connect": b"CONNECT backend:443 HTTP/1.1\r\nHost: backend:443\r\n\r\n",
    "http2": b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    "no_host": b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
    "te_gzip": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "folded": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n  two\r\n\r\n",
}
for name, req in H.items():
    write("http1_codec_fuzz", name, WAIT + req)
write("http1_codec_fuzz", "get_local", LOCAL + H["get"])
# Fixed in d39302f: request body bytes reached the stream after its local reply
# ended it (a use-after-free in ConnectionManager, which deletes the stream).
write_repro("http1_codec_fuzz", "local_reply_then_body",
            LOCAL + b"POST /unknown HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello")
write_repro("http1_codec_fuzz", "early_reply_then_body",
            b"\x00\x03\x03\x00\x00\x00\x00\x00" + b"PUT /up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
write("http1_codec_fuzz", "pipelined_whole", WHOLE + H["pipelined"])
write("http1_codec_fuzz", "chunked_small", SMALL + H["chunked_trailers"])
write("http1_codec_fuzz", "uri_small", SMALL + H["get"])
write("http1_codec_fuzz", "expect_continue", CONT + H["expect"])
write("http1_codec_fuzz", "body_limit", b"\x20\x03\x03\x03\x03\x03\x03\x03" + H["post_cl"])

# Issue 6: what the codec refuses or strips. Each request is followed by a
# pipelined GET that must never be parsed after a refusal.
NEXT = b"GET /next HTTP/1.1\r\nHost: gw\r\n\r\n"
TE = b"POST /up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
STRICT = {
    "chunk_data_no_crlf": TE + b"5\r\nhelloXY0\r\n\r\n",
    "chunk_bare_cr": TE + b"5\rXhello\r\n0\r\n\r\n",
    "chunk_ext_bare_lf": TE + b"5;a=b\nhello\r\n0\r\n\r\n",
    "chunk_size_bare_lf": TE + b"5\nhello\r\n0\r\n\r\n",
    "chunk_last_bare_lf": TE + b"5\r\nhello\r\n0\n\r\n",
    "chunk_ext_quoted": TE + b"5;a=\"x\\\"y\" ; b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
    "trailer_bare_lf": TE + b"1\r\nx\r\n0\r\nX: y\n\r\n",
    "head_bare_cr": b"GET / HTTP/1.1\r\nHost: gw\r\n\rX",
    "target_tab": b"GET /a\tb HTTP/1.1\r\nHost: gw\r\n\r\n",
    "target_high": b"GET /caf\xc3\xa9?q=\xff HTTP/1.1\r\nHost: gw\r\n\r\n",
    "target_fragment": b"DELETE /api/pets/# HTTP/1.1\r\nHost: gw\r\n\r\n",
    "empty_headers": b"GET / HTTP/1.1\r\nHost: gw\r\n" + b"X:\r\n" * 40 + b"\r\n",
    "underscores": TE[:-2] + b"X_Forwarded_For: 1.2.3.4\r\nProxy_Authorization: b\r\n\r\n"
                   + b"1\r\nx\r\n0\r\nX_T: 1\r\n\r\n",
}
for name, req in STRICT.items():
    write("http1_codec_fuzz", name, WAIT + req + NEXT)
# Header count 3 (bit 6) and underscore names rejected (bit 7).
write("http1_codec_fuzz", "header_count", b"\x40\x03\x03\x03\x03\x03\x03\x03"
      + b"GET / HTTP/1.1\r\nHost: gw\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n" + NEXT)
write("http1_codec_fuzz", "trailer_count", b"\x40\x83\x83\x83\x83\x83\x83\x83"
      + TE + b"1\r\nx\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n" + NEXT)
write("http1_codec_fuzz", "underscores_reject", b"\x80\x03\x03\x03\x03\x03\x03\x03"
      + STRICT["underscores"] + NEXT)

# connect_reader_fuzz: mode byte (1 read(evbuffer), 2 finish(), 4 large chunks),
# 3 chunk-size bytes, then the proxy's bytes.
C = {
    "200": b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01\x00\x05hello",
    "200_headers": b"HTTP/1.1 200 OK\r\nProxy-Agent: squid/5.7\r\nVia: 1.1 proxy\r\n\r\nSSH-2.0-OpenSSH\r\n",
    "100_then_200": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\ntunnel",
    "407": b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"squid\"\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 12\r\n\r\naccess denyHTTP/1.1 200 OK\r\n\r\n",
    "403_chunked": b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n0\r\n\r\n",
    "502_eof": b"HTTP/1.0 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad gateway</html>",
    "garbage": b"SSH-2.0-OpenSSH_9.2\r\n",
    "http09": b"HTTP/1.1 2000 OK\r\n\r\n",
    "200_cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "big_header": b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 8200 + b"\r\n\r\n",
}
modes = [b"\x00\x05\x83\x02", b"\x01\x81\x02\x07", b"\x02\x00\x01\x02", b"\x07\x03\x05\x7f"]
for i, (name, resp) in enumerate(C.items()):
    write("connect_reader_fuzz", name, modes[i % len(modes)] + resp)
write("connect_reader_fuzz", "407_evbuffer", b"\x03\x01\x01\x01" + C["407"])

# request_target_fuzz: method byte (0 GET, 1 POST, 2 PUT, 3 DELETE, 4 HEAD,
# 5 OPTIONS, 6 PATCH, 7 empty), then the target.
T = [
    (0, b"/petstore/v1/pets?limit=2"),
    (0, b"/petstore/v1/pets/42"),
    (3, b"/petstore/v1/pets/42"),
    (2, b"/petstore/v1/pets"),
    (0, b"/petstore/v1/pets/%2e%2e/admin"),
    (0, b"/petstore/v1/pets/.%2E/x"),
    (0, b"/petstore/v1/./pets"),
    (0, b"http://gw.example.com:9090/petstore/v1/pets?x=1"),
    (0, b"HTTPS://gw?q"),
    (0, b"*"),
    (0, b"gw.example.com:443"),
    (0, b"/shop/v2/items/7/reviews/9"),
    (2, b"/petstore/a/b/c"),
    (4, b"/m/x"),
    (5, b"/m/a/"),
    (0, b"/petstore/v1//pets"),
    (0, b"/petstore/v1/pets%00.json"),
    (0, b"/petstore/v1"),
    (0, b"/m?/../x"),
    (3, b"/petstore/v1/pets/#"),
    (3, b"/petstore/v1/pets/;x"),
    (0, b"/petstore/v1/pets/1;v=2"),
    (0, b"/petstore/v1/pets/\tx\x80"),
]
for i, (m, t) in enumerate(T):
    write("request_target_fuzz", "%02d" % i, bytes([m]) + t)

# config_fuzz: "<toml>\0<api yaml>\0<filters yaml>".
mgw = conf_text("micro-gw.conf")
pet = conf_text("apis/petstore.yaml")
filters = conf_text("filters.yaml")
write("config_fuzz", "defaults", mgw + b"\0" + pet + b"\0" + filters)
proxy_toml = b"""[listenerConfig]
  httpPort = 9090
  maxEntityBodySize = 1048576
[httpClients]
  connectTimeoutInMillis = 2000
  [httpClients.proxy]
    enable = true
    host = "squid.internal"
    port = 3128
    username = "gw"
    password = "Sup3rS3cretPw"
    nonProxyHosts = ["localhost", ".internal.example.com", "10.0.0.0/8"]
    httpMode = "forward"
[accessLog]
  path = "/var/log/microgw/access.log"
"""
api_proxy = b"""openapi: 3.0.0
info:
  title: Orders
  version: v2
x-wso2-basePath: /orders/{version}
x-wso2-production-endpoints:
  urls:
    - https://orders.example.com:8443/api
    - http://[::1]:8080
  type: failover
  proxy:
    host: proxy.example.com
    port: 8080
    username: orders
    password: "YamlPr0xyPw"
    httpMode: connect
x-wso2-cors:
  access-control-allow-origins: ["*"]
paths:
  /orders/{id}:
    get:
      x-wso2-throttling-tier: Gold
    put:
      x-wso2-disable-security: false
      x-wso2-production-endpoints:
        urls: [http://10.0.0.5/]
        proxy: none
"""
write("config_fuzz", "proxy", proxy_toml + b"\0" + api_proxy + b"\0" + filters)
write("config_fuzz", "typo", b"[httpClients.proxy]\n  enabel = true\n  password = \"An0therPw\"\n  passwordEnv = \"PROXY_PASS\"\n\0" +
      pet.replace(b"x-wso2-basePath", b"x-wso2-basepath") + b"\0filters:\n  - name: router\n    config: {a: [1, 2]}\n")
write("config_fuzz", "envpass", b"[httpClients.proxy]\n  enabled = true\n  host = \"p\"\n  passwordEnv = \"PROXY_PASS\"\n  port = 99999\n\0\0filters: 3\n")
write("config_fuzz", "noproxy_section", b"[listenerConfig]\nworkers = 2\n\0openapi: 3.0.0\n\0")
write("config_fuzz", "bad_types", b"[admin]\nport = \"x\"\n[httpClients.proxy]\npassword = 1234567\n\0x-wso2-basePath: [1]\n\0- a\n")

# Fixed in d39302f: cpptoml's "Bare key ... cannot contain whitespace" error
# quoted the whole line, password included (a YAML habit: `password: "..."`).
write_repro("config_fuzz", "toml_colon_password",
            b'[httpClients.proxy]\n  enabled = true\n  host = "squid"\n  password: "Hunter2pw"\n\0\0')

# Known bug: an unclosed quote in x-wso2-basePath swallows the following lines,
# and the basePath error quotes them all, the endpoint proxy password included.
write_repro("config_fuzz", "yaml_unclosed_quote_password",
            b"\0openapi: 3.0.0\ninfo: {title: T, version: v1}\nx-wso2-basePath: 'orders/{version}\n"
            b"x-wso2-production-endpoints:\n  urls: [http://b/]\n  proxy:\n    host: p\n"
            b"    password: \"YamlPr0xyPw\"\npaths: {}\n\0")
# Known bug: after an early reply ended the connection, a parse error in the
# rest of the request is still reported (a second response on the wire).
write_repro("http1_codec_fuzz", "early_reply_then_protocol_error",
            b"\x00\x03\x03\x03\x03\x03\x00\x03PUT /up HTTP/1.1\r\nHost: gw\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\x03\x03\x03\x03POST / HTTP/1.1\r\n")

# no_proxy_fuzz: 2-byte big-endian port, then "<list>\n<host>".
N = [
    (443, b"localhost,.internal.example.com,10.0.0.0/8\napi.internal.example.com"),
    (443, b"*\nanything"),
    (8080, b"host:8080, [::1]:9000 | 192.168.0.0/16\n[::1]"),
    (80, b"2001:db8::/32,[fe80::]/10\n2001:DB8::1"),
    (3128, b"*.example.com example.org.\nWWW.EXAMPLE.ORG."),
    (0, b"10.1.2.3,::ffff:10.1.2.3\n10.1.2.3"),
    (1, b"bad/33,[::1,:80,a*b\nx"),
    (443, b"example.com\nevilexample.com"),
]
for i, (p, s) in enumerate(N):
    write("no_proxy_fuzz", "%02d" % i, bytes([p >> 8, p & 255]) + s)

# router_response_fuzz: byte 0 = request (0 GET, 1 HEAD, 2 chunked POST with
# trailers; +0x80 = a reused connection), 7 control bytes, then the backend's bytes.
WHOLE = b"\x80\x80\x80\x80\x80\x80\x80"        # one write, no pause, no close
WHOLE_EOF = b"\x80\x81\x81\x81\x81\x81\x81"    # one write, then the backend closes
SMALL_PAUSED = b"\x44\x03\x02\x45\x07\x01\x41"  # small writes, client buffer full at times
R = [
    ("get_cl", 0, WHOLE, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"),
    ("get_chunked_trailers", 0, SMALL_PAUSED,
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
     b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nSet-Cookie: s=1\r\n"
     b"Content-Length: 99\r\nX-Forwarded-For: 1.2.3.4\r\nHost: evil\r\n\r\n"),
    ("trailer_space_in_name", 0, WHOLE,
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
     b"Transfer-Encoding : chunked\r\nX-Ok: 1\r\n\r\n"),
    ("status_000", 0, WHOLE, b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n"),
    ("status_20", 0, WHOLE, b"HTTP/1.1 20 Short\r\nContent-Length: 0\r\n\r\n"),
    ("status_600", 0, WHOLE, b"HTTP/1.1 600 Big\r\nContent-Length: 0\r\n\r\n"),
    ("space_in_content_length", 0, WHOLE, b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"),
    ("space_in_transfer_encoding", 0, WHOLE,
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    ("no_content_with_length", 0, WHOLE, b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
    ("not_modified", 0, WHOLE, b"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\nETag: \"a\"\r\n\r\n"),
    ("head_with_length", 1, WHOLE, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
    ("interim_then_final", 0, SMALL_PAUSED,
     b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
     b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("close_delimited", 0, WHOLE_EOF, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabcdef"),
    ("closed_mid_body", 0, WHOLE_EOF, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"),
    ("reused_closed_before_answer", 0x80, WHOLE_EOF, b""),
    ("post_trailers", 2, WHOLE, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ("connection_named", 0, WHOLE,
     b"HTTP/1.1 200 OK\r\nConnection: X-Hop, close\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
     b"Proxy-Authenticate: Basic\r\nContent-Length: 1\r\n\r\nx"),
    ("switching_protocols", 0, WHOLE,
     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
     b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ("bad_chunk_framing", 0, WHOLE,
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n"),
    ("cl_and_chunked", 0, WHOLE,
     b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
]
for name, kind, ctl, body in R:
    write("router_response_fuzz", name, bytes([kind]) + ctl + body)
# Found by the fuzzer: a 1xx response with a Content-Length had its body passed
# on, ahead of the final response's body.
write_repro("router_response_fuzz", "interim_with_body",
            b"\x00\x44\x03\x02\x45\x07\x01\x41HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hint00 OK\r\nContent-Length: 2\r\n\r\nok")

# http2_codec_fuzz: 8 control bytes, then HTTP/2 frames after the preface.
def h2_frame(ftype, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def hpack_literal(name, value):
    """A literal field without indexing, no Huffman (RFC 7541 6.2.2)."""
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def h2_request(stream, path=b"/", method=b"GET", extra=(), flags=0x5):
    block = b"".join(hpack_literal(n, v) for n, v in
                     [(b":method", method), (b":path", path), (b":scheme", b"http"),
                      (b":authority", b"gw")] + list(extra))
    return h2_frame(0x1, flags, stream, block)


H2_SETTINGS = h2_frame(0x4, 0, 0, b"\x00\x04\x00\x01\x00\x00")  # INITIAL_WINDOW_SIZE 65536
H2_ANSWER = b"\x00\x84\x85\x86\x87\xc4\xc5\xe6"  # default limits; respond, whole input at once
H2_STEP = b"\x00\x04\x11\x02\x13\x05\x01\x87"   # small chunks, mixed answers
write("http2_codec_fuzz", "get", H2_ANSWER + H2_SETTINGS + h2_request(1))
write("http2_codec_fuzz", "three_streams", H2_STEP + H2_SETTINGS + h2_request(1) +
      h2_request(3, b"/a?b=c") + h2_request(5, b"/x", extra=[(b"cookie", b"a=1"), (b"cookie", b"b=2")]))
write("http2_codec_fuzz", "post_body_trailers", H2_STEP + h2_request(1, b"/up", b"POST", flags=0x4) +
      h2_frame(0x0, 0, 1, b"hello") + h2_frame(0x1, 0x5, 1, hpack_literal(b"x-sum", b"1")))
write("http2_codec_fuzz", "rst_and_ping", H2_STEP + h2_request(1, flags=0x4) +
      h2_frame(0x3, 0, 1, b"\x00\x00\x00\x08") + h2_frame(0x6, 0, 0, b"12345678") +
      h2_frame(0x8, 0, 0, b"\x00\x01\x00\x00") + h2_request(3))
write("http2_codec_fuzz", "continuation", H2_ANSWER + h2_request(1, flags=0x1) +
      h2_frame(0x9, 0x4, 1, hpack_literal(b"x-a", b"b")))
write("http2_codec_fuzz", "limits", b"\x1f\x84\x85\x86\x87\xc4\xc5\xe6" +
      h2_request(1, b"/a-long-path-over-16", extra=[(b"x_under", b"1"), (b"x-big", b"v" * 80)]) +
      h2_request(3, b"/p", b"POST", flags=0x4) + h2_frame(0x0, 0x1, 3, b"more than ten bytes"))
write("http2_codec_fuzz", "bad_frames", H2_STEP + h2_frame(0x0, 0x1, 7, b"x") +
      h2_frame(0x4, 0, 1, b"") + h2_frame(0x1, 0x5, 2, b"\x82"))

if __name__ == "__main__":
    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    print("corpus: %d files, %d bytes" % (sum(1 for f in CORPUS.rglob("*") if f.is_file()), total))
