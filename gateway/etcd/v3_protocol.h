#pragma once

// etcd v3 through its JSON gateway (grpc-gateway: POST /v3/kv/range,
// /v3/watch, /v3/auth/authenticate): the request bodies and the parsing of
// the answers. Keys and values travel base64-encoded; int64 fields arrive as
// JSON strings. No I/O; thread-safe.
//
// Example:
//   req.body = rangeRequest(exactKey("pizzashack"));
//   absl::StatusOr<RangeAnswer> a = parseRange(response.body);
//   for (const KeyValue& kv : a->kvs) use(kv.key, kv.value);
//   watch.body = watchRequest({exactKey("pizzashack")}, a->revision + 1);
//   // then, per line of the streamed answer:
//   absl::StatusOr<WatchMessage> m = parseWatchLine(line);

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gw::etcd {

// The keys a range or a watch covers: [key, range_end), or `key` alone when
// range_end is empty.
struct KeyRange {
  std::string key;
  std::string range_end;
};
KeyRange exactKey(std::string_view key);
KeyRange keyPrefix(std::string_view prefix);  // every key that starts with `prefix`

// The smallest key greater than every key starting with `prefix`.
std::string prefixEnd(std::string_view prefix);

// The JSON body of /v3/kv/range.
std::string rangeRequest(const KeyRange& range);
// The body of /v3/watch: one create_request per range, one JSON object per
// line (the gateway reads the body as a stream of watch requests). Events
// from revision `start_revision` on (0 = from now).
std::string watchRequest(const std::vector<KeyRange>& ranges, int64_t start_revision);
// {"name": ..., "password": ...} for /v3/auth/authenticate.
std::string authRequest(std::string_view user, std::string_view password);
// The token from /v3/auth/authenticate's answer; PermissionDenied with etcd's
// reason when there is none.
absl::StatusOr<std::string> parseAuthToken(std::string_view body);

struct KeyValue {
  std::string key;    // decoded
  std::string value;  // decoded ("" for a delete event)
  int64_t mod_revision = 0;
};

struct RangeAnswer {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;  // the store's revision: watch from revision + 1
};
// Unavailable when etcd answered with an error object (auth, permissions).
absl::StatusOr<RangeAnswer> parseRange(std::string_view body);

struct WatchEvent {
  enum class Type { Put, Delete };
  Type type = Type::Put;
  KeyValue kv;
};

// One line of the /v3/watch stream.
struct WatchMessage {
  bool created = false;
  bool resync = false;  // compacted or cancelled: list again, then watch again
  std::vector<WatchEvent> events;
  int64_t revision = 0;  // header.revision (0 when absent)
};
absl::StatusOr<WatchMessage> parseWatchLine(std::string_view line);

}  // namespace gw::etcd
