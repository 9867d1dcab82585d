// Http2ClientCodec against an nghttp2 server session in the test (the peer):
// the bytes of each side are handed to the other until both are quiet.

#include "gateway/http/http2_client_codec.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <vector>

#include "test/gateway/http/fake_h2_server.h"
#include "test/gateway/http/upstream_output.h"

namespace gw::http {
namespace {

// One stream's events, in order.
class Recorder : public UpstreamStreamCallbacks {
 public:
  void onInterimHeaders(int status, HeaderMap&&) override { interim.push_back(status); }
  bool onResponseHeaders(ResponseHeaders&& h, bool no_body) override {
    status = h.status;
    headers = std::move(h.headers);
    this->no_body = no_body;
    return accept_headers;
  }
  bool onResponseData(std::string_view data) override {
    body.append(data);
    if (stream != nullptr && auto_consume) stream->consumed(data.size());
    return accept_data;
  }
  void onResponseComplete(HeaderMap&& t, bool) override {
    complete = true;
    trailers = std::move(t);
  }
  void onStreamReset(StreamResetReason r, std::string_view d) override {
    reset = true;
    reason = r;
    detail = std::string(d);
  }

  UpstreamStream* stream = nullptr;
  bool auto_consume = true;
  bool accept_headers = true;
  bool accept_data = true;
  std::vector<int> interim;
  int status = 0;
  HeaderMap headers;
  bool no_body = false;
  std::string body;
  bool complete = false;
  HeaderMap trailers;
  bool reset = false;
  StreamResetReason reason = StreamResetReason::ConnectionError;
  std::string detail;
};

class Http2ClientCodecTest : public ::testing::Test {
 protected:
  void pump() {
    for (int i = 0; i < 1000; ++i) {
      std::string up = testing::takeOutput(*codec_);
      if (!up.empty()) server_->recv(up);
      std::string down = server_->send();
      if (!down.empty()) codec_->decode(down.data(), down.size());
      if (up.empty() && down.empty()) return;
    }
    FAIL() << "the sessions never went quiet";
  }
  UpstreamStream* start(Recorder& r, std::string method = "GET", bool end_stream = true,
                        std::string path = "/pets") {
    UpstreamRequestHead head;
    head.method = method;
    head.scheme = "http";
    head.authority = "backend:8080";
    head.path = path;
    head.headers.add("Host", "backend:8080");
    head.headers.add("Connection", "keep-alive");
    head.headers.add("X-Trace", "abc");
    r.stream = codec_->newStream(head, end_stream, r);
    return r.stream;
  }
  static int32_t id(size_t n) { return static_cast<int32_t>(2 * n + 1); }

