#pragma once

// The upstream side of HTTP: a ClientCodec turns the bytes of a backend's (or
// an internal service's) answer into response events. Requests are written by
// the UpstreamCodec that owns it (Http1UpstreamCodec, upstream_codec.h).
// The router and the internal HttpClient both use it, so every upstream
// response is read by the same rules: interim (1xx) answers never have a body
// and never merge their headers into the final response; the status must be
// 100-599; a header name that is not a token refuses the response; HEAD, 204
// and 304 answers have no body; a body without a length ends at EOF.
//
// Example (one exchange on a connection):
//
//   Http1ClientCodec codec(callbacks);
//   codec.newExchange("GET");   // the request went out
//   size_t used = codec.decode(bytes, n);   // callbacks fire inside decode()
//   if (codec.state() == DecodeState::Error) refuse(codec.error());
//   ... on EOF: codec.decodeEof();
//
// Threading: a codec belongs to one connection on one thread. Callbacks run
// inside decode()/decodeEof(); a callback that returns false stops decoding
// (state() becomes Stopped) and may release the connection, but must not
// destroy the codec.

#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/http/header_map.h"

namespace gw::http {

// Receives one exchange's response events, in order: interim answers, the
// final head, its body in pieces, then completion.
class ResponseDecoderCallbacks {
 public:
  virtual ~ResponseDecoderCallbacks() = default;
  // A 1xx answer. Its headers are its own: they never reach the final response.
  virtual void onInterimHeaders(int /*status*/, HeaderMap&& /*headers*/) {}
  // The final response's head. `no_body`: nothing follows but completion.
  // Returns false to stop decoding.
  virtual bool onResponseHeaders(ResponseHeaders&& headers, bool no_body) = 0;
  // A piece of the body, as it arrives. Returns false to stop decoding.
  virtual bool onResponseData(std::string_view data) = 0;
  // The response ended. `trailers` may be empty; `keep_alive`: the
  // connection may carry another exchange.
  virtual void onResponseComplete(HeaderMap&& trailers, bool keep_alive) = 0;
  // A trailer whose name is not a token; it was dropped (the body already went on).
  virtual void onTrailerDropped(std::string_view /*name*/) {}
};

enum class DecodeState {
  Reading,   // more bytes are needed
  Complete,  // the response ended; bytes after it were left unconsumed
  Stopped,   // a callback returned false
  Error,     // malformed or refused response; see error()
};

class ClientCodec {
 public:
  virtual ~ClientCodec() = default;

  // Starts a new exchange: `method` is the request's (a HEAD answer has no body).
  virtual void newExchange(std::string_view method) = 0;

  // Parses response bytes; returns how many were consumed. Stops consuming at
  // the end of the response, at an error and when a callback returns false.
  virtual size_t decode(const char* data, size_t len) = 0;
  // The peer closed: ends a body delimited by the connection's close.
  virtual void decodeEof() = 0;

  virtual DecodeState state() const = 0;
  // Why the response was refused, when state() == Error.
  virtual const std::string& error() const = 0;
  // True once the final response's head was delivered.
  virtual bool headersDone() const = 0;
};

}  // namespace gw::http
