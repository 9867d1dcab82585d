// Http2ServerCodec against a real HTTP/2 client: an nghttp2 client session
// whose frames are handed to the codec and whose responses are read back.
// Also the codec factory (preface detection, ALPN choice).

#include "gateway/http/http2_server_codec.h"

#include <event2/buffer.h>
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/codec_factory.h"
#include "gateway/http/filter_chain.h"
#include "gateway/stats/stats.h"

namespace gw::http {
namespace {

// Records what the codec hands the connection manager, per stream.
class RecordingStream : public RequestDecoder, public StreamCallbacks {
 public:
  void decodeHeaders(RequestHeaders headers, bool end_stream) override {
    request = std::move(headers);
    ended = end_stream;
  }
  void decodeData(std::string& data, bool end_stream) override {
    body += data;
    ended = end_stream;
  }
  void decodeTrailers(HeaderMap t) override {
    trailers = std::move(t);
    ended = true;
  }
  void onResetStream(std::string_view why) override { reset_reason = std::string(why); }
  void onAboveWriteBufferHighWatermark() override { ++above; }
  void onBelowWriteBufferLowWatermark() override { ++below; }

  ResponseEncoder* encoder = nullptr;
  RequestHeaders request;
  std::string body;
  HeaderMap trailers;
  bool ended = false;
  std::string reset_reason;
  int above = 0;
  int below = 0;
};

class Manager : public ServerCodecCallbacks {
 public:
  RequestDecoder& newStream(ResponseEncoder& encoder) override {
    streams.push_back(std::make_unique<RecordingStream>());
    streams.back()->encoder = &encoder;
    encoder.setStreamCallbacks(streams.back().get());
    return *streams.back();
  }
  void onProtocolError(int status, std::string_view, std::string_view description) override {
    error_status = status;
    error = std::string(description);
  }
  void onStreamRefused(int status, std::string_view description) override {
    refused_status = status;
    refused = std::string(description);
  }
  int refused_status = 0;
  std::string refused;
  std::vector<std::unique_ptr<RecordingStream>> streams;
  int error_status = 0;
  std::string error;
};

// The client side: an nghttp2 client session and what it received.
struct ClientStream {
  std::map<std::string, std::string> headers;
  std::string body;
  std::map<std::string, std::string> trailers;
  bool closed = false;
  uint32_t error = 0;
};

class Http2CodecTest : public ::testing::Test {
 protected:
  Http2CodecTest() : input_(evbuffer_new()), output_(evbuffer_new()) {
    limits_.underscore_headers_dropped = &dropped_;
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrame);
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_session_client_new2(&client_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
  }
  ~Http2CodecTest() override {
    codec_.reset();
    nghttp2_session_del(client_);
    evbuffer_free(input_);
    evbuffer_free(output_);
  }

  Http2ServerCodec& codec() {
    if (!codec_) codec_ = std::make_unique<Http2ServerCodec>(manager_, output_, limits_, settings_);
    return *codec_;
  }

  void start(uint32_t client_window = 65535) {
    // nghttp2's client session sends the preface itself.
    nghttp2_settings_entry e[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, client_window}};
    nghttp2_submit_settings(client_, NGHTTP2_FLAG_NONE, e, 1);
    pump();
  }

  // Client frames -> codec; codec frames -> client, until both are quiet.
  void pump() {
    for (int round = 0; round < 64; ++round) {
      bool moved = false;
      const uint8_t* data;
      ssize_t n;
      while ((n = nghttp2_session_mem_send(client_, &data)) > 0) {
        evbuffer_add(input_, data, n);
        moved = true;
      }
      if (evbuffer_get_length(input_) > 0) codec().dispatch(input_);
      codec().flushOutput();
      size_t len = evbuffer_get_length(output_);
      if (len > 0) {
        std::string out(len, '\0');
        evbuffer_remove(output_, out.data(), len);
        nghttp2_session_mem_recv(client_, reinterpret_cast<const uint8_t*>(out.data()), len);
        moved = true;
      }
      if (!moved) return;
    }
  }

