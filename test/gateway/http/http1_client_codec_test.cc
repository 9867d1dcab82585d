// The upstream HTTP/1 codec shared by the router and the internal HttpClient.

#include "gateway/http/http1_client_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::http {
namespace {

struct Recorder : ResponseDecoderCallbacks {
  void onInterimHeaders(int status, HeaderMap&& headers) override {
    interim.push_back(status);
    interim_headers += headers.size();
  }
  bool onResponseHeaders(ResponseHeaders&& h, bool nb) override {
    head = std::move(h);
    no_body = nb;
    ++heads;
    return !stop_at_headers;
  }
  bool onResponseData(std::string_view data) override {
    body.append(data.data(), data.size());
    return true;
  }
  void onResponseComplete(HeaderMap&& t, bool ka) override {
    trailers = std::move(t);
    keep_alive = ka;
    ++completes;
  }
  void onTrailerDropped(std::string_view name) override { dropped.emplace_back(name); }

  std::vector<int> interim;
  size_t interim_headers = 0;
  ResponseHeaders head;
  bool no_body = false;
  int heads = 0;
  int completes = 0;
  bool stop_at_headers = false;
  bool keep_alive = false;
  std::string body;
  HeaderMap trailers;
  std::vector<std::string> dropped;
};

// Feeds `wire` one byte at a time (every split point), returns what was consumed.
size_t feedBytewise(Http1ClientCodec& codec, const std::string& wire) {
  size_t used = 0;
  while (used < wire.size() && codec.state() == DecodeState::Reading) {
    const size_t n = codec.decode(wire.data() + used, 1);
    if (n == 0) break;
    used += n;
  }
  return used;
}

TEST(Http1ClientCodecTest, InterimAnswersStayApart) {
  Recorder r;
  Http1ClientCodec codec(r);
  codec.newExchange("GET");
  const std::string wire =
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
  const size_t used = feedBytewise(codec, wire);
  EXPECT_EQ(codec.state(), DecodeState::Complete);
  EXPECT_EQ(wire.substr(used), "HTTP/1.1 200 OK\r\n");  // the next response is left alone
  EXPECT_EQ(r.interim, std::vector<int>{103});
  EXPECT_EQ(r.head.status, 200);
  EXPECT_FALSE(r.head.headers.has("link"));
  EXPECT_EQ(r.body, "ok");
  EXPECT_TRUE(r.keep_alive);
}

TEST(Http1ClientCodecTest, ChunkedWithTrailersAndADroppedOne) {
  Recorder r;
  Http1ClientCodec codec(r);
  codec.newExchange("POST");
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Sum: 1\r\nBad Name: 2\r\n\r\n";
  feedBytewise(codec, wire);
  EXPECT_EQ(codec.state(), DecodeState::Complete);
  EXPECT_EQ(r.body, "abc");
  ASSERT_NE(r.trailers.get("x-sum"), nullptr);
  EXPECT_EQ(r.dropped, std::vector<std::string>{"Bad Name"});
}

struct NoBodyCase {
  const char* method;
  const char* wire;
  bool no_body;
};

TEST(Http1ClientCodecTest, AnswersWithoutABody) {
  const NoBodyCase cases[] = {
      {"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true},
      {"GET", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", true},
      {"GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", true},
      {"GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
  };
  for (const NoBodyCase& c : cases) {
    Recorder r;
    Http1ClientCodec codec(r);
    codec.newExchange(c.method);
    const std::string wire = c.wire;
    EXPECT_EQ(codec.decode(wire.data(), wire.size()), wire.size()) << c.wire;
    EXPECT_EQ(codec.state(), DecodeState::Complete) << c.wire;
    EXPECT_EQ(r.no_body, c.no_body) << c.wire;
    EXPECT_TRUE(r.body.empty());
  }
}

TEST(Http1ClientCodecTest, CloseDelimitedBodyEndsAtEof) {
  Recorder r;
  Http1ClientCodec codec(r);
  codec.newExchange("GET");
  const std::string wire = "HTTP/1.1 200 OK\r\n\r\nuntil close";
  codec.decode(wire.data(), wire.size());
  EXPECT_EQ(codec.state(), DecodeState::Reading);
  codec.decodeEof();
  EXPECT_EQ(codec.state(), DecodeState::Complete);
  EXPECT_EQ(r.body, "until close");
  EXPECT_FALSE(r.keep_alive);
}

struct RefusedCase {
  const char* wire;
  const char* error;
};

TEST(Http1ClientCodecTest, Refusals) {
  const RefusedCase cases[] = {
      {"HTTP/1.1 600 Odd\r\n\r\n", "status code 600 is outside 100-599"},
      {"HTTP/1.1 099 Odd\r\n\r\n", ""},  // http-parser's own error
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header name 'Bad Name' is not a token"},
      {"HTTP/1.1 103 Hints\r\nBad Name: x\r\n\r\n", "is not a token"},
      {"garbage\r\n\r\n", ""},
  };
  for (const RefusedCase& c : cases) {
    Recorder r;
    Http1ClientCodec codec(r);
    codec.newExchange("GET");
    const std::string wire = c.wire;
    codec.decode(wire.data(), wire.size());
    EXPECT_EQ(codec.state(), DecodeState::Error) << c.wire;
    EXPECT_FALSE(codec.error().empty()) << c.wire;
    EXPECT_NE(codec.error().find(c.error), std::string::npos) << codec.error();
    EXPECT_EQ(r.heads, 0) << c.wire;
  }
}

// Every byte that is not a tchar, inside a field name, is refused: by
// http-parser, or (a space) by the codec, which relies on http-parser for
// the others (isParsedFieldNameToken).
TEST(Http1ClientCodecTest, EveryNonTokenByteInAFieldNameIsRefused) {
  for (int b = 0; b < 256; ++b) {
    const std::string name = std::string("A") + static_cast<char>(b) + "B";
    if (b == ':' || isToken(name)) continue;
    Recorder r;
    Http1ClientCodec codec(r);
    codec.newExchange("GET");
    const std::string wire = "HTTP/1.1 200 OK\r\n" + name + ": x\r\nContent-Length: 0\r\n\r\n";
    codec.decode(wire.data(), wire.size());
    EXPECT_EQ(codec.state(), DecodeState::Error) << "byte " << b;
    EXPECT_EQ(r.heads, 0) << "byte " << b;
  }
}

TEST(Http1ClientCodecTest, CallbackStops) {
  Recorder r;
  r.stop_at_headers = true;
  Http1ClientCodec codec(r);
  codec.newExchange("GET");
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  codec.decode(wire.data(), wire.size());
  EXPECT_EQ(codec.state(), DecodeState::Stopped);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(codec.decode(wire.data(), wire.size()), 0u);
}

}  // namespace
}  // namespace gw::http
