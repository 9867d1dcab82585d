#include "proxy_connector/connect_response_reader.h"

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::proxy {
namespace {

using State = ConnectResponseReader::State;

struct Case {
  std::string name;
  std::string input;
  size_t chunk;  // feed in pieces of this size; 0 = all at once
  State want;
  int status;
  std::string reason;
  std::string proxy_authenticate;
  std::string tunnel_bytes;  // Established: what must be left after the header block
};

const std::string kBig(ConnectResponseReader::kMaxHeaderBytes, 'a');

std::vector<Case> cases() {
  return {
      {"ok_one_chunk", "HTTP/1.1 200 OK\r\n\r\n", 0, State::Established, 200, "OK", "", ""},
      {"ok_byte_by_byte", "HTTP/1.1 200 Connection established\r\nVia: squid\r\n\r\n", 1,
       State::Established, 200, "Connection established", "", ""},
      {"ok_with_tunnel_bytes", "HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01hello", 0, State::Established,
       200, "OK", "", "\x16\x03\x01hello"},
      {"ok_tunnel_bytes_in_pieces", "HTTP/1.1 200 OK\r\nX: y\r\n\r\nSSH-2.0-x\r\n", 3,
       State::Established, 200, "OK", "", "SSH-2.0-x\r\n"},
      {"ok_content_length_ignored", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 0,
       State::Established, 200, "OK", "", "abc"},
      {"http10_ok", "HTTP/1.0 200 Connection established\r\n\r\n", 0, State::Established, 200,
       "Connection established", "", ""},
      {"interim_100_then_200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nX", 0,
       State::Established, 200, "OK", "", "X"},
      {"407_with_body",
       "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
       "realm=\"squid\"\r\nContent-Length: 11\r\n\r\naccess deny",
       0, State::Rejected, 407, "Proxy Authentication Required", "Basic realm=\"squid\"", ""},
      {"407_byte_by_byte",
       "HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic "
       "realm=\"x\"\r\nContent-Length: 3\r\n\r\nabc",
       1, State::Rejected, 407, "Proxy Authentication Required", "Basic realm=\"x\"", ""},
      {"407_two_challenges",
       "HTTP/1.1 407 Auth\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Basic "
       "realm=\"r\"\r\nContent-Length: 0\r\n\r\n",
       0, State::Rejected, 407, "Auth", "Negotiate, Basic realm=\"r\"", ""},
      {"407_chunked_body",
       "HTTP/1.1 407 Auth\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 4,
       State::Rejected, 407, "Auth", "", ""},
      {"407_body_incomplete", "HTTP/1.1 407 Auth\r\nContent-Length: 10\r\n\r\nabc", 0,
       State::NeedMore, 0, "", "", ""},
      {"403", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0, State::Rejected, 403,
       "Forbidden", "", ""},
      {"503", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown", 0,
       State::Rejected, 503, "Service Unavailable", "", ""},
      {"garbage", "SSH-2.0-OpenSSH_9.2\r\n", 0, State::Error, 0, "", "", ""},
      {"garbage_binary", std::string("\x16\x03\x01\x00\x10", 5), 0, State::Error, 0, "", "", ""},
      {"oversize_headers", "HTTP/1.1 200 OK\r\nX-Big: " + kBig + "\r\n\r\n", 0, State::Error, 0, "",
       "", ""},
      {"oversize_headers_in_pieces", "HTTP/1.1 200 OK\r\nX-Big: " + kBig + "\r\n\r\n", 1000,
       State::Error, 0, "", "", ""},
      {"incomplete", "HTTP/1.1 200 OK\r\nVia: x\r\n", 0, State::NeedMore, 0, "", "", ""},
  };
}

class ReaderTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(ReaderTableTest, Bytes) {
  const Case& c = GetParam();
  ConnectResponseReader reader;
  size_t pos = 0;
  State s = State::NeedMore;
  while (pos < c.input.size() && s == State::NeedMore) {
    size_t n = c.chunk == 0 ? c.input.size() - pos : std::min(c.chunk, c.input.size() - pos);
    size_t consumed = 0;
    s = reader.feed(c.input.data() + pos, n, &consumed);
    if (s == State::NeedMore) {
      ASSERT_EQ(consumed, n);
    }
    pos += consumed;
    if (s != State::NeedMore) break;
  }
  ASSERT_EQ(s, c.want) << reader.error();
  if (c.want == State::Established || c.want == State::Rejected) {
    EXPECT_EQ(reader.status(), c.status);
    EXPECT_EQ(reader.reason(), c.reason);
    EXPECT_EQ(reader.proxyAuthenticate(), c.proxy_authenticate);
  }
  if (c.want == State::Established) {
    EXPECT_EQ(c.input.substr(pos), c.tunnel_bytes);
    EXPECT_EQ(reader.headerBytes(), c.input.size() - c.tunnel_bytes.size());
  }
  if (c.want == State::Error) {
    EXPECT_FALSE(reader.error().empty());
  }
}

TEST_P(ReaderTableTest, Evbuffer) {
  const Case& c = GetParam();
  ConnectResponseReader reader;
  evbuffer* buf = evbuffer_new();
  State s = State::NeedMore;
  size_t pos = 0;
  while (pos < c.input.size() && s == State::NeedMore) {
    size_t n = c.chunk == 0 ? c.input.size() - pos : std::min(c.chunk, c.input.size() - pos);
    evbuffer_add(buf, c.input.data() + pos, n);
    pos += n;
    s = reader.read(buf);
  }
  EXPECT_EQ(s, c.want);
  if (c.want == State::Established) {
    std::string rest(evbuffer_get_length(buf), '\0');
    evbuffer_copyout(buf, rest.data(), rest.size());
    rest += c.input.substr(pos);
    EXPECT_EQ(rest, c.tunnel_bytes);
  }
  evbuffer_free(buf);
}

INSTANTIATE_TEST_SUITE_P(Table, ReaderTableTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ConnectResponseReader, BodyUntilEofCompletesOnFinish) {
  ConnectResponseReader reader;
  const std::string in = "HTTP/1.0 403 Forbidden\r\n\r\nnot allowed";
  size_t consumed = 0;
  EXPECT_EQ(reader.feed(in.data(), in.size(), &consumed), State::NeedMore);
  EXPECT_EQ(reader.finish(), State::Rejected);
  EXPECT_EQ(reader.status(), 403);
}

TEST(ConnectResponseReader, EofBeforeHeadersIsError) {
  ConnectResponseReader reader;
  const std::string in = "HTTP/1.1 200 OK\r\n";
  size_t consumed = 0;
  EXPECT_EQ(reader.feed(in.data(), in.size(), &consumed), State::NeedMore);
  EXPECT_EQ(reader.finish(), State::Error);
}

TEST(ConnectResponseReader, HugeRejectionBodyIsBounded) {
  ConnectResponseReader reader;
  std::string in = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 10000000\r\n\r\n";
  in += std::string(ConnectResponseReader::kMaxBodyBytes + 10, 'x');
  size_t consumed = 0;
  EXPECT_EQ(reader.feed(in.data(), in.size(), &consumed), State::Rejected);
  EXPECT_EQ(reader.status(), 502);
}

TEST(ConnectResponseReader, FinalStateIsSticky) {
  ConnectResponseReader reader;
  const std::string in = "HTTP/1.1 200 OK\r\n\r\n";
  size_t consumed = 0;
  ASSERT_EQ(reader.feed(in.data(), in.size(), &consumed), State::Established);
  EXPECT_EQ(reader.feed("more", 4, &consumed), State::Established);
  EXPECT_EQ(consumed, 0u);
}

}  // namespace
}  // namespace gw::proxy
