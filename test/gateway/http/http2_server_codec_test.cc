// Http2ServerCodec against a real HTTP/2 client: an nghttp2 client session
// whose frames are handed to the codec and whose responses are read back.
// Also the codec factory (preface detection, ALPN choice).

#include "test/gateway/http/http2_server_codec_test_fixture.h"

namespace gw::http {
namespace {

TEST_F(Http2CodecTest, AdvertisesItsSettings) {
  start();
  EXPECT_EQ(server_settings_[NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS], 100u);
  EXPECT_EQ(server_settings_[NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE], 8192u + 32 * 100);
}

TEST_F(Http2CodecTest, RequestHeadersAndPseudoHeadersAreFirstClass) {
  start();
  int32_t id = request({{":method", "GET"},
                        {":path", "/pets?limit=2"},
                        {":scheme", "https"},
                        {":authority", "api.example:9095"},
                        {"cookie", "a=1"},
                        {"cookie", "b=2"},
                        {"x_under", "dropped"},
                        {"host", "other.example"}});
  ASSERT_EQ(manager_.streams.size(), 1u);
  RecordingStream& s = *manager_.streams[0];
  EXPECT_TRUE(s.ended);
  EXPECT_EQ(s.request.method, "GET");
  EXPECT_EQ(s.request.path, "/pets?limit=2");
  EXPECT_EQ(s.request.authority, "api.example:9095");
  EXPECT_EQ(s.request.scheme, "https");
  // :authority wins over a differing Host, and becomes the Host HTTP/1 backends see.
  EXPECT_EQ(*s.request.headers.get("host"), "api.example:9095");
  EXPECT_EQ(s.request.headers.count("host"), 1u);
  EXPECT_EQ(*s.request.headers.get("cookie"), "a=1; b=2");
  EXPECT_FALSE(s.request.headers.has("x_under"));
  EXPECT_EQ(dropped_.value(), 1u);
  respond(s, 200, "hello");
  EXPECT_EQ(client_streams_[id].headers[":status"], "200");
  EXPECT_EQ(client_streams_[id].headers["server"], "backend");  // trimmed
  EXPECT_EQ(client_streams_[id].headers.count("connection"), 0u);
  EXPECT_EQ(client_streams_[id].body, "hello");
  EXPECT_TRUE(client_streams_[id].closed);
  EXPECT_EQ(client_streams_[id].error, 0u);
}

TEST_F(Http2CodecTest, ConcurrentStreamsAnsweredOutOfOrder) {
  start();
  int32_t a = get("/a");
  int32_t b = get("/b");
  ASSERT_EQ(manager_.streams.size(), 2u);
  respond(*manager_.streams[1], 201, "second");
  respond(*manager_.streams[0], 200, "first");
  EXPECT_EQ(client_streams_[a].body, "first");
  EXPECT_EQ(client_streams_[b].headers[":status"], "201");
  EXPECT_EQ(client_streams_[b].body, "second");
}

TEST_F(Http2CodecTest, BodyOfUnknownLengthAndTrailersBothWays) {
  start();
  int32_t id =
      request({{":method", "POST"}, {":path", "/up"}, {":scheme", "http"}, {":authority", "gw"}},
              /*end=*/false);
  ASSERT_EQ(manager_.streams.size(), 1u);
  RecordingStream& s = *manager_.streams[0];
  EXPECT_FALSE(s.ended);
  EXPECT_EQ(*s.request.headers.get("transfer-encoding"), "chunked");
  nghttp2_data_provider provider{};
  static std::string payload = "abc";
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t, uint32_t* flags,
                              nghttp2_data_source*, void*) -> ssize_t {
    memcpy(buf, payload.data(), payload.size());
    *flags = NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    return static_cast<ssize_t>(payload.size());
  };
  nghttp2_submit_data(client_, NGHTTP2_FLAG_NONE, id, &provider);
  pump();
  nghttp2_nv trailer{(uint8_t*)"x-sum", (uint8_t*)"42", 5, 2, NGHTTP2_NV_FLAG_NONE};
  nghttp2_submit_trailer(client_, id, &trailer, 1);
  pump();
  EXPECT_EQ(s.body, "abc");
  EXPECT_TRUE(s.ended);
  EXPECT_EQ(*s.trailers.get("x-sum"), "42");

