#include "gateway/http/framing_scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::http {
namespace {

constexpr char kHead[] = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

struct ChunkCase {
  const char* name;
  std::string body;  // what follows the head
  bool ok;
};

// Feeds `body` as a chunked body, in one piece or byte by byte. Returns true
// when the scanner reached the end of the message having accepted every byte.
bool scanChunked(const std::string& body, bool byte_by_byte, FramingScanner& s) {
  std::string head = kHead;
  if (s.scan(head) != head.size() || !s.headComplete()) return false;
  s.startChunkedBody();
  size_t accepted = 0;
  if (byte_by_byte) {
    for (char c : body) {
      size_t n = s.scan(std::string_view(&c, 1));
      accepted += n;
      if (n == 0) break;
    }
  } else {
    accepted = s.scan(body);
  }
  return !s.failed() && s.messageComplete() && accepted == body.size();
}

TEST(FramingScanner, ChunkedTable) {
  const ChunkCase cases[] = {
      {"simple", "5\r\nhello\r\n0\r\n\r\n", true},
      {"two chunks, upper-case hex", "A\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n", true},
      {"leading zeros", "005\r\nhello\r\n000\r\n\r\n", true},
      {"extension", "5;a=b\r\nhello\r\n0;last\r\n\r\n", true},
      {"extension with BWS", "5 ; a = b ;c\r\nhello\r\n0\r\n\r\n", true},
      {"quoted extension", "5;a=\"b c\\\"d\"\r\nhello\r\n0\r\n\r\n", true},
      {"trailers", "5\r\nhello\r\n0\r\nX-Sum: 1\r\nY:\r\n\r\n", true},
      {"data not followed by CRLF", "5\r\nhelloXY0\r\n\r\n", false},
      {"data followed by bare LF", "5\r\nhello\n0\r\n\r\n", false},
      {"data followed by bare CR", "5\r\nhello\rX0\r\n\r\n", false},
      {"bare CR after size", "5\rXhello\r\n0\r\n\r\n", false},
      {"bare LF after size", "5\nhello\r\n0\r\n\r\n", false},
      {"bare LF after extension", "5;a=b\nhello\r\n0\r\n\r\n", false},
      {"bare LF after extension name", "5;a\nhello\r\n0\r\n\r\n", false},
      {"bare LF after last chunk", "5\r\nhello\r\n0\n\r\n", false},
      {"bare LF ending the body", "5\r\nhello\r\n0\r\n\n", false},
      {"bare CR ending the body", "5\r\nhello\r\n0\r\n\rX", false},
      {"whitespace after size without extension", "5 \r\nhello\r\n0\r\n\r\n", false},
      {"sign before size", "+5\r\nhello\r\n0\r\n\r\n", false},
      {"hex prefix", "0x5\r\nhello\r\n0\r\n\r\n", false},
      {"empty size", "\r\nhello\r\n0\r\n\r\n", false},
      {"extension name not a token", "5;a b\r\nhello\r\n0\r\n\r\n", false},
      {"extension without name", "5;=b\r\nhello\r\n0\r\n\r\n", false},
      {"extension with a control byte", "5;a\x01\r\nhello\r\n0\r\n\r\n", false},
      {"unterminated quoted extension", "5;a=\"b\r\nhello\r\n0\r\n\r\n", false},
      {"size overflows 64 bits", "10000000000000000\r\n", false},
      {"trailer with bare LF", "5\r\nhello\r\n0\r\nX: y\n\r\n", false},
      {"trailer with bare CR", "5\r\nhello\r\n0\r\nX: y\rZ\r\n\r\n", false},
      {"trailer folded", "5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n", false},
      {"trailer name with space", "5\r\nhello\r\n0\r\nX : y\r\n\r\n", false},
      {"trailer without colon", "5\r\nhello\r\n0\r\nXy\r\n\r\n", false},
      {"trailer value with control byte", "5\r\nhello\r\n0\r\nX: a\x01\r\n\r\n", false},
  };
  for (const ChunkCase& c : cases) {
    for (bool byte_by_byte : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (byte_by_byte ? " (byte by byte)" : ""));
      FramingScanner s({8192, 100});
      EXPECT_EQ(scanChunked(c.body, byte_by_byte, s), c.ok) << s.errorDescription();
      if (!c.ok) {
        EXPECT_TRUE(s.failed());
        EXPECT_EQ(s.errorStatus(), 400);
        EXPECT_NE(s.errorDescription().find("chunked body"), std::string::npos);
      }
    }
  }
}

TEST(FramingScanner, StopsAtTheEndOfTheChunkedBody) {
  FramingScanner s({8192, 100});
  std::string head = kHead;
  ASSERT_EQ(s.scan(head), head.size());
  s.startChunkedBody();
  std::string body = "3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(s.scan(body + "GET / HTTP/1.1\r\n"), body.size());
  EXPECT_TRUE(s.messageComplete());
  EXPECT_EQ(s.scan("GET"), 0u);  // until reset()
  s.reset();
  EXPECT_EQ(s.scan("GET"), 3u);
}

