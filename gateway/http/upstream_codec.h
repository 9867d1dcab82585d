#pragma once

// The stream-oriented upstream seam: an UpstreamCodec turns one upstream
// connection's bytes into independent request/response streams. HTTP/1
// (Http1UpstreamCodec, one stream at a time over Http1ClientCodec) and HTTP/2
// (Http2ClientCodec, many streams multiplexed by nghttp2) implement it, so the
// router can send a request over either. The codec does no I/O: the owner
// feeds it the peer's bytes (decode) and writes what moveOutput() hands over.
//
// Example (one stream):
//
//   Http2ClientCodec codec(max_streams);
//   UpstreamStream* s = codec.newStream(head, /*end_stream=*/false, callbacks);
//   s->sendData(body, /*end_stream=*/true);
//   codec.moveOutput(bufferevent_get_output(bev));
//   codec.decode(bytes, n);   // callbacks fire inside decode()
//   s->consumed(n_body);      // after the response body was passed on
//   codec.moveOutput(bufferevent_get_output(bev));
//
// Response events arrive per stream through ResponseDecoderCallbacks
// (client_codec.h), by the same rules for every protocol: 1xx answers apart,
// status 100-599, header names tokens, no connection-specific fields.
//
// Threading: a codec belongs to one connection on one thread. Callbacks run
// inside decode()/decodeEof() and inside the stream calls; a callback must not
// destroy the codec, but may reset its own stream or start another one.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/http/client_codec.h"
#include "gateway/http/header_map.h"

struct evbuffer;

namespace gw::http {

// A request body its owner shares with the codec, so that it can be sent
// without a copy: HTTP/1 puts a reference to it in the output (the string
// stays alive, through this pointer, until those bytes are written or
// dropped). The owner may recycle the string in the deleter.
using SharedBody = std::shared_ptr<const std::string>;

// One request as the backend gets it, protocol-neutral.
struct UpstreamRequestHead {
  std::string method;     // "GET"
  std::string scheme;     // "http" or "https" (HTTP/2 :scheme)
  std::string authority;  // Host / :authority: "backend:8080"
  std::string path;       // origin-form target with the query: "/pets?limit=2"
  HeaderMap headers;      // without Host; HTTP/2 drops connection-specific fields itself
};

// Why a stream ended without a complete response.
enum class StreamResetReason {
  // The backend never processed it (GOAWAY below its id, or REFUSED_STREAM):
  // sending it again, on another connection, is safe.
  Refused,
  Reset,            // the backend reset the stream (RST_STREAM)
  ProtocolError,    // the response broke HTTP rules; see the detail
  ConnectionError,  // the connection closed or failed under the stream
};

const char* streamResetReasonName(StreamResetReason reason);

// A stream's response events (ResponseDecoderCallbacks) plus how it can fail.
// After onResponseComplete or onStreamReset no event follows.
class UpstreamStreamCallbacks : public ResponseDecoderCallbacks {
 public:
  // The stream ended without a complete response. `detail` says what
  // happened, for a log line.
  virtual void onStreamReset(StreamResetReason reason, std::string_view detail) = 0;
  // The request body buffered in the stream went above kBufferHighWatermark
  // and has now fallen below kBufferLowWatermark: the caller may read more.
  virtual void onRequestBodyDrained() {}

  static constexpr size_t kBufferHighWatermark = 1 << 20;
  static constexpr size_t kBufferLowWatermark = 256 << 10;
};

// The request side of one stream. Owned by its codec: valid until the
// stream's callbacks returned from onResponseComplete (inside it, reset()
// ends an upload the response made moot), or got onStreamReset, or until reset().
class UpstreamStream {
 public:
  virtual ~UpstreamStream() = default;
  // A piece of the request body; `end_stream`: the last one.
  virtual void sendData(std::string_view data, bool end_stream) = 0;
  // The same for a whole body held by a SharedBody: no copy where the
  // protocol allows (HTTP/1); by default it is sent as sendData(*body).
  virtual void sendData(SharedBody body, bool end_stream) { sendData(*body, end_stream); }
  // Ends the request with trailers.
  virtual void sendTrailers(const HeaderMap& trailers) = 0;
  // Abandons the stream (HTTP/2: RST_STREAM CANCEL). No callback follows; the
  // stream pointer is invalid afterwards.
  virtual void reset() = 0;
  // The caller passed `bytes` of response body on: the backend may send as
  // much more (HTTP/2 flow control). A caller that never calls it gets at
  // most the initial window of body per stream.
  virtual void consumed(size_t bytes) = 0;
  // Request body bytes accepted but not yet handed to the connection (waiting
  // for the backend's flow-control window), for the caller's watermarks.
  virtual size_t bufferedRequestBytes() const = 0;
};

class UpstreamCodec {
 public:
  virtual ~UpstreamCodec() = default;
  // Starts a stream; `end_stream`: the request has no body. Returns nullptr
  // when the connection takes no more streams (see acceptsStreams()).
  virtual UpstreamStream* newStream(const UpstreamRequestHead& head, bool end_stream,
                                    UpstreamStreamCallbacks& callbacks) = 0;
  // True while newStream() would succeed: below the stream limit, and the
  // connection neither closing nor failed.
  virtual bool acceptsStreams() const = 0;
  // Streams started and not yet ended.
  virtual size_t activeStreams() const = 0;
  // The peer's bytes. Returns false when the connection failed (its open
  // streams got onStreamReset; see error()).
  virtual bool decode(const char* data, size_t len) = 0;
  // The peer closed the connection: its open streams end.
  virtual void decodeEof() = 0;
  // Appends the bytes to write to the peer, produced since the last call, to
  // `out` (moved, not copied, where the codec keeps them in an evbuffer);
  // returns how many. At most about kOutputChunk is produced per call while
  // request bodies wait (so a slow socket holds the body back in the
  // streams); call again once written.
  virtual size_t moveOutput(evbuffer* out) = 0;
  static constexpr size_t kOutputChunk = 256 << 10;
  // False once the connection must not carry new streams and should be
  // closed when its last stream ends (GOAWAY, a protocol error, EOF).
  virtual bool reusable() const = 0;
  virtual const std::string& error() const = 0;
};

}  // namespace gw::http