  ResponseHeaders h;
  s.encoder->encodeHeaders(h, false);
  s.encoder->encodeData("ok", false);
  HeaderMap t;
  t.add("Grpc-Status", "0");
  s.encoder->encodeTrailers(t);
  pump();
  EXPECT_EQ(client_streams_[id].body, "ok");
  EXPECT_EQ(client_streams_[id].trailers["grpc-status"], "0");
  EXPECT_TRUE(client_streams_[id].closed);
}

TEST_F(Http2CodecTest, SlowClientRaisesTheStreamWatermarkUntilItReads) {
  settings_.stream_write_high_watermark = 100000;
  settings_.stream_write_low_watermark = 20000;
  client_reads_ = false;  // no WINDOW_UPDATE: 65535 bytes at most
  start();
  int32_t id = get();
  RecordingStream& s = *manager_.streams[0];
  ResponseHeaders h;
  s.encoder->encodeHeaders(h, false);
  for (int i = 0; i < 20; ++i) s.encoder->encodeData(std::string(10000, 'x'), false);
  pump();
  EXPECT_EQ(s.above, 1);
  EXPECT_EQ(s.below, 0);
  EXPECT_EQ(client_streams_[id].body.size(), 65535u);
  // The client reads: the window opens, the buffer drains, the stream resumes.
  nghttp2_session_consume(client_, id, client_streams_[id].body.size());
  client_reads_ = true;
  pump();
  EXPECT_EQ(s.below, 1);
  s.encoder->encodeData("", true);
  pump();
  EXPECT_EQ(client_streams_[id].body.size(), 200000u);
  EXPECT_TRUE(client_streams_[id].closed);
}

TEST_F(Http2CodecTest, RequestBodyWindowOpensOnlyWhenReadIsEnabled) {
  start();
  int32_t id = request(
      {{":method", "POST"}, {":path", "/up"}, {":scheme", "http"}, {":authority", "gw"}}, false);
  RecordingStream& s = *manager_.streams[0];
  s.encoder->readDisable(true);
  static std::string chunk(16384, 'y');
  nghttp2_data_provider provider{};
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t*,
                              nghttp2_data_source*, void*) -> ssize_t {
    size_t n = std::min(len, chunk.size());
    memcpy(buf, chunk.data(), n);
    return static_cast<ssize_t>(n);
  };
  nghttp2_submit_data(client_, NGHTTP2_FLAG_NONE, id, &provider);
  pump();
  // Without WINDOW_UPDATEs the client stops at the initial 65535-byte window.
  EXPECT_EQ(s.body.size(), 65535u);
  s.encoder->readDisable(false);
  pump();
  EXPECT_GT(s.body.size(), 65535u);
}

