#pragma once

// An internal service's URL ("https://km.example:9443/oauth2/introspect") as
// the connector and the request line take it.
//
// Example:
//   ParsedHttpUrl u;
//   if (parseHttpUrl("https://[::1]:8443/a?b", &u)) {
//     // u.target = {"https", "::1", 8443}, u.path = "/a?b"
//   }

#include <string>

#include "proxy_connector/connector.h"

namespace gw::proxy {

struct ParsedHttpUrl {
  Target target;
  std::string path;  // origin-form request target: "/path?query" (the fragment dropped)
};

// Splits "http[s]://host[:port][/path][?query]"; IPv6 hosts are bracketed.
// False for another scheme, user info, an empty host or a bad port.
bool parseHttpUrl(const std::string& url, ParsedHttpUrl* out);

}  // namespace gw::proxy
