#include "conf/endpoint_loader.h"

#include <limits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/advance_endpoint_config.h"
#include "conf/etcd_endpoint.h"
#include "conf/secret.h"
#include "conf/status_macros.h"
#include "conf/url.h"

namespace gw::conf {
namespace {

// How a URL may be shown in an error: quoted, unless it may carry credentials.
std::string shown(absl::string_view url) {
  if (url.find('@') != absl::string_view::npos) return "the URL (not shown: it contains '@')";
  return absl::StrCat("'", url, "'");
}

absl::Status readProxyPassword(const YamlContext& ctx, const YAML::Node& node,
                               const std::string& location, std::string& out) {
  PasswordSources sources;
  const std::pair<const char*, std::optional<std::string>*> keys[] = {
      {"password", &sources.password},
      {"passwordEnv", &sources.password_env},
      {"passwordFile", &sources.password_file}};
  for (const auto& [key, field] : keys) {
    if (!node[key]) continue;
    absl::StatusOr<std::string> value = yamlString(ctx, node[key], joinLocation(location, key));
    if (!value.ok()) return value.status();
    *field = *std::move(value);
  }
  const Environment empty_env;
  absl::StatusOr<std::string> password = resolvePassword(
      sources, ctx.env != nullptr ? *ctx.env : empty_env, ctx.base_dir, [&](absl::string_view key) {
        return absl::StrCat(ctx.file, ": ", key.empty() ? location : joinLocation(location, key));
      });
  if (!password.ok()) return password.status();
  out = *std::move(password);
  return absl::OkStatus();
}

absl::StatusOr<ProxyConfig> loadCustomProxy(const YamlContext& ctx, const YAML::Node& node,
                                            const std::string& location) {
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(
      ctx, node, location,
      {"host", "port", "username", "password", "passwordEnv", "passwordFile", "httpMode"}));
  ProxyConfig proxy;
  proxy.enabled = true;
  proxy.source = absl::StrCat(ctx.file, ": ", location);
  if (!node["host"]) return yamlError(ctx, joinLocation(location, "host"), "is required");
  absl::StatusOr<std::string> host = yamlString(ctx, node["host"], joinLocation(location, "host"));
  if (!host.ok()) return host.status();
  if (host->empty()) return yamlError(ctx, joinLocation(location, "host"), "must not be empty");
  proxy.host = *std::move(host);
  if (node["port"]) {
    absl::StatusOr<int64_t> port =
        yamlInt(ctx, node["port"], joinLocation(location, "port"), 1, 65535);
    if (!port.ok()) return port.status();
    proxy.port = static_cast<uint16_t>(*port);
  }
  if (node["username"]) {
    absl::StatusOr<std::string> user =
        yamlString(ctx, node["username"], joinLocation(location, "username"));
    if (!user.ok()) return user.status();
    proxy.username = *std::move(user);
  }
  if (node["httpMode"]) {
    const std::string mode_location = joinLocation(location, "httpMode");
    absl::StatusOr<std::string> mode = yamlString(ctx, node["httpMode"], mode_location);
    if (!mode.ok()) return mode.status();
    if (*mode != "connect" && *mode != "forward") {
      return yamlError(ctx, mode_location,
                       absl::StrCat("expected connect or forward, got ", quoteValue(*mode)));
    }
    proxy.http_mode = *mode == "connect" ? HttpProxyMode::Connect : HttpProxyMode::Forward;
  }
  GW_CONF_RETURN_IF_ERROR(readProxyPassword(ctx, node, location, proxy.password));
  return proxy;
}

absl::StatusOr<EndpointProxy> loadEndpointProxy(const YamlContext& ctx, const YAML::Node& node,
                                                const std::string& location) {
  EndpointProxy proxy;
  if (node.IsScalar()) {
    if (node.Scalar() == "global") return proxy;
    if (node.Scalar() == "none") {
      proxy.mode = EndpointProxy::Mode::None;
      return proxy;
    }
    return yamlError(ctx, location,
                     "expected 'none', 'global' or a map {host, port, username, password, ...}");
  }
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  absl::StatusOr<ProxyConfig> custom = loadCustomProxy(ctx, node, location);
  if (!custom.ok()) return custom.status();
  proxy.mode = EndpointProxy::Mode::Custom;
  proxy.custom = *std::move(custom);
  return proxy;
}

absl::Status loadUrls(const YamlContext& ctx, const YAML::Node& node, const std::string& location,
                      std::vector<EndpointUrl>& out) {
  const std::string urls_location = joinLocation(location, "urls");
  if (!node["urls"]) return yamlError(ctx, urls_location, "is required");
  absl::StatusOr<std::vector<std::string>> urls = yamlStringList(ctx, node["urls"], urls_location);
  if (!urls.ok()) return urls.status();
  if (urls->empty()) return yamlError(ctx, urls_location, "must list at least one URL");
  for (size_t i = 0; i < urls->size(); ++i) {
    absl::StatusOr<EndpointUrl> url =
        parseEndpointUrl(ctx, (*urls)[i], absl::StrCat(urls_location, "[", i, "]"));
    if (!url.ok()) return url.status();
    out.push_back(*std::move(url));
  }
  return absl::OkStatus();
}

// securityConfig: {type: basic, username, password | passwordEnv | passwordFile}.
absl::StatusOr<EndpointSecurity> loadEndpointSecurity(const YamlContext& ctx,
                                                      const YAML::Node& node,
                                                      const std::string& location) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(
      ctx, node, location, {"type", "username", "password", "passwordEnv", "passwordFile"}));
  EndpointSecurity security;
  const std::string type_location = joinLocation(location, "type");
  if (!node["type"]) return yamlError(ctx, type_location, "is required (basic)");
  absl::StatusOr<std::string> type = yamlString(ctx, node["type"], type_location);
  if (!type.ok()) return type.status();
  if (!absl::EqualsIgnoreCase(*type, "basic")) {
    return yamlError(ctx, type_location,
                     absl::StrCat("expected basic, got ", quoteValue(*type),
                                  " (microgw sends only Basic credentials to backends)"));
  }
  const std::string user_location = joinLocation(location, "username");
  if (!node["username"]) return yamlError(ctx, user_location, "is required");
  absl::StatusOr<std::string> user = yamlString(ctx, node["username"], user_location);
  if (!user.ok()) return user.status();
  if (user->empty() || user->find(':') != std::string::npos) {
    return yamlError(ctx, user_location, "must be non-empty and without ':' (Basic credentials)");
  }
  std::string password;
  GW_CONF_RETURN_IF_ERROR(readProxyPassword(ctx, node, location, password));
  security.username = *user;
  security.authorization =
      absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(*user, ":", password)));
  return security;
}

