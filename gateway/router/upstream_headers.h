#pragma once

// How request and response headers change as they cross the gateway: the
// hop-by-hop rules (RFC 9110 7.6.1) plus the forwarding headers. Pure
// functions, thread-safe.
//
// Example:
//   http::HeaderMap fields = forwardedHeaders(request, "10.0.0.7", /*downstream_tls=*/false,
//                                             /*chunked=*/false);
//   head.headers = std::move(fields);  // an http::UpstreamRequestHead

#include <string>
#include <string_view>

#include "conf/config.h"
#include "gateway/http/header_map.h"

namespace gw::router {

// The upstream query: the endpoint URL's own query (without '?') first, then
// the request's ("?a=1" or ""), as WSO2 sends them: "?key=k&a=1".
std::string upstreamQuery(std::string_view endpoint_query, std::string_view request_query);

// True for request headers that belong to one hop and never reach the backend:
// Connection, Keep-Alive, TE, Trailer, Upgrade, Transfer-Encoding and
// Content-Length (both re-framed), Expect, Host (rewritten), and every
// Proxy-* header (Proxy-Authorization is the client's credential for *its*
// proxy, never the backend's).
bool isRequestHopByHop(std::string_view name);

// True for response headers that stop at the gateway.
bool isResponseHopByHop(std::string_view name);

// "host:port" for the Host header and absolute-form targets; the port is left
// out when it is the scheme's default, IPv6 literals are bracketed.
std::string authority(const conf::EndpointUrl& url);

// True when `name` is a field name (RFC 9110 5.1: a non-empty token). A name
// with a space ("Content-Length ") or any other separator is not.
bool isFieldName(std::string_view name);

// Removes the client's Connection options (RFC 9110 7.6.1) from a request's
// headers as received, before any filter runs, so that a Connection option
// can name only what the client sent: headers the gateway or its filters set
// later (X-Forwarded-*, X-Request-Id, ...) are out of its reach. Host and the
// body framing (Content-Length, Transfer-Encoding) are never removed.
// Returns how many headers were removed.
size_t dropConnectionOptions(http::HeaderMap& headers);

// The request's header fields as the backend gets them, without Host and
// proxy credentials (both depend on the connection; the upstream codec adds
// them): hop-by-hop headers dropped, X-Forwarded-For appended with
// `client_address`, X-Forwarded-Proto and X-Forwarded-Host set by the gateway,
// and the client's Content-Length unless the body is `chunked` (the HTTP/1
// codec frames a body without a length itself). The client's Connection
// options were removed before the filters ran (dropConnectionOptions), so the
// ones left here are the gateway's own and all of them are forwarded.
http::HeaderMap forwardedHeaders(const http::RequestHeaders& request,
                                 std::string_view client_address, bool downstream_tls,
                                 bool chunked);

// The backend's response headers without the hop-by-hop ones. Filtered in
// place: pass std::move(headers) when the caller is done with them (no copy).
// `connection`, when given, gets the response's Connection options
// (connectionOptions()), which its trailers are checked against.
http::HeaderMap forwardedResponseHeaders(http::HeaderMap headers,
                                         std::string* connection = nullptr);

// True for fields that never cross the gateway in a trailer section, either
// way: the hop-by-hop ones (as in a header section, Proxy-* included), the
// ones the gateway states itself (X-Forwarded-*, Forwarded, Via,
// X-Request-Id), and those RFC 9110 6.5.1 forbids in trailers: framing
// (Content-Length, Transfer-Encoding, Trailer), routing (Host), request
// modifiers and control (Cache-Control, Expect, Max-Forwards, TE, Range,
// If-*), authentication (Authorization, Cookie, Set-Cookie, *-Authenticate,
// Authentication-Info), response control (Age, Date, Expires, Location,
// Retry-After, Vary) and payload processing (Content-Encoding, Content-Type,
// Content-Range).
bool isForbiddenTrailer(std::string_view name);

// A message's Connection header values joined by ", " ("" without one).
std::string connectionOptions(const http::HeaderMap& headers);

// The trailer fields that may be forwarded: forbidden ones, fields whose name
// is not a token, and fields named by the message's Connection header
// (`connection`, the header section's Connection values joined by ", ") dropped.
http::HeaderMap forwardedTrailers(const http::HeaderMap& trailers, std::string_view connection);

// Methods a request may be repeated with (RFC 9110 9.2.2).
bool isIdempotent(std::string_view method);

}  // namespace gw::router