  std::unique_ptr<test::FakeH2Server> server_ = std::make_unique<test::FakeH2Server>();
  std::unique_ptr<Http2ClientCodec> codec_ = std::make_unique<Http2ClientCodec>(50);
};

TEST_F(Http2ClientCodecTest, GetSendsPseudoHeadersAndDropsConnectionFields) {
  Recorder r;
  ASSERT_NE(start(r), nullptr);
  pump();
  ASSERT_EQ(server_->requests.count(1), 1u);
  auto& req = server_->requests[1];
  EXPECT_EQ(req.headers[":method"], "GET");
  EXPECT_EQ(req.headers[":path"], "/pets");
  EXPECT_EQ(req.headers[":authority"], "backend:8080");
  EXPECT_EQ(req.headers[":scheme"], "http");
  EXPECT_EQ(req.headers["x-trace"], "abc");
  EXPECT_EQ(req.headers.count("host"), 0u);
  EXPECT_EQ(req.headers.count("connection"), 0u);
  EXPECT_TRUE(req.ended);
  server_->respond(1, {{":status", "200"}, {"content-type", "text/plain"}}, "hello");
  pump();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(*r.headers.get("content-type"), "text/plain");
  EXPECT_FALSE(r.headers.has(":status"));
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.reset);
  EXPECT_EQ(codec_->activeStreams(), 0u);
  EXPECT_TRUE(codec_->reusable());
}

TEST_F(Http2ClientCodecTest, ManyStreamsShareTheConnection) {
  std::vector<Recorder> rs(20);
  for (auto& r : rs) ASSERT_NE(start(r, "GET", true), nullptr);
  pump();
  EXPECT_EQ(server_->requests.size(), 20u);
  EXPECT_EQ(codec_->activeStreams(), 20u);
  // Answer in reverse order: each answer reaches its own stream.
  for (size_t i = rs.size(); i-- > 0;) {
    server_->respond(id(i), {{":status", "200"}}, "body-" + std::to_string(i));
  }
  pump();
  for (size_t i = 0; i < rs.size(); ++i) {
    EXPECT_TRUE(rs[i].complete) << i;
    EXPECT_EQ(rs[i].body, "body-" + std::to_string(i));
  }
}

TEST_F(Http2ClientCodecTest, StreamsLargeRequestBodyAndTrailers) {
  Recorder r;
  UpstreamStream* s = start(r, "POST", false);
  ASSERT_NE(s, nullptr);
  std::string sent;
  for (int i = 0; i < 40; ++i) {
    std::string piece(64 << 10, static_cast<char>('a' + i % 26));
    sent += piece;
    s->sendData(piece, false);
    pump();
  }
  HeaderMap trailers;
  trailers.add("X-Checksum", "42");
  s->sendTrailers(trailers);
  pump();
  auto& req = server_->requests[1];
  EXPECT_EQ(req.body.size(), sent.size());
  EXPECT_TRUE(req.body == sent);
  EXPECT_EQ(req.trailers["x-checksum"], "42");
  EXPECT_TRUE(req.ended);
  EXPECT_EQ(s->bufferedRequestBytes(), 0u);
}

TEST_F(Http2ClientCodecTest, ResponseBodyWaitsForTheCallerToConsume) {
  Recorder r;
  r.auto_consume = false;
  UpstreamStream* s = start(r);
  pump();
  const std::string body(2 << 20, 'x');
  server_->respond(1, {{":status", "200"}}, body);
  pump();
  // Only the stream window arrived; the rest waits for consumed().
  EXPECT_LT(r.body.size(), body.size());
  EXPECT_LE(r.body.size(), 256u << 10);
  EXPECT_GT(r.body.size(), 0u);
  EXPECT_FALSE(r.complete);
  size_t given = 0;
  for (int i = 0; i < 100 && !r.complete; ++i) {
    s->consumed(r.body.size() - given);
    given = r.body.size();
    pump();
  }
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size(), body.size());
}

TEST_F(Http2ClientCodecTest, ResponseTrailersAndInterimAnswers) {
  Recorder r;
  start(r);
  pump();
  server_->headersOnly(1, {{":status", "103"}, {"link", "</a.css>"}}, false);
  server_->respond(1, {{":status", "200"}}, "data", {{"grpc-status", "0"}});
  pump();
  EXPECT_EQ(r.interim, std::vector<int>({103}));
  EXPECT_FALSE(r.headers.has("link"));
  EXPECT_EQ(r.body, "data");
  ASSERT_TRUE(r.complete);
  ASSERT_NE(r.trailers.get("grpc-status"), nullptr);
  EXPECT_EQ(*r.trailers.get("grpc-status"), "0");
}

TEST_F(Http2ClientCodecTest, HeadersOnlyResponseHasNoBody) {
  Recorder r;
  start(r);
  pump();
  server_->respond(1, {{":status", "204"}});
  pump();
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.no_body);
  EXPECT_TRUE(r.complete);
}

TEST_F(Http2ClientCodecTest, BackendResetIsReported) {
  Recorder r;
  start(r);
  pump();
  server_->rst(1, NGHTTP2_INTERNAL_ERROR);
  pump();
  EXPECT_TRUE(r.reset);
  EXPECT_EQ(r.reason, StreamResetReason::Reset);
  EXPECT_NE(r.detail.find("INTERNAL_ERROR"), std::string::npos) << r.detail;
  EXPECT_TRUE(codec_->reusable());
}

TEST_F(Http2ClientCodecTest, RefusedStreamIsRetryable) {
  Recorder r;
  start(r);
  pump();
  server_->rst(1, NGHTTP2_REFUSED_STREAM);
  pump();
  EXPECT_EQ(r.reason, StreamResetReason::Refused);
}

