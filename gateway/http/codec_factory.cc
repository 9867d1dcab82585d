#include "gateway/http/codec_factory.h"

#include <event2/buffer.h>

#include <algorithm>
#include <cstring>

#include "gateway/http/http1_server_codec.h"
#include "gateway/http/http2_server_codec.h"

namespace gw::http {

PrefaceMatch detectHttp2Preface(evbuffer* input) {
  char head[kHttp2Preface.size()];
  const size_t available = std::min(evbuffer_get_length(input), kHttp2Preface.size());
  const ev_ssize_t copied = evbuffer_copyout(input, head, available);
  if (copied < 0) return PrefaceMatch::Other;
  if (std::memcmp(head, kHttp2Preface.data(), static_cast<size_t>(copied)) != 0) {
    return PrefaceMatch::Other;
  }
  return static_cast<size_t>(copied) == kHttp2Preface.size() ? PrefaceMatch::Http2
                                                             : PrefaceMatch::NeedMore;
}

std::unique_ptr<ServerCodec> createServerCodec(std::string_view alpn,
                                               ServerCodecCallbacks& callbacks, evbuffer* output,
                                               const CodecLimits& limits,
                                               const Http2Settings& http2) {
  if (alpn == "h2") return std::make_unique<Http2ServerCodec>(callbacks, output, limits, http2);
  return std::make_unique<Http1ServerCodec>(callbacks, output, limits);
}

}  // namespace gw::http
