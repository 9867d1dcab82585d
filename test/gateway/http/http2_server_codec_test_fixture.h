#pragma once

// Shared fixture for the Http2ServerCodec tests: an nghttp2 client session
// whose frames are handed to the codec, the stream and manager fakes that
// record what the codec hands up, and raw frame / HPACK helpers.

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
#include "gateway/http/http2_server_codec.h"
#include "gateway/stats/stats.h"
#include "test/gateway/http/http2_frame.h"

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
    newClient();
  }
  ~Http2CodecTest() override {
    codec_.reset();
    nghttp2_session_del(client_);
    evbuffer_free(input_);
    evbuffer_free(output_);
  }

  // A fresh client session (the one before it deleted). `index` false: its
  // HPACK encoder adds nothing to the dynamic table (table size 0).
  void newClient(bool index = true) {
    nghttp2_session_del(client_);
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrame);
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    if (!index) nghttp2_option_set_max_deflate_dynamic_table_size(opt, 0);
    nghttp2_session_client_new2(&client_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
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
      t->goaway_last_stream_ = f->goaway.last_stream_id;
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
  int32_t goaway_last_stream_ = -1;
  std::string goaway_data_;
};

using testing::frame;  // one raw frame (http2_frame.h)

// An HPACK block of a GET request (a fresh encoder, as a client's first request).
inline std::string hpackGet() {
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

}  // namespace
}  // namespace gw::http
