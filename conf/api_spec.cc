#include "conf/api_spec.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "conf/api_extensions.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"
#include "conf/url.h"

namespace gw::conf {
namespace {

bool isExtensionName(absl::string_view key) {
  for (const ExtensionInfo& e : wso2Extensions()) {
    if (key == e.name) return true;
  }
  return false;
}

// Leading '/', no trailing '/', and WSO2's "{version}" placeholder replaced.
absl::StatusOr<std::string> normaliseBasePath(const YamlContext& ctx, const std::string& raw,
                                              const std::string& version,
                                              absl::string_view location) {
  std::string path = absl::StrReplaceAll(absl::StripAsciiWhitespace(raw), {{"{version}", version}});
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.find_first_of("?#{} \t") != std::string::npos) {
    return yamlError(
        ctx, location,
        absl::StrCat(quoteValue(raw), " must not contain '?', '#', '{', '}' or blanks"));
  }
  return path;
}

// servers[0].url with its {variables} replaced by their defaults; nullopt when
// there is no usable servers entry.
std::optional<std::string> firstServerUrl(const YAML::Node& root) {
  const YAML::Node servers = root["servers"];
  if (!servers || !servers.IsSequence() || servers.size() == 0) return std::nullopt;
  const YAML::Node server = servers[0];
  if (!server.IsMap() || !server["url"] || !server["url"].IsScalar()) return std::nullopt;
  std::string url = server["url"].Scalar();
  const YAML::Node variables = server["variables"];
  if (variables && variables.IsMap()) {
    for (const auto& v : variables) {
      if (!v.first.IsScalar() || !v.second.IsMap() || !v.second["default"] ||
          !v.second["default"].IsScalar()) {
        continue;
      }
      url = absl::StrReplaceAll(
          url, {{absl::StrCat("{", v.first.Scalar(), "}"), v.second["default"].Scalar()}});
    }
  }
  return url;
}

bool isHttpUrl(absl::string_view url) {
  return absl::StartsWithIgnoreCase(url, "http://") || absl::StartsWithIgnoreCase(url, "https://");
}

// OpenAPI 3: the base path and default endpoint from servers[0].url.
void fromServers(const YAML::Node& root, ApiSpec& spec, std::optional<std::string>& raw_base) {
  spec.default_endpoint_location = "servers[0].url";
  const std::optional<std::string> url = firstServerUrl(root);
  if (!url) {
    spec.no_endpoint_reason = "the definition has no servers[0].url";
    return;
  }
  if (isHttpUrl(*url)) {
    absl::StatusOr<ParsedUrl> parsed = parseUrl(*url);
    if (parsed.ok()) {
      spec.default_endpoint = *url;
      raw_base = parsed->path;
      return;
    }
  }
  spec.no_endpoint_reason = "servers[0].url is not an absolute http(s) URL";
  if (absl::StartsWith(*url, "/") && !absl::StartsWith(*url, "//")) raw_base = *url;
}

// Swagger 2.0: basePath, and schemes[0]://host + basePath.
absl::Status fromSwagger(const YamlContext& ctx, const YAML::Node& root, ApiSpec& spec,
                         std::optional<std::string>& raw_base) {
  spec.default_endpoint_location = "host";
  if (root["basePath"]) {
    absl::StatusOr<std::string> base = yamlString(ctx, root["basePath"], "basePath");
    if (!base.ok()) return base.status();
    raw_base = *base;
  }
  if (!root["host"]) {
    spec.no_endpoint_reason = "the definition has no host";
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> host = yamlString(ctx, root["host"], "host");
  if (!host.ok()) return host.status();
  std::string scheme = "http";
  if (root["schemes"]) {
    absl::StatusOr<std::vector<std::string>> schemes =
        yamlStringList(ctx, root["schemes"], "schemes");
    if (!schemes.ok()) return schemes.status();
    scheme.clear();
    for (const std::string& s : *schemes) {
      if (s == "http" || s == "https") {
        scheme = s;
        break;
      }
    }
    if (scheme.empty()) {
      spec.no_endpoint_reason = "schemes lists neither http nor https";
      return absl::OkStatus();
    }
  }
  spec.default_endpoint = absl::StrCat(scheme, "://", *host, raw_base.value_or(""));
  return absl::OkStatus();
}

absl::Status loadVersionKey(const YamlContext& ctx, const YAML::Node& root, ApiSpec& spec) {
  if (root["swagger"]) {
    absl::StatusOr<std::string> version = yamlString(ctx, root["swagger"], "swagger");
    if (!version.ok()) return version.status();
    if (*version != "2.0") {
      return yamlError(ctx, "swagger", absl::StrCat("expected '2.0', got ", quoteValue(*version)));
    }
    spec.kind = ApiSpecKind::Swagger2;
    return absl::OkStatus();
  }
  if (!root["openapi"]) return missingKey(ctx, root, "", "openapi", " (or swagger: '2.0')");
  absl::StatusOr<std::string> version = yamlString(ctx, root["openapi"], "openapi");
  if (!version.ok()) return version.status();
  if (!absl::StartsWith(*version, "3.")) {
    return yamlError(ctx, "openapi", absl::StrCat("expected 3.x, got ", quoteValue(*version)));
  }
  return absl::OkStatus();
}

absl::Status loadInfo(const YamlContext& ctx, const YAML::Node& root, ApiSpec& spec) {
  if (!root["info"]) return missingKey(ctx, root, "", "info");
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, root["info"], "info"));
  absl::StatusOr<std::string> title = requiredString(ctx, root["info"], "info", "title");
  if (!title.ok()) return title.status();
  absl::StatusOr<std::string> version = requiredString(ctx, root["info"], "info", "version");
  if (!version.ok()) return version.status();
  spec.title = *std::move(title);
  spec.version = *std::move(version);
  return absl::OkStatus();
}

}  // namespace

