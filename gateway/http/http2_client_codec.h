#pragma once

// HTTP/2 UpstreamCodec on nghttp2 (see upstream_codec.h for the contract): a
// client session over one upstream connection's bytes, many streams at once.
//
// - Requests stream their bodies through a data provider: sendData() buffers,
//   nghttp2 takes from the buffer as the backend's flow-control window allows.
// - Response bodies are flow-controlled by the caller: the window reopens only
//   as the caller reports consumed() bytes (no automatic WINDOW_UPDATE).
// - The backend's SETTINGS_MAX_CONCURRENT_STREAMS and the caller's limit
//   (maxActiveStreamsPerConnection) both bound acceptsStreams().
// - GOAWAY: streams above its last_stream_id end as Refused (safe to retry on
//   another connection); the connection takes no new streams.
// - Responses are checked as the HTTP/1 codec checks them: status 100-599 (1xx
//   apart), header names tokens, no connection-specific fields; pseudo-headers
//   are consumed here and never reach the callbacks.
//
// Threading: one connection on one thread; not thread-safe.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gateway/http/upstream_codec.h"

namespace gw::http {

class Http2ClientCodec : public UpstreamCodec {
 public:
  // `max_streams`: at most this many streams at once (the backend's own limit
  // may be lower).
  explicit Http2ClientCodec(size_t max_streams);
  ~Http2ClientCodec() override;

  UpstreamStream* newStream(const UpstreamRequestHead& head, bool end_stream,
                            UpstreamStreamCallbacks& callbacks) override;
  bool acceptsStreams() const override;
  size_t activeStreams() const override { return streams_.size(); }
  bool decode(const char* data, size_t len) override;
  void decodeEof() override;
  size_t moveOutput(evbuffer* out) override;
  bool reusable() const override { return !goaway_ && !failed_; }
  const std::string& error() const override { return error_; }

  // The GOAWAY's last_stream_id once one arrived, else -1.
  int32_t goawayLastStreamId() const { return goaway_ ? goaway_last_id_ : -1; }

 private:
  class Stream;
  friend class Stream;
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static int onFrameNotSent(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                            void* user);
  static ssize_t readBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void* user);

  Stream* find(int32_t stream_id);
  int headersDone(Stream& s, bool end_stream);
  // Ends a stream with onStreamReset (once) and forgets it.
  void failStream(Stream& s, StreamResetReason reason, std::string_view detail);
  void failAll(StreamResetReason reason, std::string_view detail);
  void flush();
  void notifyDrained();
  void collectGarbage();

  nghttp2_session* session_ = nullptr;
  size_t max_streams_;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  // Streams ended inside a callback, destroyed after it unwinds.
  std::vector<std::unique_ptr<Stream>> dead_;
  std::string output_;
  static constexpr size_t kKeptOutputCapacity = 64 << 10;
  std::string error_;
  bool goaway_ = false;
  int32_t goaway_last_id_ = 0;
  bool failed_ = false;
  int depth_ = 0;  // nesting of calls into nghttp2 (callbacks may re-enter)
};

}  // namespace gw::http
