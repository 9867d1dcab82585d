#pragma once

// Pure parsing of etcd's answers for the revocation watcher: the v2 keys API
// (the layout WSO2 API Manager writes: one key per revoked id, value "true",
// a TTL) and the v3 JSON gateway (base64 keys). No I/O; thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gw::filters::token_revocation {

// One revoked id as etcd holds it. `ttl` is the time left when etcd answered
// (v2 keys written with ttl=N); nullopt = no expiry known.
struct RevokedEntry {
  std::string id;
  std::optional<std::chrono::seconds> ttl;
};

// The last path segment of an etcd key: "/wso2/revoked/abc" -> "abc".
std::string idFromKey(std::string_view key);

// --- v2 ----------------------------------------------------------------------

// GET <dir>?recursive=true. A missing directory (404, errorCode 100) is an
// empty list. `index` is where a watch continues (waitIndex = index + 1):
// the X-Etcd-Index header when present, else the JSON's.
struct V2Listing {
  std::vector<RevokedEntry> entries;
  uint64_t index = 0;
};
absl::StatusOr<V2Listing> parseV2Listing(int http_status, std::string_view body,
                                         std::string_view etcd_index_header);

// One answer of GET <dir>?wait=true&recursive=true&waitIndex=N.
struct V2Event {
  enum class Kind { Put, Remove, Ignore, Resync };
  Kind kind = Kind::Ignore;  // Resync: the index was cleared (errorCode 401): list again
  RevokedEntry entry;
  uint64_t next_index = 0;  // the next waitIndex
};
absl::StatusOr<V2Event> parseV2Watch(int http_status, std::string_view body);

// --- v3 ----------------------------------------------------------------------

// The JSON body of /v3/kv/range and /v3/watch create requests for `prefix`.
std::string v3RangeRequest(std::string_view prefix);
std::string v3WatchRequest(std::string_view prefix, int64_t start_revision);
// {"name": ..., "password": ...} for /v3/auth/authenticate.
std::string v3AuthRequest(std::string_view user, std::string_view password);
// The token from /v3/auth/authenticate's answer.
absl::StatusOr<std::string> parseV3AuthToken(std::string_view body);

struct V3Listing {
  std::vector<RevokedEntry> entries;
  int64_t revision = 0;  // the store's revision: watch from revision + 1
};
absl::StatusOr<V3Listing> parseV3Range(std::string_view body);

// One line of the /v3/watch stream.
struct V3WatchMessage {
  bool created = false;
  bool resync = false;  // compacted or cancelled: list again
  std::vector<RevokedEntry> puts;
  std::vector<std::string> deletes;
  int64_t revision = 0;  // header.revision (0 when absent)
};
absl::StatusOr<V3WatchMessage> parseV3WatchLine(std::string_view line);

}  // namespace gw::filters::token_revocation
