#pragma once

// A small URL splitter for endpoint and proxy URLs. Internal to //conf:loader.
// Error messages never contain any part of the URL (it may hold credentials);
// callers add context.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::conf {

struct ParsedUrl {
  std::string scheme;  // lower case, "" when the URL has no "scheme://"
  bool has_userinfo = false;
  std::string user;      // raw (not percent-decoded)
  std::string password;  // raw (not percent-decoded)
  std::string host;      // IPv6 literals without brackets
  std::optional<uint16_t> port;
  std::string path;  // from the first '/' after the authority, "" if none
  bool has_query_or_fragment = false;
  std::string query;  // after '?' up to '#', "" if none
  bool has_fragment = false;
};

// Splits `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`.
// The scheme is optional. The host is a name, an IPv4 address or a bracketed
// IPv6 literal; the port is 1..65535.
absl::StatusOr<ParsedUrl> parseUrl(absl::string_view url);

// Decodes %XX escapes; fails on a malformed escape.
absl::StatusOr<std::string> percentDecode(absl::string_view text);

}  // namespace gw::conf
