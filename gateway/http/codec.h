#pragma once

// The seam between the wire protocol and the connection manager.
//
// A ServerCodec turns a client's bytes into per-request stream events
// (RequestDecoder) and turns response events (ResponseEncoder) back into
// bytes. HTTP/1.1 (http1_server_codec.h, http-parser) is one implementation;
// an HTTP/2 codec (nghttp2) implements the same interfaces with many
// concurrent streams, so filters and the router never see the protocol.
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
};

// Implemented by the connection manager.
class ServerCodecCallbacks {
 public:
  virtual ~ServerCodecCallbacks() = default;
  // A new request began; returns where its events go. `encoder` stays valid
  // until the response ends or the connection closes.
  virtual RequestDecoder& newStream(ResponseEncoder& encoder) = 0;
  // The request is malformed or over a limit. The connection manager answers
  // with `status` (400, 408, 413, 414, 431, 501) unless a response already
  // started, then closes the connection.
  virtual void onProtocolError(int status, std::string_view message,
                               std::string_view description) = 0;
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

class ServerCodec {
 public:
  virtual ~ServerCodec() = default;

  // Consumes bytes from `input` (draining what it used). HTTP/1 stops after
  // one complete request and leaves pipelined bytes in `input` until
  // resume() is called once that request's response is complete.
  virtual void dispatch(evbuffer* input) = 0;

  // The current response is complete: parsing may go on with the next
  // pipelined request. Call dispatch() again afterwards.
  virtual void resume() = 0;

  // False once the connection must close after the current response
  // (Connection: close, HTTP/1.0 without keep-alive, a protocol error, ...).
  virtual bool keepAlive() const = 0;

  // Ask the codec to end keep-alive after the current response (draining).
  virtual void disableKeepAlive() = 0;

  // True while a request is in progress (between its first byte and the end of its response).
  virtual bool streamActive() const = 0;

  // True when the current request has been read to its end.
  virtual bool requestComplete() const = 0;
};

}  // namespace gw::http
