// Fuzzes the HTTP/2 server codec (gateway/http/http2_server_codec.h) through
// the ServerCodec seam the connection manager uses.
//
// Input layout: kControlBytes control bytes, then the client's frames after
// the connection preface (the driver sends the preface itself). Control byte
// 0 picks the codec limits (bits 0-1: URI and header section sizes; bit 2:
// maxEntityBodySize 10; bit 3: maxHeaderCount 3; bit 4: underscore names
// rejected instead of dropped); the others, cyclically, every fuzzer-driven
// choice: the size of each chunk handed to dispatch() and what the fake
// connection manager does with each stream (answer at once, with a body,
// with trailers, reset it, stop / resume reading its body, or keep it open).
//
// Invariants (a violation is __builtin_trap()):
//  - request events arrive in order: headers first, nothing after end_stream;
//  - no request or stream events for a stream whose response ended or that
//    was reset (by either side) - the connection manager has deleted it;
//  - decoded headers have a method and a path within maxUriLength, no field
//    with an underscore when those are refused, at most maxHeaderCount fields;
//  - decoded body bytes stay within maxEntityBodySize;
//  - onProtocolError reports 400, and no new stream starts after it;
//  - a stream the codec answers itself has status 400, 413, 414, 431 or 501;
//  - the output always begins with a SETTINGS frame (the server preface).

#include <event2/buffer.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "gateway/http/codec.h"
#include "gateway/http/codec_factory.h"
#include "gateway/http/http2_server_codec.h"
#include "gateway/stats/stats.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::http::CodecLimits;
using gw::http::HeaderMap;
using gw::http::Http2ServerCodec;
using gw::http::Http2Settings;
using gw::http::RequestDecoder;
using gw::http::RequestHeaders;
using gw::http::ResponseEncoder;
using gw::http::ResponseHeaders;
using gw::http::ServerCodecCallbacks;
using gw::http::StreamCallbacks;

constexpr size_t kControlBytes = 8;

using gw::fuzz::Control;

// One request as the connection manager's ActiveStream would see it.
class FakeStream : public RequestDecoder, public StreamCallbacks {
 public:
  FakeStream(Control& control, const CodecLimits& limits, ResponseEncoder& encoder)
      : control_(control), limits_(limits), encoder_(encoder) {
    encoder_.setStreamCallbacks(this);
  }

  void decodeHeaders(RequestHeaders headers, bool end_stream) override {
    FUZZ_CHECK(live() && !saw_headers_);
    saw_headers_ = true;
    FUZZ_CHECK(!headers.method.empty());
    FUZZ_CHECK(headers.path.size() <= limits_.max_uri_length);
    FUZZ_CHECK(headers.headers.size() <= limits_.max_header_count + 3);  // + host, cookie, TE
    if (limits_.headers_with_underscores != gw::http::UnderscoreHeaders::Allow) {
      for (const auto& [name, value] : headers.headers.entries())
        FUZZ_CHECK(name.find('_') == std::string::npos);
    }
    request_ended_ = end_stream;
    act();
  }
  void decodeData(std::string& data, bool end_stream) override {
    FUZZ_CHECK(live() && saw_headers_ && !request_ended_);
    body_bytes_ += data.size();
    if (limits_.max_entity_body_size > 0) FUZZ_CHECK(body_bytes_ <= limits_.max_entity_body_size);
    request_ended_ = end_stream;
    if (control_.next() & 1) act();
  }
  void decodeTrailers(HeaderMap trailers) override {
    FUZZ_CHECK(live() && saw_headers_ && !request_ended_);
    FUZZ_CHECK(trailers.size() <= limits_.max_header_count);
    request_ended_ = true;
    act();
  }

  void onResetStream(std::string_view) override {
    FUZZ_CHECK(live());
    reset_ = true;
  }
  void onAboveWriteBufferHighWatermark() override { FUZZ_CHECK(live()); }
  void onBelowWriteBufferLowWatermark() override { FUZZ_CHECK(live()); }

  bool live() const { return !reset_ && !response_done_; }

  // The connection manager's choices for this stream.
  void act() {
    if (!live()) return;
    const uint8_t c = control_.next();
    switch (c % 8) {
      case 0:  // keep waiting
        return;
      case 1:
        encoder_.readDisable(true);
        read_disabled_ = true;
        return;
      case 2:
        if (read_disabled_) encoder_.readDisable(false);
        read_disabled_ = false;
        return;
      case 3:
        reset_ = true;
        encoder_.setStreamCallbacks(nullptr);
        encoder_.resetStream();
        return;
      default:
        respond(c);
    }
  }

