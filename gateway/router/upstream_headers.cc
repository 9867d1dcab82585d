#include "gateway/router/upstream_headers.h"

#include "gateway/common/strcat.h"

namespace gw::router {

std::string upstreamQuery(std::string_view endpoint_query, std::string_view request_query) {
  if (endpoint_query.empty()) return std::string(request_query);
  if (request_query.size() <= 1) return gw::cat("?", endpoint_query);
  return gw::cat("?", endpoint_query, "&", request_query.substr(1));
}

namespace {

bool hasPrefix(std::string_view name, std::string_view prefix) {
  return name.size() >= prefix.size() && http::iequals(name.substr(0, prefix.size()), prefix);
}

bool isConnection(std::string_view name) { return http::iequals(name, "connection"); }

// The fields of one connection, in either direction (RFC 9110 7.6.1, and the
// de-facto Proxy-Connection). These checks run for every header of every
// message: the length picks the one or two names a field could be.
bool isConnectionField(std::string_view name) {
  switch (name.size()) {
    case 2:
      return http::iequals(name, "te");
    case 7:
      return http::iequals(name, "trailer") || http::iequals(name, "upgrade");
    case 10:
      return isConnection(name) || http::iequals(name, "keep-alive");
    case 16:
      return http::iequals(name, "proxy-connection");
    case 17:
      return http::iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

}  // namespace

bool isRequestHopByHop(std::string_view name) {
  if (isConnectionField(name) || hasPrefix(name, "proxy-")) return true;
  switch (name.size()) {  // the gateway states these again for the backend
    case 4:
      return http::iequals(name, "host");
    case 6:
      return http::iequals(name, "expect");
    case 14:
      return http::iequals(name, "content-length");
    default:
      return false;
  }
}

bool isResponseHopByHop(std::string_view name) {
  return isConnectionField(name) || http::iequals(name, "proxy-authenticate");
}

bool isFieldName(std::string_view name) { return http::isToken(name); }

size_t dropConnectionOptions(http::HeaderMap& headers) {
  const std::string connection = connectionOptions(headers);
  size_t removed = 0;
  // Option by option (usually one: "keep-alive" or "close"), each removing
  // the fields it names: most fields differ from it in length, which ends
  // the comparison at once.
  for (std::string_view list = connection; !list.empty();) {
    const size_t comma = list.find(',');
    const std::string_view option = http::trimOws(list.substr(0, comma));
    const bool kept = option.empty() || isConnection(option) || http::iequals(option, "host") ||
                      http::iequals(option, "content-length") ||
                      http::iequals(option, "transfer-encoding");
    if (!kept) removed += headers.remove(option);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return removed;
}

std::string authority(const conf::EndpointUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? gw::cat("[", url.host, "]") : url.host;
  bool default_port =
      (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
  return default_port ? host : gw::cat(host, ":", url.port);
}

http::HeaderMap forwardedHeaders(const http::RequestHeaders& request,
                                 std::string_view client_address, bool downstream_tls,
                                 bool chunked) {
  http::HeaderMap out;
  out.reserve(request.headers.size() + 4);
  std::string forwarded_for;
  const std::string* host = nullptr;
  const std::string* length = nullptr;
  for (const auto& [name, value] : request.headers.entries()) {
    if (isRequestHopByHop(name)) {
      if (host == nullptr && http::iequals(name, "host")) host = &value;
      if (length == nullptr && http::iequals(name, "content-length")) length = &value;
      continue;
    }
    if (http::iequals(name, "x-forwarded-for")) {
      forwarded_for = forwarded_for.empty() ? value : gw::cat(forwarded_for, ", ", value);
      continue;
    }
    // The gateway states these itself; a client's values would be spoofable.
    if (http::iequals(name, "x-forwarded-proto") || http::iequals(name, "x-forwarded-host"))
      continue;
    out.add(name, value);
  }
  out.add("X-Forwarded-For", forwarded_for.empty() ? std::string(client_address)
                                                   : gw::cat(forwarded_for, ", ", client_address));
  out.add("X-Forwarded-Proto", downstream_tls ? "https" : "http");
  if (host != nullptr) out.add("X-Forwarded-Host", *host);
  if (!chunked && length != nullptr) out.add("Content-Length", *length);
  return out;
}

http::HeaderMap forwardedResponseHeaders(http::HeaderMap headers, std::string* connection) {
  std::string options = connectionOptions(headers);
  headers.removeIf([&options](const std::string& name, const std::string&) {
    return isResponseHopByHop(name) || http::hasToken(options, name);
  });
  if (connection != nullptr) *connection = std::move(options);
  return headers;
}

bool isForbiddenTrailer(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      // hop-by-hop (response side) and framing
      "connection", "keep-alive", "te", "trailer", "upgrade", "transfer-encoding", "content-length",
      "proxy-connection",
      // stated by the gateway
      "forwarded", "via", "x-request-id",
      // routing, request modifiers and control
      "host", "expect", "max-forwards", "cache-control", "pragma", "range", "if-match",
      "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
      // authentication
      "authorization", "cookie", "set-cookie", "www-authenticate", "authentication-info",
      // response control and payload processing
      "age", "date", "expires", "location", "retry-after", "vary", "warning", "content-encoding",
      "content-type", "content-range", "content-location"};
  for (std::string_view n : kNames) {
    if (http::iequals(name, n)) return true;
  }
  return hasPrefix(name, "proxy-") || hasPrefix(name, "x-forwarded-");
}

std::string connectionOptions(const http::HeaderMap& headers) {
  std::string out;
  for (const auto& [name, value] : headers.entries()) {
    if (!isConnection(name)) continue;
    if (out.empty()) {
      out = value;
    } else {
      gw::catAppend(&out, ", ", value);
    }
  }
  return out;
}

http::HeaderMap forwardedTrailers(const http::HeaderMap& trailers, std::string_view connection) {
  http::HeaderMap out;
  for (const auto& [name, value] : trailers.entries()) {
    if (!isFieldName(name) || isForbiddenTrailer(name) || http::hasToken(connection, name)) {
      continue;
    }
    out.add(name, value);
  }
  return out;
}

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

}  // namespace gw::router
