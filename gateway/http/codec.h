#pragma once

// The seam between the wire protocol and the connection manager.
//
// A ServerCodec turns a client's bytes into per-request stream events
// (RequestDecoder) and turns response events (ResponseEncoder) back into
// bytes. HTTP/1.1 (http1_server_codec.h, http-parser, one stream at a time)
// and HTTP/2 (http2_server_codec.h, nghttp2, many concurrent streams)
// implement the same interfaces, so filters and the router never see the
// protocol. codec_factory.h picks one by ALPN or by the HTTP/2 preface.
//
// Example (what the connection manager does):
//   codec = createServerCodec("h2", *this, output, limits, http2_settings);
//   codec->dispatch(input);   // -> newStream(encoder) -> decodeHeaders(...)
//   encoder.encodeHeaders(response, /*end_stream=*/false);
//   encoder.encodeData(body, /*end_stream=*/true);
//   codec->flushOutput();     // HTTP/2 frames into the output buffer
//
// Threading: a codec belongs to one connection on one worker thread.
// Re-entrancy: decoder callbacks run inside dispatch(); they may call the
// ResponseEncoder (e.g. a local reply) but must not destroy the codec; the
// connection manager defers destruction (Dispatcher::deferredDelete).

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/http/header_map.h"

struct evbuffer;

namespace gw::stats {
class Counter;
}

namespace gw::http {

// Receives one request's events, in order: headers, then data (the last call
// has end_stream=true unless trailers follow), then trailers.
class RequestDecoder {
 public:
  virtual ~RequestDecoder() = default;
  virtual void decodeHeaders(RequestHeaders headers, bool end_stream) = 0;
  virtual void decodeData(std::string& data, bool end_stream) = 0;
  virtual void decodeTrailers(HeaderMap trailers) = 0;
};

// Per-stream events that only a multiplexing codec (HTTP/2) reports; with
// HTTP/1 the connection is the stream and the connection manager sees these
// on the socket itself.
class StreamCallbacks {
 public:
  virtual ~StreamCallbacks() = default;
  // The stream ended before its response did: the client reset it (RST_STREAM),
  // the codec refused what the client sent on it, or the connection went away.
  // No further calls to the stream's RequestDecoder or StreamCallbacks follow.
  virtual void onResetStream(std::string_view reason) = 0;
  // The stream's response bytes waiting for the client (its flow-control
  // window or the connection) rose above the high watermark / fell below the
  // low one: stop / resume producing them (e.g. reading from the upstream).
  virtual void onAboveWriteBufferHighWatermark() = 0;
  virtual void onBelowWriteBufferLowWatermark() = 0;
};

// Writes one response. The codec chooses the framing (Content-Length,
// chunked, or close-delimited) from the headers and protocol.
class ResponseEncoder {
 public:
  virtual ~ResponseEncoder() = default;
  // Sends an interim "100 Continue" if the client asked for one. Idempotent.
  virtual void encode100Continue() = 0;
  virtual void encodeHeaders(const ResponseHeaders& headers, bool end_stream) = 0;
  virtual void encodeData(std::string_view data, bool end_stream) = 0;
  virtual void encodeTrailers(const HeaderMap& trailers) = 0;
  // Where this stream's StreamCallbacks events go (HTTP/1 reports none);
  // `callbacks` must outlive the stream or be replaced by nullptr first.
  virtual void setStreamCallbacks(StreamCallbacks* callbacks) = 0;
  // Ends the stream without completing its response: HTTP/2 sends RST_STREAM;
  // HTTP/1 can only end the connection (keep-alive off; the connection
  // manager closes it). Nothing more is encoded on the stream afterwards.
  virtual void resetStream() = 0;
  // Stops / resumes taking this stream's request body (HTTP/2 withholds its
  // flow-control window). Counted: each true needs a false. HTTP/1: no-op,
  // the connection manager stops reading the socket instead.
  virtual void readDisable(bool disable) = 0;
};

// Implemented by the connection manager.
class ServerCodecCallbacks {
 public:
  virtual ~ServerCodecCallbacks() = default;
  // A new request began; returns where its events go. `encoder` stays valid
  // until the response ends, the stream is reset or the connection closes.
  virtual RequestDecoder& newStream(ResponseEncoder& encoder) = 0;
  // The connection is broken: HTTP/1, the request is malformed or over a
  // limit (`status` 400, 408, 413, 414, 431, 501, 505); HTTP/2, a connection
  // error (`status` 400). The connection manager logs it, ends the streams,
  // calls ServerCodec::sendProtocolError and closes the connection.
  virtual void onProtocolError(int status, std::string_view message,
                               std::string_view description) = 0;
  // HTTP/2 only: the codec answered one stream itself with `status` (a limit
  // or a malformed request, before any newStream); the connection goes on.
  // For the log and the counters. HTTP/1 reports these as protocol errors,
  // so the default does nothing.
  virtual void onStreamRefused(int /*status*/, std::string_view /*description*/) {}
};

// What happens to a header or trailer whose name has an underscore
// (X_Forwarded_For): backends using CGI/WSGI read it as the dashed name.
enum class UnderscoreHeaders {
  Drop,    // removed before the filter chain, counted
  Reject,  // 400 naming the header
  Allow,   // passed on
};

// Limits from [listenerConfig].
// listenerConfig.keepAlive: whether the connection stays open after a response.
enum class KeepAlivePolicy {
  Auto,    // as the request says (HTTP/1.1: unless "close"; HTTP/1.0: only with "keep-alive")
  Always,  // also HTTP/1.0 without "keep-alive"; a "close" is still honoured (RFC 9112 9.6)
  Never,   // every response carries Connection: close
};

struct CodecLimits {
  uint32_t max_uri_length = 4096;
  uint32_t max_header_size = 8192;    // header (and trailer) section bytes on the wire
  uint64_t max_entity_body_size = 0;  // 0 = unlimited
  uint32_t max_header_count = 100;    // fields in a header (and trailer) section
  UnderscoreHeaders headers_with_underscores = UnderscoreHeaders::Drop;
  // Counts fields dropped for an underscore; may be null. Must outlive the codec.
  stats::Counter* underscore_headers_dropped = nullptr;
  KeepAlivePolicy keep_alive = KeepAlivePolicy::Auto;
};

enum class Protocol { Http1, Http2 };

class ServerCodec {
 public:
  virtual ~ServerCodec() = default;

