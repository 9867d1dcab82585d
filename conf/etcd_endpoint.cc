#include "conf/etcd_endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/endpoint_loader.h"

namespace gw::conf {
namespace {

constexpr char kForm[] =
    "expected etcd(<key>, <defaultUrl>), e.g. etcd(petstore, http://10.0.0.5:8080/v1)";

// "API 'Pets': " when the API is known.
std::string apiPrefix(const YamlContext& ctx) {
  return ctx.api.empty() ? std::string() : absl::StrCat(ctx.api, ": ");
}

// A key is no secret: quoted unless it is long or spans lines.
std::string shownKey(absl::string_view key) {
  if (key.size() > 64 || key.find_first_of("\r\n") != absl::string_view::npos) {
    return absl::StrCat("of ", key.size(), " characters");
  }
  return absl::StrCat("'", key, "'");
}

bool validKey(absl::string_view key) {
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == '"' || c == '\'') return false;
  }
  return true;
}

}  // namespace

bool isEtcdEndpoint(absl::string_view text) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(text);
  if (!absl::StartsWithIgnoreCase(t, "etcd")) return false;
  t = absl::StripLeadingAsciiWhitespace(t.substr(4));
  return !t.empty() && t.front() == '(';
}

absl::StatusOr<EndpointUrl> parseEtcdEndpoint(const YamlContext& ctx, absl::string_view text,
                                              absl::string_view location) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  const size_t open = t.find('(');
  if (t.back() != ')') {
    return yamlError(ctx, location,
                     absl::StrCat(apiPrefix(ctx), "etcd(...) is not closed with ')'; ", kForm));
  }
  absl::string_view inner = t.substr(open + 1, t.size() - open - 2);
  const size_t comma = inner.find(',');
  absl::string_view key = absl::StripAsciiWhitespace(inner.substr(0, comma));
  if (key.empty()) {
    return yamlError(ctx, location, absl::StrCat(apiPrefix(ctx), "etcd(...) has no key; ", kForm));
  }
  if (!validKey(key) || key.size() > 1024) {
    return yamlError(ctx, location,
                     absl::StrCat(apiPrefix(ctx), "etcd key ", shownKey(key),
                                  " must not contain blanks, quotes, '(' or ')'; ", kForm));
  }
  if (comma == absl::string_view::npos) {
    return yamlError(ctx, location,
                     absl::StrCat(apiPrefix(ctx), "etcd key '", key,
                                  "' has no default URL (used until etcd answers); ", kForm));
  }
  absl::string_view fallback = absl::StripAsciiWhitespace(inner.substr(comma + 1));
  if (isEtcdEndpoint(fallback)) {
    return yamlError(ctx, location,
                     absl::StrCat(apiPrefix(ctx), "etcd key '", key,
                                  "': the default URL must be a plain http(s) URL"));
  }
  if (fallback.empty() || fallback.find(',') != absl::string_view::npos) {
    return yamlError(
        ctx, location,
        absl::StrCat(apiPrefix(ctx), "etcd key '", key, "': ",
                     fallback.empty() ? "the default URL is empty" : "more than two arguments",
                     "; ", kForm));
  }
  absl::StatusOr<EndpointUrl> url = parseEndpointUrl(
      ctx, fallback,
      absl::StrCat(location, ": ", apiPrefix(ctx), "etcd key '", key, "' default URL"));
  if (!url.ok()) return url.status();
  url->etcd_key = std::string(key);
  return url;
}

absl::StatusOr<EndpointUrl> parseDiscoveredUrl(absl::string_view key, absl::string_view value) {
  const std::string where = absl::StrCat("etcd key '", key, "'");
  absl::string_view v = absl::StripAsciiWhitespace(value);
  if (v.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": the value is empty"));
  if (isEtcdEndpoint(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the value must be a plain http(s) URL, not etcd(...)"));
  }
  return parseEndpointUrl(YamlContext{}, v, where);
}

}  // namespace gw::conf
