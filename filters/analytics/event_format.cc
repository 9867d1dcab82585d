#include "filters/analytics/event_format.h"

#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gateway/common/append_sized.h"
#include "gateway/common/byte_scan.h"
#include "gateway/common/strcat.h"

namespace gw::filters::analytics {
namespace {

constexpr std::string_view kOs = "-OS-";
constexpr size_t kMaxNumber = 20;  // digits and sign of an int64_t

bool isSeparatorName(char a, char b) { return (b == 'S' && (a == 'K' || a == 'E' || a == 'O')); }

// Whether v[0, n) holds a byte sanitizeInPlace may change ('-', CR, LF),
// eight bytes at a time (the last word overlapping the one before).
// '-' (0x2D) and CR (0x0D) are the two bytes that OR 0x20 makes 0x2D.
[[gnu::always_inline]] inline bool anyUnsafe(uint64_t w) {
  return (bytesEqual(w | (kByteOnes * 0x20), '-') | bytesEqual(w, '\n')) != 0;
}

[[gnu::always_inline]] inline bool maybeUnsafe(const char* v, size_t n) {
  if (n < 8) {
    if (n >= 4) {  // two overlapping halves in one word
      uint32_t head, tail;
      std::memcpy(&head, v, 4);
      std::memcpy(&tail, v + n - 4, 4);
      return anyUnsafe(head | static_cast<uint64_t>(tail) << 32);
    }
    for (size_t i = 0; i < n; ++i) {
      if (v[i] == '-' || v[i] == '\r' || v[i] == '\n') return true;
    }
    return false;
  }
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (anyUnsafe(loadWord(v + i))) return true;
  }
  return n % 8 != 0 && anyUnsafe(loadWord(v + n - 8));
}

// Makes v[0, n) safe where it is: sanitising never changes a length, so a
// line's size is known before it is written.
[[gnu::noinline]] void sanitizeFound(char* v, size_t n) {
  static constexpr auto kMaybe = [] {  // the bytes that may need a change
    std::array<bool, 256> t{};
    t['-'] = t['\r'] = t['\n'] = true;
    return t;
  }();
  for (size_t i = 0; i < n; ++i) {
    if (!kMaybe[static_cast<unsigned char>(v[i])]) continue;
    if (v[i] == '\r' || v[i] == '\n') {
      v[i] = ' ';
    } else if (i + 3 < n && v[i + 3] == '-' && isSeparatorName(v[i + 1], v[i + 2])) {
      v[i] = '_';
      v[i + 3] = '_';
      i += 3;
    }
  }
}

// The same, inline: the usual value has no byte to look at closer.
[[gnu::always_inline]] inline void sanitizeInPlace(char* v, size_t n) {
  if (maybeUnsafe(v, n)) sanitizeFound(v, n);
}

// Epoch milliseconds of 13 digits (2001 to 2286), as std::to_chars writes
// them: a line has two, and their first ten digits (the seconds) change once
// a second, so this worker keeps them written.
constexpr int64_t kMillisFrom = 1'000'000'000'000;
constexpr int64_t kMillisTo = 10'000'000'000'000;
char* writeEpochMillis(char* out, int64_t ms) {
  struct Seconds {
    int64_t value = -1;
    char text[10];
  };
  thread_local Seconds seconds;
  const int64_t s = ms / 1000;
  if (s != seconds.value) {
    std::to_chars(seconds.text, seconds.text + sizeof(seconds.text), s);  // ten digits
    seconds.value = s;
  }
  std::memcpy(out, seconds.text, sizeof(seconds.text));
  const int rest = static_cast<int>(ms - s * 1000);
  out[10] = static_cast<char>('0' + rest / 100);
  out[11] = static_cast<char>('0' + rest / 10 % 10);
  out[12] = static_cast<char>('0' + rest % 10);
  return out + 13;
}

// The two passes over a line: Sizer adds up an upper bound of its size,
// Writer then writes it into a buffer of that size.
struct Sizer {
  size_t size = 0;
  void raw(std::string_view s) { size += s.size(); }
  void trusted(std::string_view v) { size += v.size(); }
  void field(std::string_view v) { size += v.size(); }
  void number(int64_t) { size += kMaxNumber; }
};

class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  void raw(std::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());  // data() may be null when empty
    p_ += s.size();
  }
  // field() and trusted() inline: a call per field cost more than its bytes.
  [[gnu::always_inline]] void field(std::string_view v) {
    char* start = p_;
    copyBytes(p_, v.data(), v.size());
    p_ += v.size();
    sanitizeInPlace(start, v.size());
  }
  [[gnu::always_inline]] void trusted(std::string_view v) {  // sanitised already
    copyBytes(p_, v.data(), v.size());
    p_ += v.size();
  }
  void number(int64_t v) {
    if (v >= 0 && v < 10) {  // most of a line's numbers: zeros and small latencies
      *p_++ = static_cast<char>('0' + v);
    } else if (v >= kMillisFrom && v < kMillisTo) {
      p_ = writeEpochMillis(p_, v);
    } else {
      p_ = std::to_chars(p_, p_ + kMaxNumber, v).ptr;
    }
  }
  char* end() const { return p_; }

 private:
  char* p_;
};

