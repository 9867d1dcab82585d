#pragma once

// Request-target checks applied before routing, so that what the route table
// matches is what the backend will serve.
//
// Example:
//   std::string target = "http://gw.example.com/petstore/v1/pets?x=1";
//   absl::Status s = normalizeRequestTarget(target);   // ok; target == "/petstore/v1/pets?x=1"
//   std::string bad = "/petstore/v1/pets/%2e%2e/admin";
//   normalizeRequestTarget(bad);                        // InvalidArgument: dot-segment

#include <string>

#include "absl/status/status.h"

namespace gw::http {

// Turns an absolute-form target ("http://host/path?q") into origin-form
// ("/path?q") and rejects targets the gateway will not route:
//  - anything that is not origin-form or absolute-form (e.g. "*" or "host:port");
//  - a "." or ".." path segment, also percent-encoded ("%2e", "%2E%2e"), which a
//    backend would resolve to a resource outside the matched API operation;
//  - a NUL byte, raw or percent-encoded; any other control byte, space or byte
//    >= 0x80 not percent-encoded;
//  - a '#' (RFC 9112 3.2: no fragment in a request target);
//  - a segment that is only a ';' parameter ("/pets/;x"), which Tomcat and
//    Spring read as an empty segment and nginx as the name ";x";
//  - an encoded '/' or '\' (%2F, %5C), a raw backslash, or a double-encoded
//    dot or separator (%252E...): backends disagree on how to read them.
// Thread-safe (pure).
absl::Status normalizeRequestTarget(std::string& target);

}  // namespace gw::http
