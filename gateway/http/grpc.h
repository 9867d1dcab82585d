#pragma once

// gRPC over the gateway's HTTP paths: recognising a gRPC call and answering
// one the gateway ends itself. A gRPC client reads a call's outcome from
// grpc-status, not from the HTTP status, so a local reply to a gRPC call is
// a "trailers-only" response: HTTP 200, content-type application/grpc,
// grpc-status and grpc-message in the one header section, no body. Pure
// functions, thread-safe.
//
// Example:
//   if (isGrpc(request.headers)) {
//     ResponseHeaders reply = grpcLocalReply(503, "Endpoint circuit open", "...");
//     encodeHeaders(reply, /*end_stream=*/true);
//   }

#include <string>
#include <string_view>

#include "gateway/http/header_map.h"

namespace gw::http {

// gRPC status codes the gateway sends (grpc/doc/statuscodes.md).
enum class GrpcStatus : int {
  Ok = 0,
  Unknown = 2,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  Unauthenticated = 16,
};

// True for a gRPC call: content-type "application/grpc", alone or followed
// by "+<format>" or ";<params>". gRPC-Web ("application/grpc-web...") is
// not: it is made for HTTP/1 hops and gets the gateway's usual answers.
bool isGrpc(const HeaderMap& headers);

// The gRPC status for a gateway's HTTP status: gRPC's HTTP-to-gRPC mapping
// (400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404
// UNIMPLEMENTED, 502/503/504 UNAVAILABLE), plus what the gateway knows
// better: 405 and 501 UNIMPLEMENTED (the gateway does not serve that call),
// 413/414/429/431 RESOURCE_EXHAUSTED (a limit or quota). Anything else is
// UNKNOWN.
GrpcStatus grpcStatusForHttp(int http_status);

// grpc-message's encoding: bytes outside printable ASCII (0x20-0x7e) and
// '%' become %XX.
std::string grpcPercentEncode(std::string_view message);

// The trailers-only response for a local reply `http_status` to a gRPC call:
// grpc-message is "<message>: <description>" (or just `message`).
ResponseHeaders grpcLocalReply(int http_status, std::string_view message,
                               std::string_view description);

}  // namespace gw::http