// Fields joined with -OS-, each made safe.
template <class Out>
class Fields {
 public:
  explicit Fields(Out& out) : out_(out) {}
  // Inline, all of them: a call per field cost as much as the field's bytes.
  [[gnu::always_inline]] Fields& add(std::string_view v) {
    separate();
    out_.field(v);
    return *this;
  }
  // A value sanitised already (UsageEvent's views).
  [[gnu::always_inline]] Fields& sane(std::string_view v) {
    separate();
    out_.trusted(v);
    return *this;
  }
  [[gnu::always_inline]] Fields& add(int64_t v) {
    separate();
    out_.number(v);
    return *this;
  }
  Fields& add(int v) { return add(static_cast<int64_t>(v)); }
  Fields& addBool(bool v) { return add(v ? std::string_view("true") : std::string_view("false")); }

 private:
  [[gnu::always_inline]] void separate() {
    if (!first_) out_.raw(kOs);
    first_ = false;
  }
  Out& out_;
  bool first_ = true;
};

bool withProperties(std::string_view version) { return version != "3.0.0"; }
bool is320(std::string_view version) { return version == "3.2.0"; }

// Printable ASCII without quote or backslash: a JSON string as it is. Eight
// bytes at a time: the correlation id (32 or 36 bytes) is checked per request.
[[gnu::always_inline]] inline bool anyJsonSpecial(uint64_t w) {
  return (bytesBelow(w, 0x20) | bytesHigh(w) | bytesEqual(w, 0x7F) | bytesEqual(w, '"') |
          bytesEqual(w, '\\')) != 0;
}

[[gnu::always_inline]] inline bool plainJson(std::string_view v) {
  if (v.size() < 8) {
    for (const char c : v) {
      if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
    }
    return true;
  }
  for (size_t i = 0; i + 8 <= v.size(); i += 8) {
    if (anyJsonSpecial(loadWord(v.data() + i))) return false;
  }
  // The last bytes in a word overlapping the one before.
  return v.size() % 8 == 0 || !anyJsonSpecial(loadWord(v.data() + v.size() - 8));
}

