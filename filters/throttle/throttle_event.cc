#include "filters/throttle/throttle_event.h"

#include <array>
#include <charconv>
#include <cstring>

#include "gateway/common/append_sized.h"
#include "gateway/common/byte_scan.h"
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

// Writes at a cursor into a buffer sized in advance (JsonSizer's bound): no
// capacity check or call per append (an event is formatted per request).
class JsonWriter {
 public:
  explicit JsonWriter(char* p) : p_(p) {}
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());  // data() may be null when empty
    p_ += s.size();
  }
  // Inline (with member()): a call per value cost as much as its bytes.
  [[gnu::always_inline]] inline void string(std::string_view in);
  void number(int64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  // `"name":"value",` with `key` the literal `"name":`.
  [[gnu::always_inline]] void member(std::string_view key, std::string_view value) {
    raw(key);
    string(value);
    *p_++ = ',';
  }
  char* end() const { return p_; }

 private:
  char* p_;
};

// The same calls, adding up an upper bound of the bytes JsonWriter writes.
struct JsonSizer {
  size_t size = 0;
  void raw(std::string_view s) { size += s.size(); }
  void string(std::string_view in) { size += 6 * in.size() + 2; }  // every byte as \u00XX
  void number(int64_t) { size += 20; }
  void member(std::string_view key, std::string_view value) {
    raw(key);
    string(value);
    size += 1;
  }
};

// Bytes JSON needs escaped (or that may be invalid UTF-8), among eight.
[[gnu::always_inline]] inline bool anyToEscape(uint64_t w) {
  return (bytesBelow(w, 0x20) | bytesHigh(w) | bytesEqual(w, '"') | bytesEqual(w, '\\')) != 0;
}

inline void JsonWriter::string(std::string_view in) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr auto kPlain = [] {  // bytes written as they are
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
    return t;
  }();
  *p_++ = '"';
  copyBytes(p_, in.data(), in.size());  // the usual case: nothing to escape
  size_t i = 0;
  for (; i + 8 <= in.size(); i += 8) {  // eight plain bytes at a time
    if (anyToEscape(loadWord(in.data() + i))) break;
  }
  if (i + 8 > in.size() && in.size() >= 8 && !anyToEscape(loadWord(in.data() + in.size() - 8))) {
    i = in.size();  // the last bytes, in a word overlapping the one before
  }
  while (i < in.size() && kPlain[static_cast<unsigned char>(in[i])]) ++i;
  p_ += i;
  for (; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (kPlain[c]) {
      *p_++ = static_cast<char>(c);
    } else if (const size_t n = c >= 0x80 ? utf8Length(in, i) : 0; n > 0) {
      raw(in.substr(i, n));
      i += n - 1;
    } else if (c == '"' || c == '\\') {
      *p_++ = '\\';
      *p_++ = static_cast<char>(c);
    } else {
      raw("\\u00");
      *p_++ = kHex[c >> 4];
      *p_++ = kHex[c & 15];
    }
  }
  *p_++ = '"';
}

// Sizes, then writes at the end of `out` (gw::appendSized).
template <class Write>
void appendSized(std::string& out, const Write& write) {
  gw::appendSized<JsonSizer, JsonWriter>(out, write);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view in) {
  appendSized(out, [&](auto& w) { w.string(in); });
}

void EventApiFields::finish() {
  json.clear();
  appendSized(json, [&](auto& w) {
    w.member(R"("apiKey":)", api_key);
    w.member(R"("apiTier":)", api_tier);
    w.member(R"("resourceKey":)", resource_key);
    w.member(R"("resourceTier":)", resource_tier);
    w.member(R"("apiContext":)", api_context);
    w.member(R"("apiVersion":)", api_version);
    w.member(R"("apiName":)", api_name);
  });
}

