#include "gateway/http/upstream_codec.h"

#include <event2/buffer.h>

namespace gw::http {

const char* streamResetReasonName(StreamResetReason reason) {
  switch (reason) {
    case StreamResetReason::Refused:
      return "refused";
    case StreamResetReason::Reset:
      return "reset";
    case StreamResetReason::ProtocolError:
      return "protocol error";
    case StreamResetReason::ConnectionError:
      return "connection error";
  }
  return "unknown";
}

std::string UpstreamCodec::takeOutput() {
  evbuffer* buffer = evbuffer_new();
  std::string out(moveOutput(buffer), '\0');
  evbuffer_remove(buffer, out.data(), out.size());
  evbuffer_free(buffer);
  return out;
}

}  // namespace gw::http
