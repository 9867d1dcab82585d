// Parking an idle HTTP/2 connection: Http2ServerCodec::idleState() and
// prepareIdle() on one codec, resume() on a new one, against a real nghttp2
// client session that goes on as if nothing happened. nghttp2's encoder,
// like curl's and browsers', indexes the request fields; the session's
// decoder table comes back from Http2HpackMirror's copy.
// useNonIndexingClient() turns the client's indexing off.

#include "test/gateway/http/http2_server_codec_test_fixture.h"

namespace gw::http {
namespace {

using std::chrono::milliseconds;

class Http2IdleResumeTest : public Http2CodecTest {
 protected:
  // The client's first request, answered: the connection is idle after it.
  // `window`: the connection window the client grants beyond 65,535 (curl,
  // h2load and browsers grant megabytes).
  void firstExchange(int32_t window = 0) {
    start();
    if (window > 0) {
      nghttp2_session_set_local_window_size(client_, NGHTTP2_FLAG_NONE, 0, 65535 + window);
      pump();
    }
    get("/first");
    ASSERT_EQ(manager_.streams.size(), 1u);
    respond(*manager_.streams[0], 200, "one");
    ASSERT_TRUE(client_streams_[1].closed);
  }

  // What parking does: the state, then a new codec resumed from it.
  void parkAndResume(milliseconds parked_for = milliseconds(1500)) {
    std::optional<Http2IdleState> state = codec().idleState();
    ASSERT_TRUE(state.has_value());
    codec_ = std::make_unique<Http2ServerCodec>(manager_, output_, limits_, settings_);
    codec_->resume(*state, parked_for);
    codec_->flushOutput();
    // Nothing reaches the client: it must not see a second preface.
    EXPECT_EQ(evbuffer_get_length(output_), 0u);
    EXPECT_EQ(manager_.error, "");
  }