  int32_t request(std::vector<std::pair<std::string, std::string>> headers, bool end = true) {
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : headers) {
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                     n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    int32_t id = nghttp2_submit_headers(client_, end ? NGHTTP2_FLAG_END_STREAM : 0, -1, nullptr,
                                        nva.data(), nva.size(), nullptr);
    pump();
    return id;
  }
  int32_t get(std::string path = "/pets", std::string authority = "gw.example") {
    return request(
        {{":method", "GET"}, {":path", path}, {":scheme", "http"}, {":authority", authority}});
  }

  static int onHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                      const uint8_t* v, size_t vl, uint8_t, void* user) {
    auto* t = static_cast<Http2CodecTest*>(user);
    ClientStream& s = t->client_streams_[f->hd.stream_id];
    auto& target =
        f->headers.cat == NGHTTP2_HCAT_HEADERS && !s.headers.empty() ? s.trailers : s.headers;
    target[std::string(reinterpret_cast<const char*>(n), nl)] =
        std::string(reinterpret_cast<const char*>(v), vl);
    return 0;
  }
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len,
                    void* user) {
    auto* t = static_cast<Http2CodecTest*>(user);
    t->client_streams_[id].body.append(reinterpret_cast<const char*>(d), len);
    if (t->client_reads_) nghttp2_session_consume(t->client_, id, len);
    return 0;
  }
  static int onClose(nghttp2_session*, int32_t id, uint32_t error, void* user) {
    auto* t = static_cast<Http2CodecTest*>(user);
    t->client_streams_[id].closed = true;
    t->client_streams_[id].error = error;
    return 0;
  }
  static int onFrame(nghttp2_session*, const nghttp2_frame* f, void* user) {
    auto* t = static_cast<Http2CodecTest*>(user);
    if (f->hd.type == NGHTTP2_GOAWAY) {
      t->goaway_ = static_cast<int>(f->goaway.error_code);
      t->goaway_data_.assign(reinterpret_cast<const char*>(f->goaway.opaque_data),
                             f->goaway.opaque_data_len);
    }
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
      for (size_t i = 0; i < f->settings.niv; ++i)
        t->server_settings_[f->settings.iv[i].settings_id] = f->settings.iv[i].value;
    }
    return 0;
  }

  void respond(RecordingStream& s, int status, std::string body, bool end = true) {
    ResponseHeaders h;
    h.status = status;
    h.headers.add("Content-Type", "text/plain");
    h.headers.add("Connection", "keep-alive");
    h.headers.add("Server", "backend ");
    s.encoder->encodeHeaders(h, false);
    s.encoder->encodeData(body, end);
    pump();
  }

  stats::Counter dropped_;
  CodecLimits limits_;
  Http2Settings settings_;
  Manager manager_;
  evbuffer* input_;
  evbuffer* output_;
  std::unique_ptr<Http2ServerCodec> codec_;
  nghttp2_session* client_ = nullptr;
  std::map<int32_t, ClientStream> client_streams_;
  std::map<int32_t, uint32_t> server_settings_;
  bool client_reads_ = true;
  int goaway_ = -1;
  std::string goaway_data_;
};

// One raw frame: 9-byte header, then the payload.
std::string frame(uint8_t type, uint8_t flags, int32_t stream, std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  f.append(payload);
  return f;
}

// An HPACK block of a GET request (a fresh encoder, as a client's first request).
std::string hpackGet() {
  nghttp2_hd_deflater* deflater;
  nghttp2_hd_deflate_new(&deflater, 4096);
  std::vector<std::pair<std::string, std::string>> fields = {
      {":method", "GET"}, {":path", "/pets"}, {":scheme", "http"}, {":authority", "gw"}};
  std::vector<nghttp2_nv> nva;
  for (auto& [n, v] : fields) {
    nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                   n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  }
  std::string out(nghttp2_hd_deflate_bound(deflater, nva.data(), nva.size()), '\0');
  const ssize_t n = nghttp2_hd_deflate_hd(deflater, reinterpret_cast<uint8_t*>(out.data()),
                                          out.size(), nva.data(), nva.size());
  nghttp2_hd_deflate_del(deflater);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

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
