#include "filters/throttle/throttle_event.h"

#include <arpa/inet.h>

#include "gateway/common/strcat.h"

namespace gw::filters::throttle {
namespace {

constexpr char kTenant[] = "carbon.super";

// Length of the valid UTF-8 sequence at in[i], or 0.
size_t utf8Length(std::string_view in, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  const unsigned char c = b(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > in.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (n == 3 && ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) > 0x9F))) return 0;
  if (n == 4 && ((c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) > 0x8F))) return 0;
  return n;
}

void appendMember(std::string& out, const char* name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":";
  appendJsonString(out, value);
  out += ',';
}

}  // namespace

void appendJsonString(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x80) {
      out += static_cast<char>(c);
    } else if (size_t n = c >= 0x80 ? utf8Length(in, i) : 0; n > 0) {
      out.append(in.substr(i, n));
      i += n - 1;
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '"';
}

void EventApiFields::finish() {
  json.clear();
  appendMember(json, "apiKey", api_key);
  appendMember(json, "apiTier", api_tier);
  appendMember(json, "resourceKey", resource_key);
  appendMember(json, "resourceTier", resource_tier);
  appendMember(json, "apiContext", api_context);
  appendMember(json, "apiVersion", api_version);
  appendMember(json, "apiName", api_name);
}

int64_t ipv4AsInteger(std::string_view ip) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(ip).c_str(), &addr) != 1) return -1;
  return static_cast<int64_t>(ntohl(addr.s_addr));
}

void appendEventJson(std::string& out, const ThrottleEvent& e) {
  out.reserve(out.size() + 200 + (e.api != nullptr ? e.api->json.size() : 0) + e.message_id.size() +
              e.app_key.size() + e.subscription_key.size() + e.user_id.size() + e.app_id.size() +
              e.app_tier.size() + e.subscription_tier.size());
  out += R"({"event":{"metaData":{},"correlationData":{},"payloadData":{)";
  appendMember(out, "messageID", e.message_id);
  appendMember(out, "appKey", e.app_key);
  appendMember(out, "appTier", e.app_tier);
  appendMember(out, "subscriptionKey", e.subscription_key);
  appendMember(out, "subscriptionTier", e.subscription_tier);
  appendMember(out, "userId", e.user_id);
  appendMember(out, "appTenant", kTenant);
  appendMember(out, "apiTenant", kTenant);
  appendMember(out, "appId", e.app_id);
  if (e.api != nullptr) out += e.api->json;
  std::string properties = "{}";
  if (const int64_t ip = ipv4AsInteger(e.client_ip); ip >= 0) {
    properties = gw::cat("{\"ip\":", ip, "}");
  } else if (!e.client_ip.empty()) {
    properties = "{\"ipv6\":";
    appendJsonString(properties, e.client_ip);
    properties += '}';
  }
  out += "\"properties\":";
  appendJsonString(out, properties);
  out += "}}}";
}

std::string eventJson(const ThrottleEvent& event) {
  std::string out;
  appendEventJson(out, event);
  return out;
}

std::string batchJson(const std::vector<std::string>& events, bool as_array) {
  if (!as_array && events.size() == 1) return events[0];
  size_t size = 2;
  for (const std::string& e : events) size += e.size() + 1;
  std::string out;
  out.reserve(size);
  out += '[';
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    out += events[i];
  }
  out += ']';
  return out;
}

}  // namespace gw::filters::throttle