TEST_F(Http2CodecTest, ClientResetReachesTheStream) {
  start();
  int32_t id = get();
  nghttp2_submit_rst_stream(client_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  pump();
  EXPECT_NE(manager_.streams[0]->reset_reason.find("CANCEL"), std::string::npos);
}

TEST_F(Http2CodecTest, ServerResetSendsRstStreamAndKeepsTheConnection) {
  start();
  int32_t id = get();
  manager_.streams[0]->encoder->resetStream();
  pump();
  EXPECT_TRUE(client_streams_[id].closed);
  EXPECT_EQ(client_streams_[id].error, static_cast<uint32_t>(NGHTTP2_INTERNAL_ERROR));
  int32_t next = get();
  respond(*manager_.streams[1], 200, "still here");
  EXPECT_EQ(client_streams_[next].body, "still here");
}

TEST_F(Http2CodecTest, GoAwayOnDrainLetsStreamsFinish) {
  start();
  int32_t id = get();
  codec().goAway();
  pump();
  EXPECT_EQ(goaway_, NGHTTP2_NO_ERROR);
  EXPECT_FALSE(codec().wantsClose());  // a stream is still open
  respond(*manager_.streams[0], 200, "done");
  EXPECT_EQ(client_streams_[id].body, "done");
  EXPECT_TRUE(codec().wantsClose());
}

TEST_F(Http2CodecTest, GarbageIsAConnectionError) {
  evbuffer_add(input_, "GET / HTTP/1.1\r\n\r\n", 18);
  codec().dispatch(input_);
  EXPECT_EQ(manager_.error_status, 400);
  codec().sendProtocolError(400, "");
  EXPECT_TRUE(codec().wantsClose());
}

TEST_F(Http2CodecTest, IdleSessionGivesBackItsFrameBufferAndServesTheNextStream) {
  start();
  int32_t a = get("/a");
  ASSERT_EQ(manager_.streams.size(), 1u);
  EXPECT_FALSE(codec().releaseIdleMemory());                    // a stream is open
  respond(*manager_.streams[0], 200, std::string(40000, 'x'));  // full-size DATA frames
  ASSERT_TRUE(client_streams_[a].closed);
  EXPECT_EQ(client_streams_[a].body.size(), 40000u);
  EXPECT_GT(codec().sessionMemory().residentLargeBytes(), 0u);
  EXPECT_TRUE(codec().releaseIdleMemory());
  EXPECT_EQ(codec().sessionMemory().residentLargeBytes(), 0u);

  int32_t b = get("/b");
  ASSERT_EQ(manager_.streams.size(), 2u);
  EXPECT_EQ(manager_.streams[1]->request.path, "/b");
  respond(*manager_.streams[1], 200, "second");
  EXPECT_EQ(client_streams_[b].headers[":status"], "200");
  EXPECT_EQ(client_streams_[b].body, "second");
  EXPECT_TRUE(client_streams_[b].closed);
  EXPECT_EQ(client_streams_[b].error, 0u);
}

TEST_F(Http2CodecTest, FinishedStreamsLeaveNothingInTheSession) {
  start();
  get("/warm");
  respond(*manager_.streams.back(), 200, "ok");
  const size_t after_one = codec().sessionMemory().bytes();
  for (int i = 0; i < 50; ++i) {
    int32_t id = get("/again");
    respond(*manager_.streams.back(), 200, "ok");
    ASSERT_TRUE(client_streams_[id].closed);
  }
  EXPECT_EQ(codec().openStreams(), 0u);
  // nghttp2 keeps no closed streams (no RFC 7540 priority tree to serve):
  // fifty more streams leave the session the size it was after one.
  EXPECT_LE(codec().sessionMemory().bytes(), after_one + 512);
}

TEST(CodecFactory, PrefaceDetection) {
  evbuffer* in = evbuffer_new();
  EXPECT_EQ(detectHttp2Preface(in), PrefaceMatch::NeedMore);
  evbuffer_add(in, "PRI * HTTP/2", 12);
  EXPECT_EQ(detectHttp2Preface(in), PrefaceMatch::NeedMore);
  evbuffer_add(in, ".0\r\n\r\nSM\r\n\r\n", 12);
  EXPECT_EQ(detectHttp2Preface(in), PrefaceMatch::Http2);
  evbuffer_drain(in, evbuffer_get_length(in));
  evbuffer_add(in, "PRINT /x HTTP/1.1\r\n", 19);
  EXPECT_EQ(detectHttp2Preface(in), PrefaceMatch::Other);
  evbuffer_free(in);
}

TEST(CodecFactory, AlpnPicksTheCodec) {
  Manager m;
  evbuffer* out = evbuffer_new();
  EXPECT_EQ(createServerCodec("h2", m, out, CodecLimits(), Http2Settings())->protocol(),
            Protocol::Http2);
  EXPECT_EQ(createServerCodec("http/1.1", m, out, CodecLimits(), Http2Settings())->protocol(),
            Protocol::Http1);
  EXPECT_EQ(createServerCodec("", m, out, CodecLimits(), Http2Settings())->protocol(),
            Protocol::Http1);
  evbuffer_free(out);
}

}  // namespace
}  // namespace gw::http
