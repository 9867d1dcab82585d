// What the codec refuses or strips (issue 6): request-target bytes, chunk
// framing, header and trailer limits on the wire, underscore header names,
// and framing headers on 204/304 responses.

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <string>

#include "gateway/common/strcat.h"
#include "gateway/http/http1_server_codec.h"
#include "gateway/stats/stats.h"
#include "test/gateway/http/http1_server_codec_test_fixture.h"

namespace gw::http {
namespace {

constexpr char kChunkedHead[] =
    "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

struct RefusalCase {
  const char* name;
  std::string request;
  int status;
  const char* description_part;  // a part of the logged description
};

// Runs `request` through a fresh codec (in one piece and byte by byte) and
// checks the refusal; nothing after it is parsed and no body end is delivered.
void expectRefused(const RefusalCase& c, const CodecLimits& limits) {
  for (bool byte_by_byte : {false, true}) {
    SCOPED_TRACE(std::string(c.name) + (byte_by_byte ? " (byte by byte)" : ""));
    FakeCallbacks cb;
    evbuffer* in = evbuffer_new();
    evbuffer* out = evbuffer_new();
    {
      Http1ServerCodec codec(cb, out, limits);
      std::string bytes = c.request + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
      if (byte_by_byte) {
        for (char ch : bytes) {
          evbuffer_add(in, &ch, 1);
          codec.dispatch(in);
        }
      } else {
        evbuffer_add(in, bytes.data(), bytes.size());
        codec.dispatch(in);
      }
      EXPECT_EQ(cb.error_status, c.status) << cb.error_description;
      EXPECT_NE(cb.error_description.find(c.description_part), std::string::npos)
          << cb.error_description;
      EXPECT_FALSE(codec.keepAlive());
      EXPECT_LE(cb.streams, 1);
      for (const std::string& e : cb.events) {
        bool ended = e.size() >= 4 && e.compare(e.size() - 4, 4, " end") == 0;
        EXPECT_FALSE(ended || e == "trailers") << "the request must not end normally: " << e;
      }
      for (const RequestHeaders& r : cb.requests) EXPECT_NE(r.path, "/next");
    }
    evbuffer_free(in);
    evbuffer_free(out);
  }
}

// http-parser (2.9) itself refuses the other control bytes and DEL.
TEST_F(Http1ServerCodecTest, RequestTargetBytesOutsideVisibleAsciiAre400) {
  const char* kWhy = "percent-encode it";
  const RefusalCase cases[] = {
      {"tab", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"form feed", "GET /a\fb HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"0x80",
       "GET /a\x80"
       "b HTTP/1.1\r\nHost: h\r\n\r\n",
       400, kWhy},
      {"utf-8", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"0xff in the query", "GET /a?q=\xff HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"tab in the query", "GET /a?q=\t HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"0x01 (http-parser)",
       "GET /a\x01"
       "b HTTP/1.1\r\nHost: h\r\n\r\n",
       400, "invalid URL"},
      {"vertical tab (http-parser)",
       "GET /a\x0b"
       "b HTTP/1.1\r\nHost: h\r\n\r\n",
       400, "invalid URL"},
      {"DEL (http-parser)",
       "GET /a\x7f"
       "b HTTP/1.1\r\nHost: h\r\n\r\n",
       400, "invalid URL"},
  };
  for (const RefusalCase& c : cases) expectRefused(c, limits_);
}

// Found by the soak: `GET /a#top` was refused at routing with keep-alive; a
// fragment is a malformed target and closes the connection like the others.
// Every byte that is not a tchar, inside a field name, gets 400: from
// http-parser, or (a space) from the codec, which relies on http-parser for
// the others (isParsedFieldNameToken).
TEST(Http1ServerCodecNames, EveryNonTokenByteInAFieldNameIs400) {
  for (int b = 0; b < 256; ++b) {
    const std::string name = std::string("A") + static_cast<char>(b) + "B";
    if (b == ':' || isToken(name)) continue;
    FakeCallbacks cb;
    evbuffer* in = evbuffer_new();
    evbuffer* out = evbuffer_new();
    {
      Http1ServerCodec codec(cb, out, CodecLimits{});
      const std::string request = "GET / HTTP/1.1\r\nHost: h\r\n" + name + ": x\r\n\r\n";
      evbuffer_add(in, request.data(), request.size());
      codec.dispatch(in);
    }
    evbuffer_free(in);
    evbuffer_free(out);
    EXPECT_EQ(cb.error_status, 400) << "byte " << b;
    EXPECT_TRUE(cb.events.empty()) << "byte " << b;
  }
}

TEST_F(Http1ServerCodecTest, FragmentInRequestTargetIsAProtocolError) {
  const char* kWhy = "no fragment";
  const RefusalCase cases[] = {
      {"fragment", "GET /a#top HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"bare #", "DELETE /pets/# HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"in the query", "GET /a?q=1#x HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
      {"absolute form", "GET http://h/a#x HTTP/1.1\r\nHost: h\r\n\r\n", 400, kWhy},
  };
  for (const RefusalCase& c : cases) expectRefused(c, limits_);
}

TEST_F(Http1ServerCodecTest, ChunkFramingOutsideRfc9112IsRefused) {
  const std::string h = kChunkedHead;
  const RefusalCase cases[] = {
      {"data not followed by CRLF", h + "5\r\nhelloXY0\r\n\r\n", 400, "not followed by CRLF"},
      {"bare CR after the size", h + "5\rXhello\r\n0\r\n\r\n", 400, "bare CR"},
      {"bare LF after the size", h + "5\nhello\r\n0\r\n\r\n", 400, "bare LF"},
      {"bare LF after an extension", h + "5;a=b\nhello\r\n0\r\n\r\n", 400, "bare LF"},
      {"bare LF after the last chunk", h + "5\r\nhello\r\n0\n\r\n", 400, "bare LF"},
      {"bare LF ending the body", h + "5\r\nhello\r\n0\r\n\n", 400, "trailer line"},
      {"bare CR ending the body", h + "5\r\nhello\r\n0\r\n\rX", 400, "bare CR"},
      {"whitespace after the size", h + "5 \r\nhello\r\n0\r\n\r\n", 400, "chunk extension"},
      {"malformed extension", h + "5;a b\r\nhello\r\n0\r\n\r\n", 400, "chunk extension"},
      {"trailer with a bare LF", h + "5\r\nhello\r\n0\r\nX: y\n\r\n", 400, "trailer value"},
      {"bare CR ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400, "CR"},
  };
  for (const RefusalCase& c : cases) expectRefused(c, limits_);
}

TEST_F(Http1ServerCodecTest, ValidChunkExtensionsAndPipeliningStillWork) {
  feed(std::string(kChunkedHead) + "5;a=\"x y\"\r\nhello\r\n0;b\r\nX-Sum: 1\r\n\r\n" +
       "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(cb_.error_status, 0) << cb_.error_description;
  EXPECT_EQ(cb_.body, "hello");
  EXPECT_EQ(*cb_.trailers.get("x-sum"), "1");
  respond(204, {}, "", true);
  codec().resume();
  codec().dispatch(input_);
  ASSERT_EQ(cb_.requests.size(), 2u);
  EXPECT_EQ(cb_.requests[1].path, "/next");
}

TEST_F(Http1ServerCodecTest, HeaderSizeCountsBytesOnTheWire) {
  std::string empties;
  for (int i = 0; i < 8000; ++i) empties += "X:\r\n";
  CodecLimits limits;
  limits.max_header_size = 8192;
  limits.max_header_count = 100000;
  expectRefused({"8000 empty headers", "GET / HTTP/1.1\r\nHost: h\r\n" + empties + "\r\n", 431,
                 "listenerConfig.maxHeaderSize (8192 bytes"},
                limits);
}

TEST_F(Http1ServerCodecTest, HeaderAndTrailerCountLimit) {
  CodecLimits limits;
  limits.max_header_count = 3;
  expectRefused({"four headers", "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431,
                 "listenerConfig.maxHeaderCount (3)"},
                limits);
  expectRefused({"four trailers",
                 std::string(kChunkedHead) + "1\r\nx\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
                 431, "trailer fields"},
                limits);
  limits_.max_header_count = 3;
  feed("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n");  // exactly three
  EXPECT_EQ(cb_.error_status, 0) << cb_.error_description;
}

TEST_F(Http1ServerCodecTest, TrailerSizeLimit) {
  CodecLimits limits;
  limits.max_header_size = 64;  // the header section is 39 bytes
  expectRefused(
      {"big trailer",
       std::string(kChunkedHead) + "1\r\nx\r\n0\r\nX: " + std::string(60, 'a') + "\r\n\r\n", 431,
       "request trailers exceed listenerConfig.maxHeaderSize"},
      limits);
}

TEST_F(Http1ServerCodecTest, UnderscoreHeadersAreDroppedAndCountedByDefault) {
  stats::Store store;
  limits_.underscore_headers_dropped = &store.counter("dropped", "");
  feed(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
      "X_Forwarded_For: 1.2.3.4\r\nProxy_Authorization: Basic eA==\r\nX-Ok: 1\r\n\r\n"
      "1\r\nx\r\n0\r\nX_Trailer: t\r\nX-Sum: 2\r\n\r\n");
  ASSERT_EQ(cb_.error_status, 0) << cb_.error_description;
  const HeaderMap& h = cb_.requests[0].headers;
  EXPECT_FALSE(h.has("x_forwarded_for"));
  EXPECT_FALSE(h.has("proxy_authorization"));
  EXPECT_TRUE(h.has("x-ok"));
  EXPECT_FALSE(cb_.trailers.has("x_trailer"));
  EXPECT_TRUE(cb_.trailers.has("x-sum"));
  EXPECT_EQ(limits_.underscore_headers_dropped->value(), 3u);
}

TEST_F(Http1ServerCodecTest, UnderscoreHeadersRejectedWhenConfigured) {
  CodecLimits limits;
  limits.headers_with_underscores = UnderscoreHeaders::Reject;
  expectRefused({"header", "GET / HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: 1\r\n\r\n", 400,
                 "'X_Forwarded_For' contains an underscore"},
                limits);
  expectRefused(
      {"trailer", std::string(kChunkedHead) + "1\r\nx\r\n0\r\nProxy_Authorization: b\r\n\r\n", 400,
       "trailer name 'Proxy_Authorization'"},
      limits);
}

TEST_F(Http1ServerCodecTest, UnderscoreHeadersAllowedWhenConfigured) {
  limits_.headers_with_underscores = UnderscoreHeaders::Allow;
  feed("GET / HTTP/1.1\r\nHost: h\r\nX_Legacy: 1\r\n\r\n");
  ASSERT_EQ(cb_.error_status, 0);
  EXPECT_EQ(*cb_.requests[0].headers.get("x_legacy"), "1");
}

TEST_F(Http1ServerCodecTest, NoContentResponsesCarryNoFramingOrBody) {
  for (int status : {204, 304}) {
    SCOPED_TRACE(status);
    FakeCallbacks cb;
    evbuffer* in = evbuffer_new();
    evbuffer* out = evbuffer_new();
    {
      Http1ServerCodec codec(cb, out, limits_);
      const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
      evbuffer_add(in, req, sizeof(req) - 1);
      codec.dispatch(in);
      ResponseHeaders h;
      h.status = status;
      h.headers.add("Content-Length", "5");
      h.headers.add("Transfer-Encoding", "chunked");
      h.headers.add("ETag", "\"1\"");
      cb.encoder().encodeHeaders(h, false);
      cb.encoder().encodeData("hello", true);
      std::string s(evbuffer_get_length(out), '\0');
      evbuffer_remove(out, s.data(), s.size());
      EXPECT_EQ(s,
                gw::cat("HTTP/1.1 ", status, " ", reasonPhrase(status), "\r\nETag: \"1\"\r\n\r\n"));
      EXPECT_TRUE(codec.keepAlive());
    }
    evbuffer_free(in);
    evbuffer_free(out);
  }
}

TEST_F(Http1ServerCodecTest, HeadResponseKeepsContentLength) {
  feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
  respond(200, {{"Content-Length", "5"}}, "hello");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
}

}  // namespace
}  // namespace gw::http