 private:
  void respond(uint8_t c) {
    ResponseHeaders headers;
    headers.status = (c & 0x10) ? 204 : 200;
    headers.headers.add("Content-Type", "text/plain ");
    headers.headers.add("Connection", "close");
    const bool headers_only = c & 0x20;
    if (!response_started_) {
      response_started_ = true;
      encoder_.encodeHeaders(headers, headers_only);
      if (headers_only) {
        response_done_ = true;
        return;
      }
    }
    encoder_.encodeData(std::string(static_cast<size_t>(c) * 97, 'x'), false);
    if (c & 0x40) {
      HeaderMap trailers;
      trailers.add("X-Checksum", "1");
      encoder_.encodeTrailers(trailers);
      response_done_ = true;
    } else if (c & 0x80) {
      encoder_.encodeData("end", true);
      response_done_ = true;
    }
  }

  Control& control_;
  const CodecLimits& limits_;
  ResponseEncoder& encoder_;
  bool saw_headers_ = false;
  bool request_ended_ = false;
  bool response_started_ = false;
  bool response_done_ = false;
  bool reset_ = false;
  bool read_disabled_ = false;
  uint64_t body_bytes_ = 0;
};

class FakeConnection : public ServerCodecCallbacks {
 public:
  FakeConnection(Control& control, const CodecLimits& limits)
      : control_(control), limits_(limits) {}

  RequestDecoder& newStream(ResponseEncoder& encoder) override {
    FUZZ_CHECK(!protocol_error_);
    // The encoder of a finished stream may be reused by address: a new key.
    streams_[next_++] = std::make_unique<FakeStream>(control_, limits_, encoder);
    return *streams_[next_ - 1];
  }
  void onProtocolError(int status, std::string_view, std::string_view) override {
    FUZZ_CHECK(status == 400);
    FUZZ_CHECK(!protocol_error_);
    protocol_error_ = true;
    for (auto& [id, s] : streams_)
      if (s->live()) s->onResetStream("connection error");
  }

  void onStreamRefused(int status, std::string_view) override {
    FUZZ_CHECK(status == 400 || status == 413 || status == 414 || status == 431 || status == 501);
  }

  // Later events: some open streams answer now (as the router would when
  // the upstream replies).
  void tick() {
    for (auto& [id, s] : streams_)
      if (control_.next() & 1) s->act();
  }

 private:
  Control& control_;
  const CodecLimits& limits_;
  std::map<int, std::unique_ptr<FakeStream>> streams_;
  int next_ = 0;
  bool protocol_error_ = false;
};

CodecLimits limitsFrom(uint8_t b) {
  static constexpr uint32_t kUri[] = {4096, 16};
  static constexpr uint32_t kHeader[] = {8192, 64};
  CodecLimits l;
  l.max_uri_length = kUri[b & 1];
  l.max_header_size = kHeader[(b >> 1) & 1];
  l.max_entity_body_size = (b & 0x04) ? 10 : 0;
  l.max_header_count = (b & 0x08) ? 3 : 100;
  l.headers_with_underscores =
      (b & 0x10) ? gw::http::UnderscoreHeaders::Reject : gw::http::UnderscoreHeaders::Drop;
  static gw::stats::Counter dropped;
  l.underscore_headers_dropped = &dropped;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kControlBytes) return 0;
  const CodecLimits limits = limitsFrom(data[0]);
  Control control(data + 1, kControlBytes - 1);
  const uint8_t* frames = data + kControlBytes;
  const size_t frames_size = size - kControlBytes;

  evbuffer* input = evbuffer_new();
  evbuffer* output = evbuffer_new();
  {
    // Declared before the codec: the streams' callbacks must outlive it.
    FakeConnection conn(control, limits);
    Http2ServerCodec codec(conn, output, limits, Http2Settings());
    codec.flushOutput();
    uint8_t head[9];
    FUZZ_CHECK(evbuffer_copyout(output, head, 9) == 9 && head[3] == 0x4);  // SETTINGS
    evbuffer_add(input, gw::http::kHttp2Preface.data(), gw::http::kHttp2Preface.size());
    size_t pos = 0;
    while (pos < frames_size) {
      const uint8_t c = control.next();
      size_t chunk = (c & 0x80) ? frames_size - pos : 1 + (c & 0x7f);
      if (chunk > frames_size - pos) chunk = frames_size - pos;
      evbuffer_add(input, frames + pos, chunk);
      pos += chunk;
      codec.dispatch(input);
      conn.tick();
      codec.flushOutput();
      // The client reads part of what the gateway sent.
      if (c & 0x40) evbuffer_drain(output, evbuffer_get_length(output));
    }
    conn.tick();
    codec.flushOutput();
  }
  evbuffer_free(input);
  evbuffer_free(output);
  return 0;
}