absl::Status loadEndpointType(const YamlContext& ctx, const YAML::Node& node,
                              const std::string& location, EndpointConfig& endpoint) {
  const std::string type_location = joinLocation(location, "type");
  absl::StatusOr<std::string> type = yamlString(ctx, node, type_location);
  if (!type.ok()) return type.status();
  if (*type == "failover") {
    endpoint.type = EndpointType::Failover;
  } else if (*type == "http" || *type == "address") {
    // WSO2's single-URL endpoint: it calls the first URL only.
    if (endpoint.urls.size() > 1 && ctx.warnings != nullptr) {
      ctx.warnings->push_back(absl::StrCat(ctx.file, ": ", type_location, ": type ", *type,
                                           " calls the first of its ", endpoint.urls.size(),
                                           " URLs only (use load_balance or failover for more)"));
    }
    endpoint.urls.resize(1);
  } else if (*type != "load_balance") {
    return yamlError(
        ctx, type_location,
        absl::StrCat("expected load_balance, failover, http or address, got ", quoteValue(*type)));
  }
  return absl::OkStatus();
}

// microgw extension `http2: prior-knowledge | off`: HTTP/2 without
// negotiation (h2c) to the endpoint's http:// URLs.
absl::Status loadHttp2(const YamlContext& ctx, const YAML::Node& node, const std::string& location,
                       EndpointConfig& endpoint) {
  absl::StatusOr<std::string> mode = yamlString(ctx, node, location);
  if (!mode.ok()) return mode.status();
  if (*mode == "off") return absl::OkStatus();
  if (*mode != "prior-knowledge") {
    return yamlError(ctx, location,
                     absl::StrCat("expected prior-knowledge or off, got ", quoteValue(*mode)));
  }
  for (size_t i = 0; i < endpoint.urls.size(); ++i) {
    if (endpoint.urls[i].scheme != "http") {
      return yamlError(
          ctx, location,
          absl::StrCat("prior-knowledge is HTTP/2 over plain TCP (h2c), but urls[", i, "] is ",
                       shown(endpoint.urls[i].url),
                       ": https backends get HTTP/2 only when TLS (ALPN) chooses it; drop http2 "
                       "or use http:// URLs"));
    }
  }
  endpoint.http2_prior_knowledge = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EndpointUrl> parseEndpointUrl(const YamlContext& ctx, absl::string_view url,
                                             absl::string_view location) {
  if (isEtcdEndpoint(url)) return parseEtcdEndpoint(ctx, url, location);  // service discovery
  absl::StatusOr<ParsedUrl> parsed = parseUrl(url);
  if (!parsed.ok()) {
    return yamlError(ctx, location,
                     absl::StrCat(shown(url), " is not a valid URL: ", parsed.status().message()));
  }
  if (parsed->scheme.empty()) {
    return yamlError(ctx, location,
                     absl::StrCat(shown(url), " has no scheme (expected http:// or https://)"));
  }
  if (parsed->scheme != "http" && parsed->scheme != "https") {
    return yamlError(ctx, location,
                     absl::StrCat(shown(url), " has unsupported scheme '", parsed->scheme,
                                  "' (expected http or https)"));
  }
  if (parsed->has_userinfo) {
    return yamlError(ctx, location, "credentials in endpoint URLs are not supported");
  }
  if (parsed->has_fragment) {
    return yamlError(ctx, location, absl::StrCat(shown(url), " must not have a fragment ('#')"));
  }
  // A query is kept and sent before the request's own, as WSO2 does.
  for (char c : parsed->query) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return yamlError(ctx, location,
                       absl::StrCat(shown(url),
                                    " has a blank or non-ASCII byte in its query: "
                                    "percent-encode it"));
    }
  }
  EndpointUrl out;
  out.url = std::string(url);
  out.scheme = parsed->scheme;
  out.host = parsed->host;
  out.port = parsed->port.value_or(parsed->scheme == "https" ? 443 : 80);
  out.base_path = parsed->path;
  out.query = parsed->query;
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

