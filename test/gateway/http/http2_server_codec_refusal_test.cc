// Http2ServerCodec's own answers: requests over the limits refused with the
// same JSON body as HTTP/1, and a header block left open ended at
// headerReadTimeoutInMillis.

#include "test/gateway/http/http2_server_codec_test_fixture.h"

namespace gw::http {
namespace {

TEST_F(Http2CodecTest, OverLimitRequestsAreAnsweredByTheCodec) {
  limits_.max_uri_length = 10;
  start();
  int32_t id = get("/a-path-longer-than-ten");
  EXPECT_TRUE(manager_.streams.empty());
  EXPECT_EQ(client_streams_[id].headers[":status"], "414");
  EXPECT_EQ(manager_.refused_status, 414);
  EXPECT_NE(manager_.refused.find("listenerConfig.maxUriLength"), std::string::npos);
}

// The codec's own answers carry the JSON error body HTTP/1 answers carry.
TEST_F(Http2CodecTest, RefusalsCarryTheJsonErrorBody) {
  limits_.max_uri_length = 10;
  limits_.max_entity_body_size = 100;
  limits_.headers_with_underscores = UnderscoreHeaders::Reject;
  start();
  struct Case {
    int status;
    const char* message;
    const char* in_description;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  const std::vector<Case> cases = {
      {414,
       "URI too long",
       "listenerConfig.maxUriLength",
       {{":method", "GET"},
        {":path", "/a-path-longer-than-ten"},
        {":scheme", "http"},
        {":authority", "gw"}}},
      {413,
       "Request entity too large",
       "listenerConfig.maxEntityBodySize",
       {{":method", "POST"},
        {":path", "/p"},
        {":scheme", "http"},
        {":authority", "gw"},
        {"content-length", "101"}}},
      {400,
       "Bad request",
       "underscore",
       {{":method", "GET"},
        {":path", "/p"},
        {":scheme", "http"},
        {":authority", "gw"},
        {"x_a", "1"}}},
      {501,
       "Protocol upgrade not supported",
       "CONNECT",
       {{":method", "CONNECT"}, {":authority", "backend:443"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    const int32_t id = request(c.headers, c.status != 413);
    ASSERT_GT(id, 0);
    ClientStream& s = client_streams_[id];
    EXPECT_EQ(s.headers[":status"], std::to_string(c.status));
    EXPECT_EQ(s.headers["content-type"], "application/json");
    EXPECT_EQ(s.headers["content-length"], std::to_string(s.body.size()));
    EXPECT_EQ(manager_.refused_status, c.status);
    EXPECT_EQ(s.body, localReplyBody(c.status, c.message, manager_.refused));
    EXPECT_NE(s.body.find(c.in_description), std::string::npos) << s.body;
    const std::string code = std::to_string(c.status < 500 ? 900000 + c.status : 101000 + c.status);
    EXPECT_NE(s.body.find("\"code\":\"" + code + "\""), std::string::npos) << s.body;
  }
  EXPECT_TRUE(manager_.streams.empty());
  EXPECT_FALSE(codec().wantsClose());  // each refusal ends one stream, not the connection
}

TEST_F(Http2CodecTest, RefusedHeadRequestHasNoBody) {
  limits_.max_uri_length = 10;
  start();
  const int32_t id = request({{":method", "HEAD"},
                              {":path", "/a-path-longer-than-ten"},
                              {":scheme", "http"},
                              {":authority", "gw"}});
  EXPECT_EQ(client_streams_[id].headers[":status"], "414");
  EXPECT_TRUE(client_streams_[id].closed);
  EXPECT_EQ(client_streams_[id].body, "");
}

TEST_F(Http2CodecTest, TooManyHeaderFieldsIsA431WithABody) {
  limits_.max_header_count = 5;
  start();
  std::vector<std::pair<std::string, std::string>> h = {
      {":method", "GET"}, {":path", "/p"}, {":scheme", "http"}, {":authority", "gw"}};
  for (int i = 0; i < 6; ++i) h.push_back({"x-h" + std::to_string(i), "v"});
  const int32_t id = request(h);
  EXPECT_EQ(client_streams_[id].headers[":status"], "431");
  EXPECT_NE(client_streams_[id].body.find("Request header fields too large"), std::string::npos);
  EXPECT_NE(client_streams_[id].body.find("listenerConfig.maxHeaderCount"), std::string::npos);
}

// A header block stays open until END_HEADERS (HEADERS + CONTINUATION); the
// connection manager times the connection out on it (headerReadTimeoutInMillis).
TEST_F(Http2CodecTest, HeaderBlockOpenUntilEndHeaders) {
  start();
  EXPECT_FALSE(codec().headerBlockOpen());
  const std::string block = hpackGet();
  ASSERT_GT(block.size(), 4u);
  const std::string first = block.substr(0, 3), rest = block.substr(3);
  std::string bytes = frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, first);
  evbuffer_add(input_, bytes.data(), bytes.size());
  codec().dispatch(input_);
  EXPECT_TRUE(codec().headerBlockOpen());
  EXPECT_TRUE(manager_.streams.empty());
  bytes = frame(NGHTTP2_CONTINUATION, 0, 1, "");
  evbuffer_add(input_, bytes.data(), bytes.size());
  codec().dispatch(input_);
  EXPECT_TRUE(codec().headerBlockOpen());  // an empty CONTINUATION ends nothing
  bytes = frame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 1, rest);
  evbuffer_add(input_, bytes.data(), bytes.size());
  codec().dispatch(input_);
  EXPECT_FALSE(codec().headerBlockOpen());
  ASSERT_EQ(manager_.streams.size(), 1u);
  EXPECT_EQ(manager_.streams[0]->request.path, "/pets");
  EXPECT_EQ(manager_.error_status, 0);
}

TEST_F(Http2CodecTest, HeaderReadTimeoutIsAGoAwayWithTheReason) {
  start();
  const std::string block = hpackGet();
  const std::string bytes = frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 1, block.substr(0, 2));
  evbuffer_add(input_, bytes.data(), bytes.size());
  codec().dispatch(input_);
  ASSERT_TRUE(codec().headerBlockOpen());
  // What the connection manager does when headerReadTimeoutInMillis runs out.
  const std::string body = localReplyBody(408, "Request timeout",
                                          "request headers not received within 30000 ms "
                                          "(listenerConfig.headerReadTimeoutInMillis)");
  codec().sendProtocolError(408, body);
  EXPECT_TRUE(codec().wantsClose());
  codec().flushOutput();
  // The client session had no stream 1 of its own: read the GOAWAY from the raw bytes.
  const size_t len = evbuffer_get_length(output_);
  std::string out(len, '\0');
  evbuffer_remove(output_, out.data(), len);
  const size_t at = out.find(body);
  ASSERT_NE(at, std::string::npos);
  ASSERT_GE(at, 17u);  // 9-byte frame header, last stream id, error code
  EXPECT_EQ(static_cast<uint8_t>(out[at - 17 + 3]), NGHTTP2_GOAWAY);
  EXPECT_EQ(static_cast<uint8_t>(out[at - 1]), NGHTTP2_PROTOCOL_ERROR);
}

}  // namespace
}  // namespace gw::http