absl::Status missingKey(const YamlContext& ctx, const YAML::Node& map, absl::string_view location,
                        const std::string& key, absl::string_view why) {
  std::string message = absl::StrCat("'", joinLocation(location, key), "' is required", why);
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) continue;
    const std::string& found = entry.first.Scalar();
    if (isPlainKey(found) && !isExtensionName(found) && !closestMatch(found, {key}).empty()) {
      absl::StrAppend(&message, " (found '", found, "': a misspelling?)");
      break;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(ctx.file, ": ", message));
}

absl::StatusOr<std::string> requiredString(const YamlContext& ctx, const YAML::Node& map,
                                           absl::string_view location, const std::string& key) {
  if (!map[key]) return missingKey(ctx, map, location, key);
  absl::StatusOr<std::string> value = yamlString(ctx, map[key], joinLocation(location, key));
  if (value.ok() && value->empty()) {
    return yamlError(ctx, joinLocation(location, key), "must not be empty");
  }
  return value;
}

absl::StatusOr<ApiSpec> loadApiSpec(const YamlContext& ctx, const YAML::Node& root) {
  ApiSpec spec;
  GW_CONF_RETURN_IF_ERROR(loadVersionKey(ctx, root, spec));
  GW_CONF_RETURN_IF_ERROR(loadInfo(ctx, root, spec));
  std::optional<std::string> raw_base;
  if (spec.kind == ApiSpecKind::Swagger2) {
    GW_CONF_RETURN_IF_ERROR(fromSwagger(ctx, root, spec, raw_base));
  } else {
    fromServers(root, spec, raw_base);
  }
  std::string location = spec.kind == ApiSpecKind::Swagger2 ? "basePath" : "servers[0].url";
  if (root["x-wso2-basePath"]) {
    absl::StatusOr<std::string> base = requiredString(ctx, root, "", "x-wso2-basePath");
    if (!base.ok()) return base.status();
    raw_base = *base;
    location = "x-wso2-basePath";
  }
  absl::StatusOr<std::string> base =
      normaliseBasePath(ctx, raw_base.value_or("/"), spec.version, location);
  if (!base.ok()) return base.status();
  spec.base_path = *std::move(base);
  if (spec.base_path == "/" && location != "x-wso2-basePath" && ctx.warnings != nullptr) {
    ctx.warnings->push_back(absl::StrCat(
        ctx.file, ": API '", spec.title, "': no x-wso2-basePath and no path in ", location,
        ": the API is served at '/' (set x-wso2-basePath to give it its own path)"));
  }
  return spec;
}

}  // namespace gw::conf