struct HeadCase {
  const char* name;
  FramingLimits limits;
  std::string head;
  int status;  // 0 = accepted
};

TEST(FramingScanner, HeadTable) {
  const std::string empties = [] {
    std::string s;
    for (int i = 0; i < 8000; ++i) s += "X:\r\n";
    return s;
  }();
  const HeadCase cases[] = {
      {"simple", {8192, 100}, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 0},
      {"bare LF lines", {8192, 100}, "GET / HTTP/1.1\nHost: h\n\n", 0},
      {"empty lines before the request line",
       {8192, 100},
       "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
       0},
      {"obs-fold is not a new field",
       {8192, 2},
       "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
       0},
      // "Host: h\r\n" (9) + "A: 1\r\n" (6) + "\r\n" (2) = 17 bytes on the wire.
      {"size exactly at the limit", {17, 100}, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", 0},
      {"size one over the limit", {16, 100}, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", 431},
      {"8000 empty headers",
       {8192, 100000},
       "GET / HTTP/1.1\r\nHost: h\r\n" + empties + "\r\n",
       431},
      {"count exactly at the limit", {8192, 2}, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", 0},
      {"count one over the limit",
       {8192, 2},
       "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
       431},
      {"bare CR in a field", {8192, 100}, "GET / HTTP/1.1\r\nHost: h\rX-Foo: bar\r\n\r\n", 400},
      {"bare CR ending the head", {8192, 100}, "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400},
      {"bare CR in the request line", {8192, 100}, "GET / HTTP/1.1\rX\r\n\r\n", 400},
  };
  for (const HeadCase& c : cases) {
    SCOPED_TRACE(c.name);
    FramingScanner s(c.limits);
    size_t n = s.scan(c.head);
    if (c.status == 0) {
      EXPECT_FALSE(s.failed()) << s.errorDescription();
      EXPECT_TRUE(s.headComplete());
      EXPECT_EQ(n, c.head.size());
    } else {
      EXPECT_TRUE(s.failed());
      EXPECT_EQ(s.errorStatus(), c.status);
      EXPECT_LT(n, c.head.size());
    }
    // Byte by byte (scan() never sees a line end and the next line together):
    // the same verdict, the same error and the same number of bytes taken.
    FramingScanner one(c.limits);
    size_t taken = 0;
    while (taken < c.head.size() && !one.failed() && !one.headComplete()) {
      taken += one.scan(std::string_view(c.head).substr(taken, 1));
    }
    EXPECT_EQ(one.failed(), s.failed());
    EXPECT_EQ(one.errorStatus(), s.errorStatus());
    EXPECT_EQ(one.errorDescription(), s.errorDescription());
    EXPECT_EQ(taken, n);
  }
}

TEST(FramingScanner, LimitMessagesNameTheKeys) {
  FramingScanner size({16, 100});
  size.scan("GET / HTTP/1.1\r\nHost: h\r\nA: 12345\r\n\r\n");
  EXPECT_NE(size.errorDescription().find("listenerConfig.maxHeaderSize (16 bytes"),
            std::string::npos)
      << size.errorDescription();
  FramingScanner count({8192, 1});
  count.scan("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n");
  EXPECT_NE(count.errorDescription().find("listenerConfig.maxHeaderCount (1)"), std::string::npos)
      << count.errorDescription();
}

TEST(FramingScanner, TrailerCountAndSizeAreChecked) {
  const std::string many = "1\r\nx\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  FramingScanner count({8192, 2});  // the head's two fields fit, the three trailers do not
  EXPECT_FALSE(scanChunked(many, false, count));
  EXPECT_EQ(count.errorStatus(), 431);
  EXPECT_NE(count.errorDescription().find("trailer fields"), std::string::npos);

  const std::string big = "1\r\nx\r\n0\r\nA: " + std::string(100, 'a') + "\r\n\r\n";
  FramingScanner size({80, 100});  // the header section is 39 bytes, the trailers 107
  EXPECT_FALSE(scanChunked(big, false, size));
  EXPECT_EQ(size.errorStatus(), 431);
  EXPECT_NE(size.errorDescription().find("request trailers exceed"), std::string::npos);
}

TEST(FramingScanner, LengthBodyStopsAtItsEnd) {
  FramingScanner s({8192, 100});
  std::string head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
  ASSERT_EQ(s.scan(head + "ab"), head.size());
  s.startLengthBody(3);
  EXPECT_EQ(s.scan("ab"), 2u);
  EXPECT_EQ(s.scan("cGET"), 1u);
  EXPECT_TRUE(s.messageComplete());
}

}  // namespace
}  // namespace gw::http
