#include "filters/token_revocation/etcd_protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/etcd/json_fields.h"
#include "gateway/etcd/v3_protocol.h"

namespace gw::filters::token_revocation {
namespace {

using nlohmann::json;

using etcd::intField;
using etcd::parseObject;
using etcd::stringField;

RevokedEntry v2Entry(const json& node) {
  RevokedEntry e;
  e.id = idFromKey(stringField(node, "key"));
  if (node.contains("ttl")) e.ttl = std::chrono::seconds(intField(node, "ttl"));
  return e;
}

void collectV2Leaves(const json& node, std::vector<RevokedEntry>& out, int depth) {
  if (depth > 16) return;
  if (node.value("dir", false)) {
    auto nodes = node.find("nodes");
    if (nodes == node.end() || !nodes->is_array()) return;
    for (const json& child : *nodes) {
      if (child.is_object()) collectV2Leaves(child, out, depth + 1);
    }
    return;
  }
  RevokedEntry e = v2Entry(node);
  if (!e.id.empty()) out.push_back(std::move(e));
}

absl::Status v2Error(int http_status, const json& j) {
  return absl::UnavailableError(absl::StrCat("etcd answered ", http_status, " (errorCode ",
                                             intField(j, "errorCode"), ": ",
                                             stringField(j, "message"), ")"));
}

}  // namespace

std::string idFromKey(std::string_view key) {
  while (!key.empty() && key.back() == '/') key.remove_suffix(1);
  const size_t slash = key.rfind('/');
  return std::string(slash == std::string_view::npos ? key : key.substr(slash + 1));
}

absl::StatusOr<V2Listing> parseV2Listing(int http_status, std::string_view body,
                                         std::string_view etcd_index_header) {
  absl::StatusOr<json> j = parseObject(body, "v2 listing");
  if (!j.ok()) return j.status();
  V2Listing out;
  try {
    if (http_status == 404 && intField(*j, "errorCode") == 100) {
      out.index = static_cast<uint64_t>(intField(*j, "index"));
    } else if (http_status != 200) {
      return v2Error(http_status, *j);
    } else {
      auto node = j->find("node");
      if (node != j->end() && node->is_object()) collectV2Leaves(*node, out.entries, 0);
    }
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v2 listing of an unexpected shape");
  }
  uint64_t header_index = 0;
  if (absl::SimpleAtoi(absl::string_view(etcd_index_header.data(), etcd_index_header.size()),
                       &header_index)) {
    out.index = header_index;
  }
  return out;
}

absl::StatusOr<V2Event> parseV2Watch(int http_status, std::string_view body) {
  absl::StatusOr<json> j = parseObject(body, "v2 watch answer");
  if (!j.ok()) return j.status();
  V2Event ev;
  try {
    if (http_status != 200 && http_status != 201) {
      if (intField(*j, "errorCode") == 401) {  // the event index was cleared
        ev.kind = V2Event::Kind::Resync;
        return ev;
      }
      return v2Error(http_status, *j);
    }
    const std::string action = stringField(*j, "action");
    auto node = j->find("node");
    if (node == j->end() || !node->is_object()) {
      return absl::InvalidArgumentError("etcd sent a v2 watch answer without a node");
    }
    ev.next_index = static_cast<uint64_t>(intField(*node, "modifiedIndex")) + 1;
    const bool dir = node->value("dir", false);
    const bool remove = action == "delete" || action == "expire" || action == "compareAndDelete";
    if (dir) {
      ev.kind = remove ? V2Event::Kind::Resync : V2Event::Kind::Ignore;
      return ev;
    }
    ev.entry = v2Entry(*node);
    if (ev.entry.id.empty()) return ev;
    ev.kind = remove ? V2Event::Kind::Remove : V2Event::Kind::Put;
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v2 watch answer of an unexpected shape");
  }
  return ev;
}

// v3: the shared JSON-gateway code (gateway/etcd), with keys cut to their last segment.

std::string v3RangeRequest(std::string_view prefix) {
  return etcd::rangeRequest(etcd::keyPrefix(prefix));
}

std::string v3WatchRequest(std::string_view prefix, int64_t start_revision) {
  return etcd::watchRequest({etcd::keyPrefix(prefix)}, start_revision);
}

std::string v3AuthRequest(std::string_view user, std::string_view password) {
  return etcd::authRequest(user, password);
}

absl::StatusOr<std::string> parseV3AuthToken(std::string_view body) {
  return etcd::parseAuthToken(body);
}

absl::StatusOr<V3Listing> parseV3Range(std::string_view body) {
  absl::StatusOr<etcd::RangeAnswer> answer = etcd::parseRange(body);
  if (!answer.ok()) return answer.status();
  V3Listing out;
  out.revision = answer->revision;
  for (const etcd::KeyValue& kv : answer->kvs) {
    RevokedEntry e{idFromKey(kv.key), std::nullopt};
    if (!e.id.empty()) out.entries.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<V3WatchMessage> parseV3WatchLine(std::string_view line) {
  absl::StatusOr<etcd::WatchMessage> msg = etcd::parseWatchLine(line);
  if (!msg.ok()) return msg.status();
  V3WatchMessage out;
  out.created = msg->created;
  out.resync = msg->resync;
  out.revision = msg->revision;
  for (const etcd::WatchEvent& ev : msg->events) {
    std::string id = idFromKey(ev.kv.key);
    if (id.empty()) continue;
    if (ev.type == etcd::WatchEvent::Type::Delete) {
      out.deletes.push_back(std::move(id));
    } else {
      out.puts.push_back(RevokedEntry{std::move(id), std::nullopt});
    }
  }
  return out;
}

}  // namespace gw::filters::token_revocation