  virtual Protocol protocol() const = 0;

  // Consumes bytes from `input` (draining what it used). HTTP/1 stops after
  // one complete request and leaves pipelined bytes in `input` until the
  // connection manager resumes it (Http1ServerCodec::resume()).
  virtual void dispatch(evbuffer* input) = 0;

  // Answers the error reported through onProtocolError: HTTP/1 writes a
  // final `status` response with the JSON `body` and Connection: close
  // (nothing if a response already started); HTTP/2 sends GOAWAY
  // PROTOCOL_ERROR. The connection manager closes the connection afterwards.
  virtual void sendProtocolError(int status, std::string_view body) = 0;

  // Draining: no new requests. HTTP/1, the current (or next) response carries
  // Connection: close; HTTP/2, GOAWAY with the last stream id taken.
  virtual void goAway() = 0;

  // HTTP/1: the connection closes once the current response is complete
  // (keep-alive ended). HTTP/2: the session is over (after a GOAWAY, every
  // stream closed and every frame placed; or a connection error): close now.
  virtual bool wantsClose() const = 0;

  // Moves frames the codec holds (HTTP/2) into the output buffer, up to its
  // limit; called after encode calls and when the output drained. HTTP/1
  // writes through at once: no-op.
  virtual void flushOutput() = 0;

  // True when the codec holds output that flushOutput() did not place yet.
  virtual bool wantsWrite() const = 0;

  // HTTP/2: a request header block began (HEADERS) and its end
  // (END_HEADERS, maybe after CONTINUATIONs) has not arrived. RFC 9113 6.10
  // lets no other frame in meanwhile, so the connection is stuck on it: the
  // connection manager holds it to listenerConfig.headerReadTimeoutInMillis.
  // HTTP/1 tracks its header phase itself: false.
  virtual bool headerBlockOpen() const { return false; }
};

}  // namespace gw::http