// The metadata JSON, or "" when its values need no escaping (then
// writeMetadata writes it directly). nlohmann::json's output (escapes, invalid
// UTF-8 replaced) is the format.
std::string escapedMetadata(Stream stream, const UsageEvent& e) {
  if (plainJson(e.key_type) && plainJson(e.correlation_id)) return "";
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta[stream == Stream::Request ? "clientType" : "keyType"] = std::string(e.key_type);
  meta["correlationID"] = std::string(e.correlation_id);
  return meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// The metadata, made safe. Sanitising the values one by one equals
// sanitising the whole JSON: a separator cannot span the quotes between them.
template <class Out>
void writeMetadata(Out& out, Stream stream, const UsageEvent& e, const std::string& escaped) {
  if (!escaped.empty()) {
    out.field(escaped);
    return;
  }
  out.raw(stream == Stream::Request ? R"({"clientType":")" : R"({"keyType":")");
  out.field(e.key_type);
  out.raw(R"(","correlationID":")");
  out.field(e.correlation_id);
  out.raw(R"("})");
}

const char* streamName(Stream stream) {
  return stream == Stream::Request ? "org.wso2.apimgt.statistics.request"
         : stream == Stream::Fault ? "org.wso2.apimgt.statistics.fault"
                                   : "org.wso2.apimgt.statistics.throttle";
}

template <class Out>
void writeRequestPayload(Out& out, const UsageEvent& e, std::string_view version) {
  Fields<Out> f(out);
  f.add(e.consumer_key).add(e.application_name).add(e.application_id).add(e.application_owner);
  if (!e.route_run.empty()) {
    f.sane(e.route_run);
  } else {
    f.sane(e.api_context).sane(e.api_name).sane(e.api_version).sane(e.resource_path);
    f.sane(e.resource_path);
  }
  f.add(e.method).sane(e.api_creator).sane(e.api_creator_tenant);
  f.add(e.api_tier).sane(e.hostname).add(e.user_name).add(e.user_tenant_domain);
  f.add(e.user_ip).add(e.user_agent).add(e.request_time_ms).addBool(e.throttled_out);
  f.add(e.response_time_ms).add(e.service_time_ms).add(e.backend_time_ms).addBool(e.cache_hit);
  f.add(e.response_size).sane(e.protocol).add(e.status).sane(e.destination);
  f.add(e.security_latency_ms).add(e.throttling_latency_ms).add(e.request_mediation_latency_ms);
  f.add(e.response_mediation_latency_ms).add(e.backend_latency_ms).add(e.other_latency_ms);
  f.sane(e.gateway_type).sane(e.label);
  if (withProperties(version)) f.sane(e.properties);
}

template <class Out>
void writeFaultPayload(Out& out, const UsageEvent& e, std::string_view version) {
  Fields<Out> f(out);
  f.add(e.consumer_key).sane(e.api_name).sane(e.api_version).sane(e.api_context);
  f.sane(e.resource_path);
  if (is320(version)) f.sane(e.resource_path);
  f.add(e.method).sane(e.api_creator).add(e.user_name).add(e.user_tenant_domain);
  f.sane(e.api_creator_tenant).sane(e.hostname).add(e.application_id).add(e.application_name);
  if (is320(version)) f.add(e.application_owner);
  f.sane(e.protocol).add(e.error_code).add(e.error_message).add(e.request_time_ms);
  if (withProperties(version)) f.sane(e.properties);
}

template <class Out>
void writeThrottlePayload(Out& out, const UsageEvent& e, std::string_view version) {
  Fields<Out> f(out);
  f.add(e.user_name).add(e.user_tenant_domain).sane(e.api_name).sane(e.api_version);
  f.sane(e.api_context).sane(e.api_creator).sane(e.api_creator_tenant);
  if (is320(version)) f.sane(e.resource_path).add(e.method);
  f.add(e.application_id).add(e.application_name).add(e.subscriber).add(e.throttled_out_reason);
  f.sane(e.gateway_type).add(e.request_time_ms).sane(e.hostname);
  if (withProperties(version)) f.sane(e.properties);
}

template <class Out>
void writePayload(Out& out, Stream stream, const UsageEvent& e, std::string_view version) {
  if (stream == Stream::Request) {
    writeRequestPayload(out, e, version);
  } else if (stream == Stream::Fault) {
    writeFaultPayload(out, e, version);
  } else {
    writeThrottlePayload(out, e, version);
  }
}

template <class Out>
void writeLine(Out& out, Stream stream, const UsageEvent& e, std::string_view version,
               int64_t now_ms, const std::string& escaped_metadata) {
  out.raw("streamId-KS-");
  out.raw(streamName(stream));
  out.raw(":");
  out.raw(version);
  out.raw("-ES-timestamp-KS-");
  out.number(now_ms);
  out.raw("-ES-metadata-KS-");
  writeMetadata(out, stream, e, escaped_metadata);
  out.raw("-ES-correlationData-KS-null-ES-payLoadData-KS-");
  writePayload(out, stream, e, version);
  out.raw("\n");
}

// Sizes, then writes at the end of `out` (gw::appendSized).
template <class Write>
void appendSized(std::string& out, const Write& write) {
  gw::appendSized<Sizer, Writer>(out, write);
}

template <class WritePayload>
std::string payloadOf(const WritePayload& write_payload) {
  std::string out;
  appendSized(out, write_payload);
  return out;
}

}  // namespace

Stream streamFor(int status, bool local_reply) {
  if (status == 429) return Stream::Throttle;
  if (local_reply && status >= 400) return Stream::Fault;
  return Stream::Request;
}

std::string streamId(Stream stream, std::string_view version) {
  return gw::cat(streamName(stream), ":", version);
}

void appendSanitized(std::string& out, std::string_view value) {
  appendSized(out, [&](auto& o) { o.field(value); });
}

std::string sanitizeField(std::string_view value) {
  std::string out;
  appendSanitized(out, value);
  return out;
}

std::string requestPayload(const UsageEvent& e, std::string_view version) {
  return payloadOf([&](auto& o) { writeRequestPayload(o, e, version); });
}

std::string faultPayload(const UsageEvent& e, std::string_view version) {
  return payloadOf([&](auto& o) { writeFaultPayload(o, e, version); });
}

std::string throttlePayload(const UsageEvent& e, std::string_view version) {
  return payloadOf([&](auto& o) { writeThrottlePayload(o, e, version); });
}

std::string_view writeEventLine(std::string& scratch, Stream stream, const UsageEvent& e,
                                std::string_view version, int64_t now_ms) {
  const std::string escaped = escapedMetadata(stream, e);
  return gw::writeSized<Sizer, Writer>(
      scratch, [&](auto& o) { writeLine(o, stream, e, version, now_ms, escaped); });
}

std::string formatEventLine(Stream stream, const UsageEvent& e, std::string_view version,
                            int64_t now_ms) {
  std::string out;
  out.resize(writeEventLine(out, stream, e, version, now_ms).size());  // written from out's start
  return out;
}

}  // namespace gw::filters::analytics
