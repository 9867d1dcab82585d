#include "gateway/etcd/v3_protocol.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/etcd/json_fields.h"

namespace gw::etcd {
namespace {

using nlohmann::json;

std::string b64(std::string_view raw) {
  return absl::Base64Escape(absl::string_view(raw.data(), raw.size()));
}

std::optional<std::string> unb64(const std::string& text) {
  std::string out;
  if (!absl::Base64Unescape(text, &out)) return std::nullopt;
  return out;
}

json rangeJson(const KeyRange& range) {
  json j = {{"key", b64(range.key)}};
  if (!range.range_end.empty()) j["range_end"] = b64(range.range_end);
  return j;
}

// A kv object of a range answer or a watch event; nullopt when the key is not
// base64 (a value that is not reads as "").
std::optional<KeyValue> keyValue(const json& kv) {
  std::optional<std::string> key = unb64(stringField(kv, "key"));
  if (!key) return std::nullopt;
  std::optional<std::string> value = unb64(stringField(kv, "value"));
  return KeyValue{*std::move(key), value.value_or(""), intField(kv, "mod_revision")};
}

void readEvents(const json& result, std::vector<WatchEvent>& out) {
  auto events = result.find("events");
  if (events == result.end() || !events->is_array()) return;
  for (const json& ev : *events) {
    if (!ev.is_object()) continue;
    auto kv = ev.find("kv");
    if (kv == ev.end() || !kv->is_object()) continue;
    std::optional<KeyValue> parsed = keyValue(*kv);
    if (!parsed) continue;
    const bool del = stringField(ev, "type") == "DELETE";
    out.push_back(
        WatchEvent{del ? WatchEvent::Type::Delete : WatchEvent::Type::Put, *std::move(parsed)});
  }
}

}  // namespace

KeyRange exactKey(std::string_view key) { return KeyRange{std::string(key), ""}; }

KeyRange keyPrefix(std::string_view prefix) {
  return KeyRange{std::string(prefix), prefixEnd(prefix)};
}

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

std::string rangeRequest(const KeyRange& range) { return rangeJson(range).dump(); }

std::string watchRequest(const std::vector<KeyRange>& ranges, int64_t start_revision) {
  std::string out;
  for (const KeyRange& range : ranges) {
    json create = rangeJson(range);
    if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
    if (!out.empty()) out += '\n';
    out += json{{"create_request", create}}.dump();
  }
  return out;
}

std::string authRequest(std::string_view user, std::string_view password) {
  json j = {{"name", std::string(user)}, {"password", std::string(password)}};
  return j.dump();
}

absl::StatusOr<std::string> parseAuthToken(std::string_view body) {
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

absl::StatusOr<RangeAnswer> parseRange(std::string_view body) {
  absl::StatusOr<json> j = parseObject(body, "v3 range answer");
  if (!j.ok()) return j.status();
  RangeAnswer out;
  try {
    if (j->contains("error") || j->contains("code")) {
      std::string why = stringField(*j, "message");
      if (why.empty()) why = stringField(*j, "error");
      return absl::UnavailableError(absl::StrCat("etcd refused the v3 range: ", why));
    }
    auto header = j->find("header");
    if (header != j->end() && header->is_object()) out.revision = intField(*header, "revision");
    auto kvs = j->find("kvs");
    if (kvs != j->end() && kvs->is_array()) {
      for (const json& kv : *kvs) {
        if (!kv.is_object()) continue;
        if (std::optional<KeyValue> parsed = keyValue(kv)) out.kvs.push_back(*std::move(parsed));
      }
    }
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v3 range answer of an unexpected shape");
  }
  return out;
}

absl::StatusOr<WatchMessage> parseWatchLine(std::string_view line) {
  absl::StatusOr<json> j = parseObject(line, "v3 watch message");
  if (!j.ok()) return j.status();
  WatchMessage out;
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
    readEvents(*result, out.events);
  } catch (const json::exception&) {
    return absl::InvalidArgumentError("etcd sent a v3 watch message of an unexpected shape");
  }
  return out;
}

}  // namespace gw::etcd