TEST_F(Http2ClientCodecTest, GoawayRefusesStreamsAboveLastIdAndStopsNewOnes) {
  std::vector<Recorder> rs(3);
  for (auto& r : rs) start(r);
  pump();
  server_->goaway(1);
  server_->respond(1, {{":status", "200"}}, "ok");
  pump();
  EXPECT_TRUE(rs[0].complete);
  EXPECT_EQ(rs[0].body, "ok");
  for (int i : {1, 2}) {
    EXPECT_TRUE(rs[i].reset) << i;
    EXPECT_EQ(rs[i].reason, StreamResetReason::Refused) << i;
    EXPECT_NE(rs[i].detail.find("GOAWAY"), std::string::npos) << rs[i].detail;
  }
  EXPECT_FALSE(codec_->reusable());
  EXPECT_FALSE(codec_->acceptsStreams());
  Recorder late;
  EXPECT_EQ(start(late), nullptr);
  EXPECT_EQ(codec_->goawayLastStreamId(), 1);
}

TEST_F(Http2ClientCodecTest, RespectsPeerMaxConcurrentStreams) {
  server_ = std::make_unique<test::FakeH2Server>(
      std::vector<nghttp2_settings_entry>{{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 2}});
  Recorder a, b, c;
  start(a);
  pump();  // the server's SETTINGS arrive
  start(b);
  EXPECT_FALSE(codec_->acceptsStreams());
  EXPECT_EQ(start(c), nullptr);
  server_->respond(1, {{":status", "200"}});
  pump();
  EXPECT_TRUE(codec_->acceptsStreams());
  EXPECT_NE(start(c), nullptr);
}

TEST_F(Http2ClientCodecTest, RespectsOwnStreamLimit) {
  codec_ = std::make_unique<Http2ClientCodec>(2);
  Recorder a, b, c;
  EXPECT_NE(start(a), nullptr);
  EXPECT_NE(start(b), nullptr);
  EXPECT_EQ(start(c), nullptr);
}

TEST_F(Http2ClientCodecTest, RefusesConnectionSpecificHeader) {
  Recorder r;
  start(r);
  pump();
  server_->respond(1, {{":status", "200"}, {"connection", "close"}}, "x");
  pump();
  EXPECT_TRUE(r.reset);
  EXPECT_EQ(r.reason, StreamResetReason::ProtocolError);
  EXPECT_EQ(r.status, 0) << "the head must not reach the caller";
}

TEST_F(Http2ClientCodecTest, RefusesStatusOutOfRange) {
  Recorder r;
  start(r);
  pump();
  server_->respond(1, {{":status", "600"}}, "x");
  pump();
  EXPECT_TRUE(r.reset);
  EXPECT_EQ(r.reason, StreamResetReason::ProtocolError);
  EXPECT_EQ(r.status, 0);
}

TEST_F(Http2ClientCodecTest, EofFailsOpenStreams) {
  Recorder r;
  start(r);
  pump();
  codec_->decodeEof();
  EXPECT_TRUE(r.reset);
  EXPECT_EQ(r.reason, StreamResetReason::ConnectionError);
  EXPECT_FALSE(codec_->reusable());
}

TEST_F(Http2ClientCodecTest, GarbageFailsTheConnection) {
  Recorder r;
  start(r);
  pump();
  const std::string junk = "HTTP/1.1 200 OK\r\n\r\n";
  EXPECT_FALSE(codec_->decode(junk.data(), junk.size()));
  EXPECT_TRUE(r.reset);
  EXPECT_FALSE(codec_->error().empty());
}

TEST_F(Http2ClientCodecTest, CallerResetCancelsTheStream) {
  Recorder r, other;
  UpstreamStream* s = start(r);
  start(other);
  pump();
  s->reset();
  pump();
  EXPECT_TRUE(server_->requests[1].reset);
  EXPECT_EQ(server_->requests[1].reset_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
  server_->respond(3, {{":status", "200"}}, "still here");
  pump();
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.reset);
  EXPECT_EQ(other.body, "still here");
}

TEST_F(Http2ClientCodecTest, RefusingDataCancelsTheStream) {
  Recorder r;
  r.accept_data = false;
  start(r);
  pump();
  server_->respond(1, {{":status", "200"}}, std::string(1000, 'y'));
  pump();
  EXPECT_TRUE(server_->requests[1].reset);
  EXPECT_FALSE(r.complete);
}

}  // namespace
}  // namespace gw::http