namespace {

// inet_pton(AF_INET)'s grammar, without its copy and call (this runs per
// event): exactly four decimal parts of 0-255, no leading zeros; the text ends
// at a NUL as it would for inet_pton, and text of INET_ADDRSTRLEN bytes or
// more is refused.
constexpr size_t kMaxIpv4Text = 16;
int64_t parseIpv4(std::string_view ip) {
  if (ip.size() >= kMaxIpv4Text) return -1;
  int64_t value = 0;
  int parts = 0;
  int part = -1;  // the part being read, -1 before its first digit
  for (const char c : ip) {
    if (c == '\0') break;
    if (c >= '0' && c <= '9') {
      if (part == 0) return -1;  // a leading zero
      part = (part < 0 ? 0 : part * 10) + (c - '0');
      if (part > 255) return -1;
    } else if (c == '.' && part >= 0 && parts < 3) {
      value = (value << 8) | part;
      ++parts;
      part = -1;
    } else {
      return -1;
    }
  }
  if (parts != 3 || part < 0) return -1;
  return (value << 8) | part;
}

}  // namespace

// The client's address is the same from one event to the next on a
// connection: this worker keeps the last one it parsed.
int64_t ipv4AsInteger(std::string_view ip) {
  struct Last {
    size_t size = kMaxIpv4Text;  // none yet
    char text[kMaxIpv4Text] = {};
    int64_t value = -1;
  };
  thread_local Last last;
  if (ip.size() == last.size && std::memcmp(ip.data(), last.text, ip.size()) == 0) {
    return last.value;
  }
  const int64_t value = parseIpv4(ip);
  if (ip.size() < kMaxIpv4Text) {
    last.size = ip.size();
    if (!ip.empty()) std::memcpy(last.text, ip.data(), ip.size());
    last.value = value;
  }
  return value;
}

namespace {

// `properties` for an address that is not IPv4 (ip < 0); "" otherwise.
std::string nonIpv4Properties(std::string_view client_ip, int64_t ip) {
  if (ip >= 0) return "";
  if (client_ip.empty()) return "{}";
  std::string properties = "{\"ipv6\":";
  appendJsonString(properties, client_ip);
  properties += '}';
  return properties;
}

template <class Out>
void writeEvent(Out& w, const ThrottleEvent& e, int64_t ip, const std::string& properties) {
  w.raw(R"({"event":{"metaData":{},"correlationData":{},"payloadData":{)");
  w.member(R"("messageID":)", e.message_id);
  w.member(R"("appKey":)", e.app_key);
  w.member(R"("appTier":)", e.app_tier);
  w.member(R"("subscriptionKey":)", e.subscription_key);
  w.member(R"("subscriptionTier":)", e.subscription_tier);
  w.member(R"("userId":)", e.user_id);
  w.raw(R"("appTenant":"carbon.super","apiTenant":"carbon.super",)");
  w.member(R"("appId":)", e.app_id);
  if (e.api != nullptr) w.raw(e.api->json);
  w.raw(R"("properties":)");
  if (ip >= 0) {
    // {"ip":N} as a JSON string: nothing to escape but the quotes.
    w.raw(R"("{\"ip\":)");
    w.number(ip);
    w.raw(R"(}")");
  } else {
    w.string(properties);
  }
  w.raw("}}}");
}

}  // namespace

std::string_view writeEventJson(std::string& scratch, const ThrottleEvent& e) {
  const int64_t ip = ipv4AsInteger(e.client_ip);
  const std::string properties = nonIpv4Properties(e.client_ip, ip);
  return gw::writeSized<JsonSizer, JsonWriter>(scratch,
                                               [&](auto& w) { writeEvent(w, e, ip, properties); });
}

std::string eventJson(const ThrottleEvent& event) {
  std::string out;
  out.resize(writeEventJson(out, event).size());  // written from out's start
  return out;
}

void EventBatch::add(std::string_view event_json) {
  if (count_ > 0 || as_array_) body_.push_back(count_ == 0 ? '[' : ',');
  body_.append(event_json);
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
