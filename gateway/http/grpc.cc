#include "gateway/http/grpc.h"

#include "gateway/common/strcat.h"

namespace gw::http {

bool isGrpc(const HeaderMap& headers) {
  const std::string* type = headers.get("content-type");
  if (type == nullptr) return false;
  constexpr std::string_view kGrpc = "application/grpc";
  const std::string_view t = *type;
  if (t.size() < kGrpc.size() || !iequals(t.substr(0, kGrpc.size()), kGrpc)) return false;
  if (t.size() == kGrpc.size()) return true;
  const char next = t[kGrpc.size()];
  return next == '+' || next == ';';
}

GrpcStatus grpcStatusForHttp(int http_status) {
  switch (http_status) {
    case 400:
      return GrpcStatus::Internal;
    case 401:
      return GrpcStatus::Unauthenticated;
    case 403:
      return GrpcStatus::PermissionDenied;
    case 404:
    case 405:
    case 501:
      return GrpcStatus::Unimplemented;
    case 413:
    case 414:
    case 429:
    case 431:
      return GrpcStatus::ResourceExhausted;
    case 502:
    case 503:
    case 504:
      return GrpcStatus::Unavailable;
    default:
      return GrpcStatus::Unknown;
  }
}

std::string grpcPercentEncode(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

ResponseHeaders grpcLocalReply(int http_status, std::string_view message,
                               std::string_view description) {
  ResponseHeaders reply;
  reply.status = 200;
  reply.headers.add("content-type", "application/grpc");
  reply.headers.add("grpc-status",
                    std::to_string(static_cast<int>(grpcStatusForHttp(http_status))));
  reply.headers.add("grpc-message",
                    grpcPercentEncode(description.empty() ? std::string(message)
                                                          : gw::cat(message, ": ", description)));
  return reply;
}

}  // namespace gw::http
