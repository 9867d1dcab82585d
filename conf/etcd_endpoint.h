#pragma once

// WSO2's service-discovery endpoint form in x-wso2-production-endpoints.urls:
// `etcd(<key>, <defaultUrl>)`. The URL is the value of <key> in etcd
// (gateway/discovery follows it); <defaultUrl> serves until etcd has given one
// (or when the key is absent, or discovery is off). Internal to //conf:loader.
//
// Example:
//   if (isEtcdEndpoint(text)) return parseEtcdEndpoint(ctx, text,
//   "x-wso2-production-endpoints.urls[0]");
//   // -> EndpointUrl{url = "http://10.0.0.5:8080/pets", host = "10.0.0.5", ..., etcd_key =
//   "petsvc"}

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/config.h"
#include "conf/yaml_util.h"

namespace gw::conf {

// True when `text` is written etcd(...) (blanks around it and before '(' allowed).
bool isEtcdEndpoint(absl::string_view text);

// Parses `etcd(<key>, <defaultUrl>)`: the default URL's fields, with etcd_key
// set. Blanks around both arguments are ignored. Errors name the file, the
// location, the API (ctx.api) and the key, and say what the form must be.
absl::StatusOr<EndpointUrl> parseEtcdEndpoint(const YamlContext& ctx, absl::string_view text,
                                              absl::string_view location);

// Parses the value etcd holds under `key`: a plain http(s) URL under the same
// rules as a configured one. Errors name the key.
absl::StatusOr<EndpointUrl> parseDiscoveredUrl(absl::string_view key, absl::string_view value);

}  // namespace gw::conf
