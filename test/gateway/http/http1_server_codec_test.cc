#include "gateway/http/http1_server_codec.h"

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test/gateway/http/http1_server_codec_test_fixture.h"

namespace gw::http {
namespace {

TEST_F(Http1ServerCodecTest, SimpleGet) {
  feed("GET /pets?limit=2 HTTP/1.1\r\nHost: api.example.com\r\nX-Trace:  abc  \r\n\r\n");
  ASSERT_EQ(cb_.events, (std::vector<std::string>{"headers GET /pets?limit=2 end"}));
  const RequestHeaders& r = cb_.requests[0];
  EXPECT_EQ(r.version_minor, 1);
  ASSERT_NE(r.headers.get("host"), nullptr);
  EXPECT_EQ(*r.headers.get("host"), "api.example.com");
  ASSERT_NE(r.headers.get("x-trace"), nullptr);
  EXPECT_EQ(*r.headers.get("x-trace"), "abc");  // trailing whitespace trimmed
  EXPECT_TRUE(codec().streamActive());
  EXPECT_TRUE(codec().requestComplete());
  EXPECT_TRUE(codec().keepAlive());
  EXPECT_EQ(cb_.error_status, 0);
}

TEST_F(Http1ServerCodecTest, PostContentLengthByteByByte) {
  feedByteByByte("POST /pets HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_EQ(cb_.requests.size(), 1u);
  EXPECT_EQ(cb_.events.front(), "headers POST /pets");
  EXPECT_EQ(cb_.body, "hello world");
  EXPECT_EQ(cb_.data_calls, 12);  // one per byte, then the empty end-of-stream
  EXPECT_EQ(cb_.events.back(), "data '' end");
  EXPECT_TRUE(codec().requestComplete());
  EXPECT_EQ(cb_.error_status, 0);
}

TEST_F(Http1ServerCodecTest, PostContentLengthInPieces) {
  feed("POST /pets HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234");
  EXPECT_FALSE(codec().requestComplete());
  EXPECT_EQ(cb_.body, "01234");
  feed("56789");
  EXPECT_EQ(cb_.body, "0123456789");
  EXPECT_EQ(cb_.events.back(), "data '' end");
  EXPECT_TRUE(codec().requestComplete());
}

TEST_F(Http1ServerCodecTest, ChunkedBodyWithTrailers) {
  feed(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\nX-Other: y\r\n\r\n");
  EXPECT_EQ(cb_.events.front(), "headers POST /up");
  EXPECT_EQ(cb_.body, "hello world");
  EXPECT_EQ(cb_.events.back(), "trailers");
  ASSERT_EQ(cb_.trailers.size(), 2u);
  EXPECT_EQ(*cb_.trailers.get("x-checksum"), "42");
  EXPECT_EQ(*cb_.trailers.get("x-other"), "y");
  // Trailers are not mixed into the request headers.
  EXPECT_FALSE(cb_.requests[0].headers.has("x-checksum"));
  EXPECT_TRUE(codec().requestComplete());
}

TEST_F(Http1ServerCodecTest, ChunkedBodyWithoutTrailersEndsWithEmptyData) {
  feedByteByByte(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(cb_.body, "abc");
  EXPECT_EQ(cb_.events.back(), "data '' end");
  EXPECT_TRUE(cb_.trailers.empty());
}

TEST_F(Http1ServerCodecTest, PipelinedRequestWaitsForResume) {
  feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(cb_.events, (std::vector<std::string>{"headers GET /a end"}));
  EXPECT_GT(pendingInput(), 0u);
  codec().dispatch(input_);  // still paused: no resume() yet
  EXPECT_EQ(cb_.requests.size(), 1u);

  respond(200, {{"Content-Length", "1"}}, "A");
  codec().resume();
  EXPECT_FALSE(codec().streamActive());
  codec().dispatch(input_);
  ASSERT_EQ(cb_.requests.size(), 2u);
  EXPECT_EQ(cb_.requests[1].path, "/b");
  EXPECT_EQ(pendingInput(), 0u);
  EXPECT_EQ(cb_.streams, 2);
  respond(200, {{"Content-Length", "1"}}, "B");
  EXPECT_EQ(output(),
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB");
}

TEST_F(Http1ServerCodecTest, PipelinedRequestWithBodyWaitsForResume) {
  feed(
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz");
  EXPECT_EQ(cb_.requests.size(), 1u);
  EXPECT_EQ(cb_.body, "abc");
  respond(204, {}, "", true);
  codec().resume();
  codec().dispatch(input_);
  ASSERT_EQ(cb_.requests.size(), 2u);
  EXPECT_EQ(cb_.body, "abcxyz");
  EXPECT_TRUE(codec().keepAlive());
}

TEST_F(Http1ServerCodecTest, LocalReplyInsideDecodeHeadersThenResumeDoesNotStall) {
  // What the connection manager does: a filter answers from decodeHeaders, the
  // response ends, and resume() runs before the parser reached the request's end.
  cb_.on_headers = [this](RequestHeaders& h, bool) {
    if (h.path != "/a") return;
    respond(401, {{"Content-Length", "2"}}, "no");
    codec().resume();
  };
  feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  if (cb_.requests.size() < 2) codec().dispatch(input_);  // a later read callback
  ASSERT_EQ(cb_.requests.size(), 2u);
  EXPECT_EQ(cb_.requests[1].path, "/b");
  EXPECT_TRUE(codec().streamActive());
  EXPECT_TRUE(codec().requestComplete());
  // The second request pauses normally at its end; a third waits for resume().
  feed("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(cb_.requests.size(), 2u);
  respond(200, {{"Content-Length", "0"}}, "");
  codec().resume();
  codec().dispatch(input_);
  ASSERT_EQ(cb_.requests.size(), 3u);
  EXPECT_EQ(cb_.requests[2].path, "/c");
}

TEST_F(Http1ServerCodecTest, LocalReplyInsideDecodeHeadersResumeAfterDispatch) {
  cb_.on_headers = [this](RequestHeaders& h, bool) {
    if (h.path == "/a") respond(403, {{"Content-Length", "0"}}, "");
  };
  feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(cb_.requests.size(), 1u);
  codec().resume();
  codec().dispatch(input_);
  ASSERT_EQ(cb_.requests.size(), 2u);
  EXPECT_EQ(cb_.requests[1].path, "/b");
}

TEST_F(Http1ServerCodecTest, LocalReplyBeforeBodyReadDisablesKeepAlive) {
  cb_.on_headers = [this](RequestHeaders&, bool) { respond(401, {{"Content-Length", "0"}}, ""); };
  feed("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
  EXPECT_FALSE(codec().keepAlive());
  EXPECT_EQ(output(),
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST_F(Http1ServerCodecTest, HeadResponseHasNoBodyBytes) {
  feed("HEAD /pets HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(cb_.requests.size(), 1u);
  EXPECT_EQ(cb_.requests[0].method, "HEAD");
  respond(200, {{"Content-Length", "5"}}, "hello");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
}

TEST_F(Http1ServerCodecTest, HeadResponseWithoutLengthIsNotChunked) {
  feed("HEAD /pets HTTP/1.1\r\nHost: h\r\n\r\n");
  ResponseHeaders h;
  cb_.encoder().encodeHeaders(h, false);
  cb_.encoder().encodeData("body", false);
  cb_.encoder().encodeData("", true);
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_TRUE(codec().keepAlive());
}

struct KeepAliveCase {
  const char* name;
  const char* request;
  bool keep_alive;
  const char* connection_header;  // in the response, or "" for none
};

TEST_F(Http1ServerCodecTest, KeepAliveTable) {
  const KeepAliveCase cases[] = {
      {"1.1 default", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, ""},
      {"1.1 close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false,
       "Connection: close\r\n"},
      {"1.0 default", "GET / HTTP/1.0\r\n\r\n", false, "Connection: close\r\n"},
      {"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true,
       "Connection: keep-alive\r\n"},
  };
  for (const KeepAliveCase& c : cases) {
    SCOPED_TRACE(c.name);
    codec_.reset();
    evbuffer_drain(output_, evbuffer_get_length(output_));
    feed(c.request);
    ASSERT_FALSE(cb_.requests.empty());
    EXPECT_EQ(codec().keepAlive(), c.keep_alive);
    respond(200, {{"Content-Length", "2"}}, "ok");
    EXPECT_EQ(output(), std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") +
                            c.connection_header + "\r\nok");
  }
}

// listenerConfig.keepAlive = "ALWAYS" | "NEVER" (WSO2's values; "AUTO" is the table above).
TEST_F(Http1ServerCodecTest, KeepAlivePolicyTable) {
  struct Case {
    const char* name;
    KeepAlivePolicy policy;
    const char* request;
    bool keep_alive;
    const char* connection_header;
  };
  const Case cases[] = {
      {"always, 1.0 default", KeepAlivePolicy::Always, "GET / HTTP/1.0\r\n\r\n", true,
       "Connection: keep-alive\r\n"},
      {"always, 1.1 close is honoured", KeepAlivePolicy::Always,
       "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, "Connection: close\r\n"},
      {"always, 1.1 default", KeepAlivePolicy::Always, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true,
       ""},
      {"never, 1.1 default", KeepAlivePolicy::Never, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", false,
       "Connection: close\r\n"},
      {"never, 1.0 keep-alive", KeepAlivePolicy::Never,
       "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false, "Connection: close\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    codec_.reset();
    limits_.keep_alive = c.policy;
    evbuffer_drain(output_, evbuffer_get_length(output_));
    cb_.requests.clear();
    feed(c.request);
    ASSERT_FALSE(cb_.requests.empty());
    EXPECT_EQ(codec().keepAlive(), c.keep_alive);
    respond(200, {{"Content-Length", "2"}}, "ok");
    EXPECT_EQ(output(), std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n") +
                            c.connection_header + "\r\nok");
  }
}

TEST_F(Http1ServerCodecTest, DisableKeepAliveAddsConnectionClose) {
  feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  codec().disableKeepAlive();
  EXPECT_FALSE(codec().keepAlive());
  respond(204, {}, "", true);
  EXPECT_EQ(output(), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
}

struct FramingCase {
  const char* name;
  const char* request;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> chunks;  // encodeData calls; the last one ends the stream
  bool end_in_headers;
  const char* expected;
  bool keep_alive_after;
};

TEST_F(Http1ServerCodecTest, ResponseFramingTable) {
  const char* get11 = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const char* get10ka = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  const FramingCase cases[] = {
      {"content-length passes through",
       get11,
       {{"Content-Length", "5"}},
       {"he", "llo"},
       false,
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
       true},
      {"1.1 no length -> chunked",
       get11,
       {{"Content-Type", "text/plain"}},
       {"he", "llo"},
       false,
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
       "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
       true},
      {"1.1 chunked, empty last chunk",
       get11,
       {},
       {"abcdefghijklmnopq", ""},
       false,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\nabcdefghijklmnopq\r\n0\r\n\r\n",
       true},
      {"1.0 no length -> close delimited",
       get10ka,
       {},
       {"hello"},
       false,
       "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello",
       false},
      {"end_stream, no length -> Content-Length: 0",
       get11,
       {},
       {},
       true,
       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       true},
      {"hop-by-hop headers dropped",
       get11,
       {{"Connection", "keep-alive"},
        {"Keep-Alive", "timeout=5"},
        {"Transfer-Encoding", "chunked"},
        {"Content-Length", "2"}},
       {"ok"},
       false,
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
       true},
      {"204 has no framing", get11, {}, {}, true, "HTTP/1.1 204 No Content\r\n\r\n", true},
  };
  for (const FramingCase& c : cases) {
    SCOPED_TRACE(c.name);
    codec_.reset();
    cb_.requests.clear();
    evbuffer_drain(output_, evbuffer_get_length(output_));
    feed(c.request);
    ASSERT_EQ(cb_.requests.size(), 1u);
    ResponseHeaders h;
    h.status = std::string(c.name).rfind("204", 0) == 0 ? 204 : 200;
    for (const auto& [n, v] : c.headers) h.headers.add(n, v);
    cb_.encoder().encodeHeaders(h, c.end_in_headers);
    for (size_t i = 0; i < c.chunks.size(); ++i) {
      cb_.encoder().encodeData(c.chunks[i], i + 1 == c.chunks.size());
    }
    EXPECT_EQ(output(), c.expected);
    EXPECT_EQ(codec().keepAlive(), c.keep_alive_after);
  }
}

TEST_F(Http1ServerCodecTest, ChunkedResponseTrailers) {
  feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ResponseHeaders h;
  cb_.encoder().encodeHeaders(h, false);
  cb_.encoder().encodeData("abc", false);
  HeaderMap t;
  t.add("X-Sum", "7");
  cb_.encoder().encodeTrailers(t);
  EXPECT_EQ(
      output(),
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 7\r\n\r\n");
}

TEST_F(Http1ServerCodecTest, ExpectContinueWrittenOnce) {
  feed("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(cb_.requests.size(), 1u);
  EXPECT_FALSE(cb_.requests[0].headers.has("expect"));  // consumed by the codec
  cb_.encoder().encode100Continue();
  cb_.encoder().encode100Continue();
  EXPECT_EQ(output(), "HTTP/1.1 100 Continue\r\n\r\n");
  feed("abc");
  EXPECT_EQ(cb_.body, "abc");
}

TEST_F(Http1ServerCodecTest, ExpectContinueNotSentWithoutExpect) {
  feed("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
  cb_.encoder().encode100Continue();
  EXPECT_EQ(output(), "");
}

TEST_F(Http1ServerCodecTest, ExpectContinueNotSentAfterResponseStarted) {
  feed("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  ResponseHeaders h;
  h.status = 413;
  cb_.encoder().encodeHeaders(h, false);
  output();
  cb_.encoder().encode100Continue();
  EXPECT_EQ(output(), "");
}

TEST_F(Http1ServerCodecTest, ExpectContinueIgnoredForHttp10) {
  feed("POST /u HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  cb_.encoder().encode100Continue();
  EXPECT_EQ(output(), "");
}

struct ErrorCase {
  const char* name;
  CodecLimits limits;
  std::string request;
  int status;
  bool byte_by_byte = false;
};

TEST_F(Http1ServerCodecTest, ProtocolErrorTable) {
  const CodecLimits def;
  const ErrorCase cases[] = {
      {"uri too long", makeLimits(10, 8192, 0), "GET /0123456789a HTTP/1.1\r\nHost: h\r\n\r\n",
       414},
      {"uri too long split", makeLimits(10, 8192, 0),
       "GET /0123456789a HTTP/1.1\r\nHost: h\r\n\r\n", 414, true},
      {"headers too large", makeLimits(4096, 32, 0),
       "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(40, 'x') + "\r\n\r\n", 431},
      {"many small headers too large", makeLimits(4096, 32, 0),
       "GET / HTTP/1.1\r\nHost: h\r\nA: 12345678\r\nB: 12345678\r\nC: 12345678\r\nD: 1\r\n\r\n",
       431},  // 9 + 3 * 13 + 7 + 2 = 57 bytes on the wire
      {"content-length over body limit", makeLimits(4096, 8192, 10),
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413},
      {"chunked body over limit", makeLimits(4096, 8192, 10),
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
       "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n",
       413},
      {"both content-length and transfer-encoding", def,
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
       400},
      {"two content-length", def,
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"garbage", def, "\x01\x02 not http at all\r\n\r\n", 400},
      {"http/1.1 without host", def, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
      {"transfer-encoding gzip", def,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"space before colon in content-length (smuggling)", def,
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello", 400},
      {"space before colon in transfer-encoding (smuggling)", def,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc",
       400},
      {"non-token header name", def, "GET / HTTP/1.1\r\nHost: h\r\nX(a): 1\r\n\r\n", 400},
      {"http/1.5", def, "POST / HTTP/1.5\r\n\r\n", 505},
      {"bad chunk size", def,
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeCallbacks cb;
    evbuffer* in = evbuffer_new();
    evbuffer* out = evbuffer_new();
    {
      Http1ServerCodec codec(cb, out, c.limits);
      if (c.byte_by_byte) {
        for (char ch : c.request) {
          evbuffer_add(in, &ch, 1);
          codec.dispatch(in);
        }
      } else {
        evbuffer_add(in, c.request.data(), c.request.size());
        codec.dispatch(in);
      }
      EXPECT_EQ(cb.error_status, c.status) << cb.error_message << ": " << cb.error_description;
      EXPECT_FALSE(cb.error_description.empty());
      EXPECT_FALSE(codec.keepAlive());
      // Nothing more is parsed after a protocol error.
      size_t streams = cb.streams;
      const char next[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
      evbuffer_add(in, next, sizeof(next) - 1);
      codec.dispatch(in);
      EXPECT_EQ(cb.streams, static_cast<int>(streams));
    }
    evbuffer_free(in);
    evbuffer_free(out);
  }
}

// BUG (gateway/http/http1_server_codec.cc:47 vs :53): the 501 guard for
// Upgrade / CONNECT in dispatch() is unreachable for the request itself,
// because onMessageComplete pauses the parser and dispatch() returns on
// HPE_PAUSED first. The request reaches newStream()/decodeHeaders() like any
// other request and is proxied; no 501 is ever sent.
TEST_F(Http1ServerCodecTest, UpgradeAndConnectAreRejectedWith501) {
  const char* requests[] = {
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
  };
  for (const char* request : requests) {
    SCOPED_TRACE(request);
    FakeCallbacks cb;
    evbuffer* in = evbuffer_new();
    evbuffer* out = evbuffer_new();
    {
      Http1ServerCodec codec(cb, out, limits_);
      evbuffer_add(in, request, strlen(request));
      codec.dispatch(in);
      EXPECT_EQ(cb.error_status, 501);
      EXPECT_EQ(cb.streams, 0);
      EXPECT_FALSE(codec.keepAlive());
    }
    evbuffer_free(in);
    evbuffer_free(out);
  }
}

TEST_F(Http1ServerCodecTest, LimitsAtExactlyTheMaximumAreAccepted) {
  // URI "/12345"; header section "Host: h\r\n" "Content-Length: 5\r\n" "\r\n"; body "abcde".
  limits_ = makeLimits(6, 9 + 19 + 2, 5);
  feed("POST /12345 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_EQ(cb_.error_status, 0) << cb_.error_description;
  EXPECT_EQ(cb_.body, "abcde");
}

TEST_F(Http1ServerCodecTest, UnlimitedBodyWhenLimitIsZero) {
  limits_.max_entity_body_size = 0;
  std::string big(100000, 'x');
  feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + big);
  EXPECT_EQ(cb_.error_status, 0);
  EXPECT_EQ(cb_.body.size(), big.size());
}

}  // namespace
}  // namespace gw::http
