#include "filters/throttle/throttle_event.h"

#include <arpa/inet.h>

#include <charconv>

#include "gateway/common/strcat.h"

namespace gw::filters::throttle {
namespace {

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

// `"name":"value",` with `key` the literal `"name":` (sizes known at compile time).
void appendMember(std::string& out, std::string_view key, std::string_view value) {
  out.append(key.data(), key.size());
  appendJsonString(out, value);
  out += ',';
}

}  // namespace

void appendJsonString(std::string& out, std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the bytes not yet appended (they need no escaping)
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
    if (c >= 0x80) {
      if (const size_t n = utf8Length(in, i); n > 0) {
        i += n - 1;
        continue;
      }
    }
    out.append(in.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out.append(in.data() + run, in.size() - run);
  out += '"';
}

void EventApiFields::finish() {
  json.clear();
  appendMember(json, R"("apiKey":)", api_key);
  appendMember(json, R"("apiTier":)", api_tier);
  appendMember(json, R"("resourceKey":)", resource_key);
  appendMember(json, R"("resourceTier":)", resource_tier);
  appendMember(json, R"("apiContext":)", api_context);
  appendMember(json, R"("apiVersion":)", api_version);
  appendMember(json, R"("apiName":)", api_name);
}

int64_t ipv4AsInteger(std::string_view ip) {
  char text[INET_ADDRSTRLEN];
  if (ip.size() >= sizeof(text)) return -1;
  ip.copy(text, ip.size());
  text[ip.size()] = '\0';
  in_addr addr{};
  if (inet_pton(AF_INET, text, &addr) != 1) return -1;
  return static_cast<int64_t>(ntohl(addr.s_addr));
}

void appendEventJson(std::string& out, const ThrottleEvent& e) {
  out.reserve(out.size() + 200 + (e.api != nullptr ? e.api->json.size() : 0) + e.message_id.size() +
              e.app_key.size() + e.subscription_key.size() + e.user_id.size() + e.app_id.size() +
              e.app_tier.size() + e.subscription_tier.size());
  out += R"({"event":{"metaData":{},"correlationData":{},"payloadData":{)";
  appendMember(out, R"("messageID":)", e.message_id);
  appendMember(out, R"("appKey":)", e.app_key);
  appendMember(out, R"("appTier":)", e.app_tier);
  appendMember(out, R"("subscriptionKey":)", e.subscription_key);
  appendMember(out, R"("subscriptionTier":)", e.subscription_tier);
  appendMember(out, R"("userId":)", e.user_id);
  out += R"("appTenant":"carbon.super","apiTenant":"carbon.super",)";
  appendMember(out, R"("appId":)", e.app_id);
  if (e.api != nullptr) out += e.api->json;
  out += "\"properties\":";
  if (const int64_t ip = ipv4AsInteger(e.client_ip); ip >= 0) {
    // {"ip":N} as a JSON string, written directly: no escaping needed but the quotes'.
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof(digits), ip);
    out += R"("{\"ip\":)";
    out.append(digits, static_cast<size_t>(r.ptr - digits));
    out += R"(}")";
  } else {
    std::string properties = "{}";
    if (!e.client_ip.empty()) {
      properties = "{\"ipv6\":";
      appendJsonString(properties, e.client_ip);
      properties += '}';
    }
    appendJsonString(out, properties);
  }
  out += "}}}";
}

std::string eventJson(const ThrottleEvent& event) {
  std::string out;
  appendEventJson(out, event);
  return out;
}

void EventBatch::add(std::string_view event_json) {
  body_ += count_ == 0 ? (as_array_ ? "[" : "") : ",";
  body_ += event_json;
  ++count_;
}

std::string EventBatch::take() {
  if (as_array_ && count_ > 0) body_ += ']';
  count_ = 0;
  std::string out = std::move(body_);
  body_.clear();
  return out;
}

std::string batchJson(const std::vector<std::string>& events, bool as_array) {
  if (!as_array && events.size() == 1) return events[0];
  EventBatch batch(true);
  for (const std::string& e : events) batch.add(e);
  return events.empty() ? "[]" : batch.take();
}

}  // namespace gw::filters::throttle
