#include "gateway/http/upstream_codec.h"

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

}  // namespace gw::http
