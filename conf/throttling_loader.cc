#include "conf/throttling_loader.h"

#include <filesystem>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/secret.h"
#include "conf/status_macros.h"

namespace gw::conf {
namespace {

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr char kPoliciesFileName[] = "policies.yaml";

bool isRegularFile(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

absl::Status readPoliciesFile(const TomlSection& s, const std::string& file, std::string& out) {
  std::optional<std::string> given;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("policiesFile", given));
  if (!given) {
    const std::string beside = resolvePath(directoryOf(file), kPoliciesFileName);
    out = isRegularFile(beside) ? beside : "";
    return absl::OkStatus();
  }
  out = resolvePath(directoryOf(file), *given);
  if (given->empty() || !isRegularFile(out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(s.keyName("policiesFile"), ": no such file: ", out,
                     " (fix the path, or remove the key to use policies.yaml beside the conf "
                     "file or else WSO2's default policies)"));
  }
  return absl::OkStatus();
}

// WSO2's JMS, binary and node-local settings: accepted, not implemented.
void noteIgnored(const TomlSection& s, const std::string& file,
                 std::vector<std::string>& warnings) {
  bool jms = false;
  for (const char* key : {"jmsConnectioninitialContextFactory", "jmsConnectionProviderUrl",
                          "jmsConnectionUsername", "jmsConnectionPassword", "jmsConnectionTopic"}) {
    jms = jms || s.has(key);
  }
  if (jms) {
    warnings.push_back(absl::StrCat(
        file,
        ": 'throttlingConfig.jmsConnection*': microgw does not speak JMS; ignored (blocked "
        "keys are polled from decisionEndpointUrl instead)"));
  }
  for (const char* section : {"nodeLocal", "dataRetriever"}) {
    if (s.has(section)) {
      warnings.push_back(absl::StrCat(file, ": 'throttlingConfig.", section,
                                      "' is a WSO2 setting microgw does not implement; ignored"));
    }
  }
}

absl::Status readBinary(const TomlSection& s, const std::string& file,
                        std::vector<std::string>& warnings) {
  absl::StatusOr<TomlSection> binary = s.section("binary");
  if (!binary.ok()) return binary.status();
  // The other keys are WSO2's Thrift publisher settings: not used (the one
  // warning below says so), but a misspelt one is still an error.
  GW_CONF_RETURN_IF_ERROR(
      binary->checkKeys({"enabled", "username", "password"},
                        {"URLGroup", "publisherPool", "publisherThreadPool", "agent"}));
  bool enabled = false;
  GW_CONF_RETURN_IF_ERROR(binary->readBool("enabled", enabled));
  if (enabled) {
    warnings.push_back(
        absl::StrCat(file,
                     ": 'throttlingConfig.binary.enabled': the binary (Thrift) publisher is not "
                     "supported; the HTTP publisher (throttleEndpointUrl) is used"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status readThrottlingConfig(const TomlSection& root, const std::string& file,
                                  ThrottlingConfig& out, std::vector<std::string>& warnings) {
  absl::StatusOr<TomlSection> s = root.section("throttlingConfig");
  if (!s.ok()) return s.status();
  GW_CONF_RETURN_IF_ERROR(
      s->checkKeys({"enabledGlobalTMEventPublishing", "throttleEndpointUrl",
                    "throttleEndpointbase64Header", "policiesFile", "eventQueueSize",
                    "eventBatchSize", "decisionEndpointUrl", "decisionPollIntervalInMillis",
                    "jmsConnectioninitialContextFactory", "jmsConnectionProviderUrl",
                    "jmsConnectionUsername", "jmsConnectionPassword", "jmsConnectionTopic"},
                   {"binary", "nodeLocal", "dataRetriever"}));
  GW_CONF_RETURN_IF_ERROR(s->readBool("enabledGlobalTMEventPublishing", out.global_publishing));
  GW_CONF_RETURN_IF_ERROR(s->readString("throttleEndpointUrl", out.endpoint_url));
  GW_CONF_RETURN_IF_ERROR(s->readString("throttleEndpointbase64Header", out.endpoint_credentials));
  GW_CONF_RETURN_IF_ERROR(s->readInt("eventQueueSize", 1, kMaxU32, out.event_queue_size));
  GW_CONF_RETURN_IF_ERROR(s->readInt("eventBatchSize", 1, 10000, out.event_batch_size));
  GW_CONF_RETURN_IF_ERROR(s->readString("decisionEndpointUrl", out.decision_url));
  GW_CONF_RETURN_IF_ERROR(
      s->readInt("decisionPollIntervalInMillis", 10, kMaxU32, out.decision_poll_ms));
  GW_CONF_RETURN_IF_ERROR(readPoliciesFile(*s, file, out.policies_file));
  for (const std::string* url : {&out.endpoint_url, &out.decision_url}) {
    if (url->empty() && url == &out.decision_url) continue;
    if (!absl::StartsWith(*url, "http://") && !absl::StartsWith(*url, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          s->keyName(url == &out.endpoint_url ? "throttleEndpointUrl" : "decisionEndpointUrl"),
          " must be an http:// or https:// URL"));
    }
  }
  if (out.endpoint_credentials.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(s->keyName("throttleEndpointbase64Header"),
                     " must be \"user:password\" in plain text (the gateway base64-encodes it)"));
  }
  noteIgnored(*s, file, warnings);
  return readBinary(*s, file, warnings);
}

}  // namespace gw::conf
