#include "conf/api_extensions.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"

namespace gw::conf {
namespace {

using S = ExtensionSupport;

const ExtensionInfo* find(absl::string_view name) {
  for (const ExtensionInfo& e : wso2Extensions()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

bool allowedAt(const ExtensionInfo& e, ExtensionLevel level) {
  return level == ExtensionLevel::Api ? e.api : level == ExtensionLevel::Operation && e.operation;
}

absl::Status unknownExtension(const YamlContext& ctx, absl::string_view location,
                              const std::string& key, ExtensionLevel level) {
  std::vector<std::string> here, all;
  for (const ExtensionInfo& e : wso2Extensions()) {
    all.push_back(e.name);
    if (allowedAt(e, level)) here.push_back(e.name);
  }
  std::string hint = closestMatch(key, here);
  if (hint.empty()) hint = closestMatch(key, all);
  std::string message = absl::StrCat("unknown key '", joinLocation(location, key), "'");
  if (!hint.empty()) {
    absl::StrAppend(&message, " (did you mean '", hint, "'?)");
  } else {
    absl::StrAppend(&message,
                    ": not an extension WSO2 API Microgateway 3.2 reads (README, \"API "
                    "definitions\", lists them)");
  }
  return yamlError(ctx, "", message);
}

absl::Status misplaced(const YamlContext& ctx, absl::string_view location, const ExtensionInfo& e,
                       ExtensionLevel level) {
  const char* here = level == ExtensionLevel::Api        ? "at the top level"
                     : level == ExtensionLevel::PathItem ? "on a path"
                                                         : "on an operation";
  const char* there = e.operation && !e.api ? "on an operation (paths./pets.get)"
                      : e.api && e.operation
                          ? "at the top level or on an operation (paths./pets.get)"
                          : "at the top level of the definition";
  return yamlError(
      ctx, joinLocation(location, e.name),
      absl::StrCat(e.name, " is read ", there, ", not ", here, " (WSO2 ignores it here): move it"));
}

}  // namespace

const std::vector<ExtensionInfo>& wso2Extensions() {
  static const auto* table = new std::vector<ExtensionInfo>{
      {"x-wso2-basePath", true, false, S::Read, ""},
      {"x-wso2-production-endpoints", true, true, S::Read, ""},
      {"x-wso2-sandbox-endpoints", true, true, S::Read, ""},
      {"x-wso2-endpoints", true, false, S::Read, ""},
      {"x-wso2-disable-security", true, true, S::Read, ""},
      {"x-wso2-throttling-tier", true, true, S::Read, ""},
      {"x-wso2-cors", true, false, S::Read, ""},
      {"x-wso2-auth-header", true, false, S::Read, ""},
      {"x-wso2-application-security", true, true, S::Read, ""},
      {"x-wso2-mutual-ssl", true, false, S::Read, ""},
      {"x-wso2-transports", true, false, S::Read, ""},
      {"x-wso2-request-interceptor", true, true, S::Interceptor, ""},
      {"x-wso2-response-interceptor", true, true, S::Interceptor, ""},
      {"x-wso2-response-cache", true, false, S::Warned,
       "microgw does not cache responses: every request reaches the backend"},
      {"x-wso2-owner", true, false, S::Warned,
       "it is API Manager metadata; microgw has no use for it"},
  };
  return *table;
}

absl::Status checkExtensions(const YamlContext& ctx, const YAML::Node& node,
                             absl::string_view location, ExtensionLevel level,
                             const std::string& api_name, std::set<std::string>& warned) {
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) continue;
    const std::string& key = entry.first.Scalar();
    if (!absl::StartsWithIgnoreCase(key, "x-wso2-")) continue;
    if (!isPlainKey(key)) {
      return yamlError(ctx, location,
                       "an x-wso2-* key with blanks, ':' or '=' in it (not shown: it may hold "
                       "a value); write 'key: value'");
    }
    const ExtensionInfo* e = find(key);
    if (e == nullptr) return unknownExtension(ctx, location, key, level);
    if (!allowedAt(*e, level)) return misplaced(ctx, location, *e, level);
    const bool warn = e->support == S::Warned;
    if (!warn || !warned.insert(key).second || ctx.warnings == nullptr) continue;
    ctx.warnings->push_back(absl::StrCat(ctx.file, ": ", api_name, ": ", e->name,
                                         " is accepted and ignored: ", e->note));
  }
  return absl::OkStatus();
}

absl::Status readTransportExtensions(const YamlContext& ctx, const YAML::Node& root,
                                     ApiDefinition& api) {
  if (const YAML::Node value = root["x-wso2-mutual-ssl"]) {
    absl::StatusOr<std::string> mode = yamlString(ctx, value, "x-wso2-mutual-ssl");
    if (!mode.ok()) return mode.status();
    const std::string m = absl::AsciiStrToLower(*mode);
    if (m != "mandatory" && m != "optional") {
      return yamlError(ctx, "x-wso2-mutual-ssl",
                       absl::StrCat("expected mandatory or optional, got ", quoteValue(*mode)));
    }
    api.mutual_ssl_mandatory = m == "mandatory";
  }
  if (const YAML::Node value = root["x-wso2-transports"]) {
    absl::StatusOr<std::vector<std::string>> list = yamlStringList(ctx, value, "x-wso2-transports");
    if (!list.ok()) return list.status();
    api.transport_http = api.transport_https = false;
    for (const std::string& t : *list) {
      const std::string name = absl::AsciiStrToLower(t);
      if (name == "http") {
        api.transport_http = true;
      } else if (name == "https") {
        api.transport_https = true;
      } else {
        return yamlError(ctx, "x-wso2-transports",
                         absl::StrCat("expected http or https, got ", quoteValue(t)));
      }
    }
    if (!api.transport_http && !api.transport_https) {
      return yamlError(ctx, "x-wso2-transports", "lists no transport: give http, https or both");
    }
  }
  return absl::OkStatus();
}

}  // namespace gw::conf
