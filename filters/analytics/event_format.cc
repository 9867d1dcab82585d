#include "filters/analytics/event_format.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "gateway/common/strcat.h"

namespace gw::filters::analytics {
namespace {

constexpr std::string_view kOs = "-OS-";
constexpr size_t kLineReserve = 768;  // a request line is ~450 bytes

bool isSeparatorName(char a, char b) { return (b == 'S' && (a == 'K' || a == 'E' || a == 'O')); }

// Appends fields to one line, joined by -OS-, each made safe. Writes straight
// into the line: no string per field (this runs once per request).
class Fields {
 public:
  explicit Fields(std::string& out) : out_(out) {}
  Fields& add(std::string_view v) {
    if (!first_) out_ += kOs;
    first_ = false;
    appendSanitized(out_, v);
    return *this;
  }
  Fields& add(int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return add(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  Fields& add(int v) { return add(static_cast<int64_t>(v)); }
  Fields& addBool(bool v) { return add(v ? std::string_view("true") : std::string_view("false")); }

 private:
  std::string& out_;
  bool first_ = true;
};

bool withProperties(std::string_view version) { return version != "3.0.0"; }
bool is320(std::string_view version) { return version == "3.2.0"; }

// Printable ASCII without quote or backslash: a JSON string as it is.
bool plainJson(std::string_view v) {
  for (const char c : v) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
  }
  return true;
}

// The metadata JSON, made safe, appended to `out`. The usual values (key type
// and request id) need no escaping and are written directly; anything else
// goes through nlohmann::json, whose output (escapes, invalid UTF-8 replaced)
// is the format. Sanitising the values one by one equals sanitising the whole
// JSON: a separator cannot span the quotes between them.
void appendMetadata(std::string& out, Stream stream, const UsageEvent& e) {
  const char* key = stream == Stream::Request ? "clientType" : "keyType";
  if (plainJson(e.key_type) && plainJson(e.correlation_id)) {
    out += "{\"";
    out += key;
    out += "\":\"";
    appendSanitized(out, e.key_type);
    out += "\",\"correlationID\":\"";
    appendSanitized(out, e.correlation_id);
    out += "\"}";
    return;
  }
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta[key] = e.key_type;
  meta["correlationID"] = e.correlation_id;
  appendSanitized(out, meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

const char* streamName(Stream stream) {
  return stream == Stream::Request ? "org.wso2.apimgt.statistics.request"
         : stream == Stream::Fault ? "org.wso2.apimgt.statistics.fault"
                                   : "org.wso2.apimgt.statistics.throttle";
}

void appendRequestPayload(std::string& out, const UsageEvent& e, std::string_view version) {
  Fields f(out);
  f.add(e.consumer_key).add(e.application_name).add(e.application_id).add(e.application_owner);
  f.add(e.api_context).add(e.api_name).add(e.api_version).add(e.resource_path);
  f.add(e.resource_path).add(e.method).add(e.api_creator).add(e.api_creator_tenant);
  f.add(e.api_tier).add(e.hostname).add(e.user_name).add(e.user_tenant_domain);
  f.add(e.user_ip).add(e.user_agent).add(e.request_time_ms).addBool(e.throttled_out);
  f.add(e.response_time_ms).add(e.service_time_ms).add(e.backend_time_ms).addBool(e.cache_hit);
  f.add(e.response_size).add(e.protocol).add(e.status).add(e.destination);
  f.add(e.security_latency_ms).add(e.throttling_latency_ms).add(e.request_mediation_latency_ms);
  f.add(e.response_mediation_latency_ms).add(e.backend_latency_ms).add(e.other_latency_ms);
  f.add(e.gateway_type).add(e.label);
  if (withProperties(version)) f.add(e.properties);
}

void appendFaultPayload(std::string& out, const UsageEvent& e, std::string_view version) {
  Fields f(out);
  f.add(e.consumer_key).add(e.api_name).add(e.api_version).add(e.api_context);
  f.add(e.resource_path);
  if (is320(version)) f.add(e.resource_path);
  f.add(e.method).add(e.api_creator).add(e.user_name).add(e.user_tenant_domain);
  f.add(e.api_creator_tenant).add(e.hostname).add(e.application_id).add(e.application_name);
  if (is320(version)) f.add(e.application_owner);
  f.add(e.protocol).add(e.error_code).add(e.error_message).add(e.request_time_ms);
  if (withProperties(version)) f.add(e.properties);
}

void appendThrottlePayload(std::string& out, const UsageEvent& e, std::string_view version) {
  Fields f(out);
  f.add(e.user_name).add(e.user_tenant_domain).add(e.api_name).add(e.api_version);
  f.add(e.api_context).add(e.api_creator).add(e.api_creator_tenant);
  if (is320(version)) f.add(e.resource_path).add(e.method);
  f.add(e.application_id).add(e.application_name).add(e.subscriber).add(e.throttled_out_reason);
  f.add(e.gateway_type).add(e.request_time_ms).add(e.hostname);
  if (withProperties(version)) f.add(e.properties);
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
  // The bytes that may need a change; the rest is copied in runs.
  static constexpr auto kMaybe = [] {
    std::array<bool, 256> t{};
    t['-'] = t['\r'] = t['\n'] = true;
    return t;
  }();
  const char* const v = value.data();
  const size_t n = value.size();
  size_t run = 0;  // start of the bytes not yet appended
  for (size_t i = 0;; ++i) {
    while (i < n && !kMaybe[static_cast<unsigned char>(v[i])]) ++i;
    if (i == n) break;
    if (v[i] == '\r' || v[i] == '\n') {
      out.append(v + run, i - run);
      out += ' ';
      run = i + 1;
    } else if (i + 3 < n && v[i + 3] == '-' && isSeparatorName(v[i + 1], v[i + 2])) {
      out.append(v + run, i - run);
      out += '_';
      out.append(v + i + 1, 2);
      out += '_';
      i += 3;
      run = i + 1;
    }
  }
  out.append(v + run, n - run);
}

std::string sanitizeField(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  appendSanitized(out, value);
  return out;
}

std::string requestPayload(const UsageEvent& e, std::string_view version) {
  std::string out;
  appendRequestPayload(out, e, version);
  return out;
}

std::string faultPayload(const UsageEvent& e, std::string_view version) {
  std::string out;
  appendFaultPayload(out, e, version);
  return out;
}

std::string throttlePayload(const UsageEvent& e, std::string_view version) {
  std::string out;
  appendThrottlePayload(out, e, version);
  return out;
}

void appendEventLine(std::string& out, Stream stream, const UsageEvent& e, std::string_view version,
                     int64_t now_ms) {
  out += "streamId-KS-";
  out += streamName(stream);
  out += ':';
  out += version;
  out += "-ES-timestamp-KS-";
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), now_ms);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
  out += "-ES-metadata-KS-";
  appendMetadata(out, stream, e);
  out += "-ES-correlationData-KS-null-ES-payLoadData-KS-";
  if (stream == Stream::Request) {
    appendRequestPayload(out, e, version);
  } else if (stream == Stream::Fault) {
    appendFaultPayload(out, e, version);
  } else {
    appendThrottlePayload(out, e, version);
  }
  out += '\n';
}

std::string formatEventLine(Stream stream, const UsageEvent& e, std::string_view version,
                            int64_t now_ms) {
  std::string out;
  out.reserve(kLineReserve);
  appendEventLine(out, stream, e, version, now_ms);
  return out;
}

}  // namespace gw::filters::analytics