absl::StatusOr<EndpointConfig> loadEndpoint(const YamlContext& ctx, const YAML::Node& node,
                                            const std::string& location) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, location));
  GW_CONF_RETURN_IF_ERROR(
      checkYamlKeys(ctx, node, location,
                    {"urls", "type", "advanceEndpointConfig", "proxy", "securityConfig", "http2"}));
  EndpointConfig endpoint;
  GW_CONF_RETURN_IF_ERROR(loadUrls(ctx, node, location, endpoint.urls));
  if (node["type"])
    GW_CONF_RETURN_IF_ERROR(loadEndpointType(ctx, node["type"], location, endpoint));
  if (node["securityConfig"]) {
    absl::StatusOr<EndpointSecurity> security =
        loadEndpointSecurity(ctx, node["securityConfig"], joinLocation(location, "securityConfig"));
    if (!security.ok()) return security.status();
    endpoint.security = *std::move(security);
  }
  if (node["advanceEndpointConfig"]) {
    GW_CONF_RETURN_IF_ERROR(
        loadAdvanceEndpointConfig(ctx, node["advanceEndpointConfig"],
                                  joinLocation(location, "advanceEndpointConfig"), endpoint));
  }
  if (node["http2"]) {
    GW_CONF_RETURN_IF_ERROR(
        loadHttp2(ctx, node["http2"], joinLocation(location, "http2"), endpoint));
  }
  if (node["proxy"]) {
    absl::StatusOr<EndpointProxy> proxy =
        loadEndpointProxy(ctx, node["proxy"], joinLocation(location, "proxy"));
    if (!proxy.ok()) return proxy.status();
    endpoint.proxy = *std::move(proxy);
  }
  return endpoint;
}

}  // namespace gw::conf
