#pragma once

// HTTP/2 server codec on nghttp2: many concurrent streams on one connection.
// Each stream is a ResponseEncoder the codec owns until nghttp2 closes it;
// response bodies wait in a per-stream buffer that nghttp2 pulls from as the
// client's flow-control window and the socket allow (above a watermark the
// stream tells its StreamCallbacks to stop producing). Request bodies are
// acknowledged (WINDOW_UPDATE) only once passed on, so a slow upstream slows
// the client. Flood limits (Http2Settings) end an abusive connection with
// GOAWAY ENHANCE_YOUR_CALM. Single-threaded, owned by one downstream
// connection; decoder callbacks run inside dispatch() and flushOutput().

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gateway/http/codec.h"
#include "gateway/http/http2_flood_guard.h"
#include "gateway/http/http2_session_memory.h"
#include "gateway/http/http2_settings.h"

namespace gw::http {

class Http2ServerCodec : public ServerCodec {
 public:
  // `output` is the client socket's output buffer; `callbacks` must outlive the codec.
  Http2ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output, const CodecLimits& limits,
                   const Http2Settings& settings);
  ~Http2ServerCodec() override;

  // ServerCodec
  Protocol protocol() const override { return Protocol::Http2; }
  void dispatch(evbuffer* input) override;
  void sendProtocolError(int status, std::string_view body) override;
  void goAway() override;
  bool wantsClose() const override;
  void flushOutput() override;
  bool wantsWrite() const override;
  bool headerBlockOpen() const override { return open_header_block_ != 0; }

  // Streams nghttp2 has open (for tests).
  size_t openStreams() const { return streams_.size(); }

  // The connection is idle: with no stream open and nothing to send, the
  // session's frame buffer pages go back to the kernel and its cached free
  // blocks to malloc. False if it is busy.
  bool releaseIdleMemory();
  // What the nghttp2 session holds (its allocator's count).
  const Http2SessionMemory& sessionMemory() const { return memory_; }

 private:
  class Stream;
  friend class Stream;

  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onDataChunkRecv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                             const uint8_t* data, size_t len, void* user);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static int onInvalidFrameRecv(nghttp2_session*, const nghttp2_frame* frame, int error,
                                void* user);

  int frameReceived(const nghttp2_frame& frame);
  int headersReceived(Stream& stream, const nghttp2_frame& frame);
  int streamClosed(int32_t stream_id, uint32_t error_code);
  void enhanceYourCalm(std::string_view what);
  void fail(std::string_view description);
  Stream* stream(int32_t id);

  ServerCodecCallbacks& callbacks_;
  evbuffer* output_;
  CodecLimits limits_;
  Http2Settings settings_;
  Http2SessionMemory memory_;  // nghttp2's allocator; outlives session_
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  Http2FloodGuard flood_guard_;    // after settings_, which it points into
  int32_t open_header_block_ = 0;  // the stream whose HEADERS lack END_HEADERS, or 0
  bool failed_ = false;
  bool goaway_ = false;      // a graceful GOAWAY went out (draining)
  bool terminated_ = false;  // a GOAWAY with an error went out
  bool in_dispatch_ = false;
  bool in_flush_ = false;
  bool destroying_ = false;
};

}  // namespace gw::http
