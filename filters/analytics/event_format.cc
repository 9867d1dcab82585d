#include "filters/analytics/event_format.h"

#include <nlohmann/json.hpp>

#include "gateway/common/strcat.h"

namespace gw::filters::analytics {
namespace {

constexpr std::string_view kOs = "-OS-";

// Joins fields with -OS-, each made safe.
class Fields {
 public:
  Fields& add(std::string_view v) {
    if (!first_) out_ += kOs;
    first_ = false;
    out_ += sanitizeField(v);
    return *this;
  }
  Fields& add(int64_t v) { return add(std::to_string(v)); }
  Fields& add(int v) { return add(std::to_string(v)); }
  Fields& addBool(bool v) { return add(v ? "true" : "false"); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  bool first_ = true;
};

bool withProperties(std::string_view version) { return version != "3.0.0"; }
bool is320(std::string_view version) { return version == "3.2.0"; }

std::string metadata(Stream stream, const UsageEvent& e) {
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta[stream == Stream::Request ? "clientType" : "keyType"] = e.key_type;
  meta["correlationID"] = e.correlation_id;
  return meta.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

Stream streamFor(int status, bool local_reply) {
  if (status == 429) return Stream::Throttle;
  if (local_reply && status >= 400) return Stream::Fault;
  return Stream::Request;
}

std::string streamId(Stream stream, std::string_view version) {
  const char* name = stream == Stream::Request ? "org.wso2.apimgt.statistics.request"
                     : stream == Stream::Fault ? "org.wso2.apimgt.statistics.fault"
                                               : "org.wso2.apimgt.statistics.throttle";
  return gw::cat(name, ":", version);
}

std::string sanitizeField(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r' || c == '\n') {
      out += ' ';
      continue;
    }
    if (c == '-' && i + 3 < value.size() && value[i + 3] == '-') {
      const std::string_view mid = value.substr(i + 1, 2);
      if (mid == "KS" || mid == "ES" || mid == "OS") {
        out += '_';
        out += mid;
        out += '_';
        i += 3;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::string requestPayload(const UsageEvent& e, std::string_view version) {
  Fields f;
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
  return f.take();
}

std::string faultPayload(const UsageEvent& e, std::string_view version) {
  Fields f;
  f.add(e.consumer_key).add(e.api_name).add(e.api_version).add(e.api_context);
  f.add(e.resource_path);
  if (is320(version)) f.add(e.resource_path);
  f.add(e.method).add(e.api_creator).add(e.user_name).add(e.user_tenant_domain);
  f.add(e.api_creator_tenant).add(e.hostname).add(e.application_id).add(e.application_name);
  if (is320(version)) f.add(e.application_owner);
  f.add(e.protocol).add(e.error_code).add(e.error_message).add(e.request_time_ms);
  if (withProperties(version)) f.add(e.properties);
  return f.take();
}

std::string throttlePayload(const UsageEvent& e, std::string_view version) {
  Fields f;
  f.add(e.user_name).add(e.user_tenant_domain).add(e.api_name).add(e.api_version);
  f.add(e.api_context).add(e.api_creator).add(e.api_creator_tenant);
  if (is320(version)) f.add(e.resource_path).add(e.method);
  f.add(e.application_id).add(e.application_name).add(e.subscriber).add(e.throttled_out_reason);
  f.add(e.gateway_type).add(e.request_time_ms).add(e.hostname);
  if (withProperties(version)) f.add(e.properties);
  return f.take();
}

std::string formatEventLine(Stream stream, const UsageEvent& e, std::string_view version,
                            int64_t now_ms) {
  const std::string payload = stream == Stream::Request ? requestPayload(e, version)
                              : stream == Stream::Fault ? faultPayload(e, version)
                                                        : throttlePayload(e, version);
  return gw::cat("streamId-KS-", streamId(stream, version), "-ES-timestamp-KS-", now_ms,
                 "-ES-metadata-KS-", sanitizeField(metadata(stream, e)),
                 "-ES-correlationData-KS-null-ES-payLoadData-KS-", payload, "\n");
}

}  // namespace gw::filters::analytics