  // A client that never indexes its headers (HPACK table size 0).
  void useNonIndexingClient() { newClient(/*index=*/false); }
};

TEST_F(Http2IdleResumeTest, AnIndexingClientParksAndItsTableComesBack) {
  // A client that indexes its fields (nghttp2's encoder, like curl's).
  firstExchange(1 << 24);
  ASSERT_GT(nghttp2_session_get_hd_deflate_dynamic_table_size(client_), 0u);
  parkAndResume();
  manager_.streams.clear();
  // The same fields: the client's encoder refers to what it indexed before.
  for (int i = 0; i < 3; ++i) {
    const int32_t id = request({{":method", "GET"},
                                {":path", "/first"},
                                {":scheme", "http"},
                                {":authority", "gw.example"},
                                {"user-agent", "test/1"}});
    ASSERT_EQ(manager_.streams.size(), static_cast<size_t>(i + 1));
    RecordingStream& s = *manager_.streams[i];
    EXPECT_EQ(s.request.path, "/first");
    EXPECT_EQ(*s.request.headers.get("host"), "gw.example");
    EXPECT_EQ(*s.request.headers.get("user-agent"), "test/1");
    respond(s, 200, "again");
    EXPECT_EQ(client_streams_[id].body, "again");
  }
  EXPECT_EQ(goaway_, -1);
  EXPECT_EQ(manager_.error, "");
  // And it parks again, with what the new session's table holds.
  EXPECT_TRUE(codec().idleState().has_value());
}

TEST_F(Http2IdleResumeTest, OneRequestWithIndexedPseudoHeadersAndAShortWindowWaitsForAnother) {
  // The table holds :authority (not valid after the replayed request's own
  // pseudo-header fields) and the window lacks 3 bytes: both would need
  // stream 1. After one more request there is a stream for each.
  firstExchange();
  EXPECT_FALSE(codec().idleState().has_value());
  get("/second");
  respond(*manager_.streams[1], 200, "two");
  parkAndResume();
  manager_.streams.clear();
  const int32_t id = get("/third");
  ASSERT_EQ(manager_.streams.size(), 1u);
  EXPECT_EQ(manager_.streams[0]->request.path, "/third");
  EXPECT_EQ(*manager_.streams[0]->request.headers.get("host"), "gw.example");
  respond(*manager_.streams[0], 200, "three");
  EXPECT_EQ(client_streams_[id].body, "three");
  EXPECT_EQ(id, 5);
}

TEST_F(Http2IdleResumeTest, TheResumedSessionServesTheClientsNextRequests) {
  useNonIndexingClient();
  firstExchange();
  parkAndResume();
  manager_.streams.clear();
  const int32_t second = get("/first");
  ASSERT_EQ(manager_.streams.size(), 1u);
  EXPECT_EQ(manager_.streams[0]->request.path, "/first");
  EXPECT_EQ(*manager_.streams[0]->request.headers.get("host"), "gw.example");
  respond(*manager_.streams[0], 200, "two");
  EXPECT_EQ(second, 3);
  EXPECT_EQ(client_streams_[second].headers[":status"], "200");
  EXPECT_EQ(client_streams_[second].body, "two");
  // The gateway's encoder started afresh; the client's decoder still holds
  // the old session's entries behind the new ones.
  const int32_t third = get("/first");
  ASSERT_EQ(manager_.streams.size(), 2u);
  respond(*manager_.streams[1], 200, "three");
  EXPECT_EQ(client_streams_[third].headers["content-type"], "text/plain");
  EXPECT_EQ(client_streams_[third].body, "three");
  EXPECT_EQ(goaway_, -1);
  EXPECT_EQ(manager_.error, "");
}

TEST_F(Http2IdleResumeTest, ANonIndexingClientParksAtOnce) {
  useNonIndexingClient();
  firstExchange();
  EXPECT_FALSE(codec().prepareIdle());
  parkAndResume();
  manager_.streams.clear();
  get("/again");
  ASSERT_EQ(manager_.streams.size(), 1u);
  EXPECT_EQ(manager_.streams[0]->request.path, "/again");
}

TEST_F(Http2IdleResumeTest, NoStateWhileAStreamIsOpen) {
  start();
  get("/slow");
  EXPECT_FALSE(codec().idleState().has_value());
  EXPECT_FALSE(codec().prepareIdle());
}

TEST_F(Http2IdleResumeTest, TheClientsSettingsAndWindowCarryOver) {
  useNonIndexingClient();
  // A big stream window and connection window, a small frame size.
  nghttp2_settings_entry e[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
                                {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 20000}};
  nghttp2_submit_settings(client_, NGHTTP2_FLAG_NONE, e, 2);
  nghttp2_session_set_local_window_size(client_, NGHTTP2_FLAG_NONE, 0, 1 << 20);
  pump();
  get("/first");
  respond(*manager_.streams[0], 200, "one");
  const int32_t window = codec().sendWindow();
  ASSERT_GT(window, 65535);
  parkAndResume();
  EXPECT_EQ(codec().sendWindow(), window);
  manager_.streams.clear();
  // 200 kB goes out in one go: the stream window is the client's 1 MB, not
  // the default 64 kB, and frames are at most the client's 20,000 bytes.
  const int32_t id = get("/big");
  ASSERT_EQ(manager_.streams.size(), 1u);
  ResponseHeaders h;
  h.status = 200;
  manager_.streams[0]->encoder->encodeHeaders(h, false);
  std::string body(200000, 'x');
  manager_.streams[0]->encoder->encodeData(body, true);
  client_reads_ = false;  // no WINDOW_UPDATE from the client: the window alone must do
  pump();
  EXPECT_EQ(client_streams_[id].body.size(), 200000u);
  EXPECT_TRUE(client_streams_[id].closed);
}

TEST_F(Http2IdleResumeTest, AShortSendWindowStaysShort) {
  // The client grants 4 bytes per stream and has not yet given back the
  // connection window its responses used: the resumed session must not
  // believe it may send the full initial 65,535.
  useNonIndexingClient();
  start(4);
  get("/first");
  respond(*manager_.streams[0], 200, "eleven byte");
  ASSERT_EQ(client_streams_[1].body, "eleven byte");
  const int32_t window = codec().sendWindow();
  ASSERT_EQ(window, 65535 - 11);
  parkAndResume();
  EXPECT_EQ(codec().sendWindow(), window);
  manager_.streams.clear();
  const int32_t id = get("/second");
  ASSERT_EQ(manager_.streams.size(), 1u);
  respond(*manager_.streams[0], 200, "and more bytes");
  EXPECT_EQ(client_streams_[id].body, "and more bytes");
  EXPECT_EQ(goaway_, -1);
}

TEST_F(Http2IdleResumeTest, UnacknowledgedRequestBodyBytesAreAcknowledgedFirst) {
  useNonIndexingClient();
  start();
  const int32_t id = request(
      {{":method", "POST"}, {":path", "/up"}, {":scheme", "http"}, {":authority", "gw"}}, false);
  std::string data(1000, 'b');
  nghttp2_data_provider provider;
  provider.source.ptr = &data;
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                              uint32_t* flags, nghttp2_data_source* source, void*) -> ssize_t {
    auto* d = static_cast<std::string*>(source->ptr);
    const size_t n = std::min(length, d->size());
    memcpy(buf, d->data(), n);
    d->erase(0, n);
    if (d->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };
  nghttp2_submit_data(client_, NGHTTP2_FLAG_END_STREAM, id, &provider);
  pump();
  ASSERT_EQ(manager_.streams.size(), 1u);
  respond(*manager_.streams[0], 201, "");
  ASSERT_TRUE(client_streams_[id].closed);
  // 1,000 bytes are below nghttp2's threshold for a WINDOW_UPDATE: the
  // client's connection window is short by them, a fresh session's is not.
  EXPECT_FALSE(codec().idleState().has_value());
  ASSERT_TRUE(codec().prepareIdle());
  pump();
  EXPECT_EQ(nghttp2_session_get_remote_window_size(client_), 65535);
  EXPECT_TRUE(codec().idleState().has_value());
}

TEST_F(Http2IdleResumeTest, AGoAwayAfterResumingNamesTheLastStreamBeforeIt) {
  useNonIndexingClient();
  firstExchange();
  parkAndResume();
  codec().goAway();
  pump();
  EXPECT_EQ(goaway_, NGHTTP2_NO_ERROR);
  EXPECT_EQ(goaway_last_stream_, 1);
}

TEST_F(Http2IdleResumeTest, TheParkingsGoAwayFrameIsOneTheClientReads) {
  useNonIndexingClient();
  firstExchange();
  const auto frame = Http2ServerCodec::goAwayFrame(1);
  ASSERT_EQ(nghttp2_session_mem_recv(client_, frame.data(), frame.size()),
            static_cast<ssize_t>(frame.size()));
  EXPECT_EQ(goaway_, NGHTTP2_NO_ERROR);
  EXPECT_EQ(goaway_last_stream_, 1);
}

TEST_F(Http2IdleResumeTest, ResetTokensCarryOverAndRefillWhileParked) {
  settings_.reset_burst = 10;
  settings_.reset_rate_per_second = 2;
  useNonIndexingClient();
  start();
  // 8 requests cancelled by the client: 2 of 10 reset tokens left.
  for (int i = 0; i < 8; ++i) {
    const int32_t id = get("/cancel");
    nghttp2_submit_rst_stream(client_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    pump();
  }
  ASSERT_EQ(codec().openStreams(), 0u);
  std::optional<Http2IdleState> state = codec().idleState();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->tokens.resets, 2);
  // Parked 1 s: 2 more. The fifth reset after resuming is one too many.
  codec_ = std::make_unique<Http2ServerCodec>(manager_, output_, limits_, settings_);
  codec_->resume(*state, milliseconds(1000));
  for (int i = 0; i < 4; ++i) {
    const int32_t id = get("/cancel");
    nghttp2_submit_rst_stream(client_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    pump();
  }
  EXPECT_EQ(goaway_, -1);
  const int32_t id = get("/cancel");
  nghttp2_submit_rst_stream(client_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  pump();
  EXPECT_EQ(goaway_, NGHTTP2_ENHANCE_YOUR_CALM);
}

}  // namespace
}  // namespace gw::http
