#pragma once

// Maps a request (method + path) to an API and one of its OpenAPI operations.
// Built once from the API definitions and then shared read-only by all
// workers; match() is thread-safe.
//
// Matching: the longest x-wso2-basePath that is a whole-segment prefix of the
// path picks the API; the rest of the path is matched against the API's path
// templates, where `{name}` matches exactly one segment that is not empty
// and does not start with ';' or '#' (a "/pets/;x" is no pet id), and literal
// segments beat templated ones. A path with no operation -> NoApi (404); a
// path whose operations lack the method -> MethodNotAllowed (405).

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "conf/config.h"

namespace gw::router {

// One API, compiled for matching.
class ApiRoute {
 public:
  explicit ApiRoute(conf::ApiDefinition api);
  const conf::ApiDefinition& api() const { return api_; }
  // Next endpoint index for load balancing (round-robin across all workers).
  size_t nextEndpointIndex(size_t count) const {
    return count == 0 ? 0 : rr_.fetch_add(1, std::memory_order_relaxed) % count;
  }

  struct CompiledOperation {
    const conf::Operation* operation;
    std::vector<std::string> segments;  // "{x}" kept as is
    int literal_count = 0;
  };
  const std::vector<CompiledOperation>& operations() const { return operations_; }

 private:
  conf::ApiDefinition api_;
  std::vector<CompiledOperation> operations_;
  mutable std::atomic<uint64_t> rr_{0};
};

struct RouteMatch {
  enum class Result { Matched, NoApi, MethodNotAllowed };
  Result result = Result::NoApi;
  const ApiRoute* api = nullptr;               // set for Matched and MethodNotAllowed
  const conf::Operation* operation = nullptr;  // set for Matched
  std::string upstream_path;                   // path after the basePath, with the query
  std::string allowed_methods;                 // for 405: "GET, POST"

  // The operation's own endpoint config, or the API's.
  const conf::EndpointConfig& endpoint() const;
  // The endpoint set a request with a `sandbox` (else production) token goes
  // to: the operation's own, else the API's (x-wso2-sandbox-endpoints /
  // x-wso2-production-endpoints). Null when the API has none for that key type.
  const conf::EndpointConfig* endpointsFor(bool sandbox) const;
  bool disableSecurity() const;
  // The matched operation requires authentication (not x-wso2-disable-security,
  // not `x-auth-type: None`). Only meaningful for Matched.
  bool secured() const {
    return result == Result::Matched && operation != nullptr && !operation->disable_security;
  }
  const std::string& apiName() const;  // API title, or "" when none matched
};

class RouteTable {
 public:
  // Fails when two APIs share a basePath.
  static absl::StatusOr<std::shared_ptr<const RouteTable>> build(
      std::vector<conf::ApiDefinition> apis);

  RouteMatch match(std::string_view method, std::string_view path) const;
  const std::vector<std::unique_ptr<ApiRoute>>& apis() const { return apis_; }

 private:
  std::vector<std::unique_ptr<ApiRoute>> apis_;  // longest basePath first
};

// For the start-up log: "open", "oauth2", "oauth2 scopes: read | write",
// "api_key (not implemented: refused)".
std::string describeSecurity(const conf::Operation& op);
// Per API: "oauth2 on every resource", or "oauth2: GET /pets; open: GET /health".
std::string describeApiSecurity(const conf::ApiDefinition& api);

// Whether a token's `keytype` claim names a sandbox key ("SANDBOX", any case).
bool isSandboxKey(std::string_view key_type);

// Splits "/a/b/c" into {"a","b","c"}; empty segments are kept except a trailing one.
std::vector<std::string_view> splitPath(std::string_view path);

}  // namespace gw::router
