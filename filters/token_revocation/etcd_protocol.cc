#include "filters/token_revocation/etcd_protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gw::filters::token_revocation {
namespace {

using nlohmann::json;

absl::StatusOr<json> parseObject(std::string_view body, const char* what) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("etcd sent a ", what, " that is not JSON"));
  }
  return j;
}

// etcd's JSON gateway writes int64 as strings; v2 writes numbers.
int64_t intField(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return 0;
}

std::string stringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string b64(std::string_view raw) {
  return absl::Base64Escape(absl::string_view(raw.data(), raw.size()));
}

std::optional<std::string> unb64(const std::string& text) {
  std::string out;
  if (!absl::Base64Unescape(text, &out)) return std::nullopt;
  return out;
}

// The smallest key greater than every key starting with `prefix`.
std::string prefixEnd(std::string_view prefix) {
  std::string end(prefix);
  for (size_t i = end.size(); i-- > 0;) {
    if (static_cast<unsigned char>(end[i]) < 0xFF) {
      end[i] = static_cast<char>(static_cast<unsigned char>(end[i]) + 1);
      end.resize(i + 1);
      return end;
    }
  }
  return std::string(1, '\0');
}

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

std::string v3RangeRequest(std::string_view prefix) {
  json j = {{"key", b64(prefix)}, {"range_end", b64(prefixEnd(prefix))}};
  return j.dump();
}

std::string v3WatchRequest(std::string_view prefix, int64_t start_revision) {
  json create = {{"key", b64(prefix)}, {"range_end", b64(prefixEnd(prefix))}};
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  json j = {{"create_request", create}};
  return j.dump();
}

std::string v3AuthRequest(std::string_view user, std::string_view password) {
  json j = {{"name", std::string(user)}, {"password", std::string(password)}};
  return j.dump();
}

absl::StatusOr<std::string> parseV3AuthToken(std::string_view body) {
  absl::StatusOr<json> j = parseObject(body, "v3 authenticate answer");
  if (!j.ok()) return j.status();
  std::string token = stringField(*j, "token");
  if (token.empty()) {
    // The message names the cause ("authentication failed, invalid user ID or password").
    std::string why = stringField(*j, "message");
    if (why.empty()) why = stringField(*j, "error");
    return absl::PermissionDeniedError(
        absl::StrCat("etcd refused the credentials: ", why.empty() ? "no token" : why));
  }
  return token;
}

absl::StatusOr<V3Listing> parseV3Range(std::string_view body) {
  absl::StatusOr<json> j = parseObject(body, "v3 range answer");
  if (!j.ok()) return j.status();
  V3Listing out;
  try {
    if (j->contains("error") || j->contains("code")) {
      return absl::UnavailableError(
          absl::StrCat("etcd refused the v3 range: ", stringField(*j, "message")));
    }
    auto header = j->find("header");
    if (header != j->end() && header->is_object()) out.revision = intField(*header, "revision");
    auto kvs = j->find("kvs");
    if (kvs != j->end() && kvs->is_array()) {
      for (const json& kv : *kvs) {
        std::optional<std::string> key = unb64(stringField(kv, "key"));
        if (!key) continue;
        RevokedEntry e{idFromKey(*key), std::nullopt};
        if (!e.id.empty()) out.entries.push_back(std::move(e));
      }
    }
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v3 range answer of an unexpected shape");
  }
  return out;
}

absl::StatusOr<V3WatchMessage> parseV3WatchLine(std::string_view line) {
  absl::StatusOr<json> j = parseObject(line, "v3 watch message");
  if (!j.ok()) return j.status();
  V3WatchMessage out;
  try {
    if (auto err = j->find("error"); err != j->end()) {
      const std::string why = err->is_object() ? stringField(*err, "message") : std::string();
      return absl::UnavailableError(absl::StrCat("etcd ended the v3 watch: ", why));
    }
    auto result = j->find("result");
    if (result == j->end() || !result->is_object()) {
      return absl::InvalidArgumentError("etcd sent a v3 watch message without a result");
    }
    out.created = result->value("created", false);
    out.resync = result->value("canceled", false) || intField(*result, "compact_revision") > 0;
    if (auto header = result->find("header"); header != result->end() && header->is_object()) {
      out.revision = intField(*header, "revision");
    }
    auto events = result->find("events");
    if (events != result->end() && events->is_array()) {
      for (const json& ev : *events) {
        auto kv = ev.find("kv");
        if (kv == ev.end() || !kv->is_object()) continue;
        std::optional<std::string> key = unb64(stringField(*kv, "key"));
        if (!key) continue;
        std::string id = idFromKey(*key);
        if (id.empty()) continue;
        if (stringField(ev, "type") == "DELETE") {
          out.deletes.push_back(std::move(id));
        } else {
          out.puts.push_back(RevokedEntry{std::move(id), std::nullopt});
        }
      }
    }
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v3 watch message of an unexpected shape");
  }
  return out;
}

}  // namespace gw::filters::token_revocation
