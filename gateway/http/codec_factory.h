#pragma once

// Picks the server codec for a downstream connection: by the ALPN protocol
// TLS negotiated ("h2" or "http/1.1"), or on a plain port by whether the
// client opens with the HTTP/2 connection preface (h2c with prior knowledge,
// RFC 9113 3.3). Stateless functions; the codec they build belongs to one
// connection on one worker thread.
//
// Example:
//   switch (http::detectHttp2Preface(input)) {
//     case http::PrefaceMatch::NeedMore: return;  // wait for more bytes
//     case http::PrefaceMatch::Http2: alpn = "h2"; break;
//     case http::PrefaceMatch::Other: alpn = "http/1.1"; break;
//   }
//   codec_ = http::createServerCodec(alpn, *this, output, limits, settings);

#include <memory>
#include <string_view>

#include "gateway/http/codec.h"
#include "gateway/http/http2_settings.h"

struct evbuffer;

namespace gw::http {

// The 24 bytes every HTTP/2 client sends first.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch {
  NeedMore,  // the bytes so far are a proper prefix of the preface
  Http2,     // the input starts with the whole preface
  Other,     // anything else (HTTP/1)
};

// Looks at (does not drain) the start of `input`.
PrefaceMatch detectHttp2Preface(evbuffer* input);

// "h2" builds the HTTP/2 codec, anything else ("http/1.1", "" for plain
// HTTP) the HTTP/1 codec. `callbacks` must outlive the codec; `output` is
// the client socket's output buffer.
std::unique_ptr<ServerCodec> createServerCodec(std::string_view alpn,
                                               ServerCodecCallbacks& callbacks, evbuffer* output,
                                               const CodecLimits& limits,
                                               const Http2Settings& http2);

}  // namespace gw::http
