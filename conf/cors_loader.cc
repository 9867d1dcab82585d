#include "conf/cors_loader.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "conf/status_macros.h"

namespace gw::conf {
namespace {

// The camelCase names; snake_case and kebab-case forms are derived from them.
constexpr const char* kEnabled = "corsConfigurationEnabled";
constexpr const char* kOrigins = "accessControlAllowOrigins";
constexpr const char* kMethods = "accessControlAllowMethods";
constexpr const char* kHeaders = "accessControlAllowHeaders";
constexpr const char* kExpose = "accessControlExposeHeaders";
constexpr const char* kCredentials = "accessControlAllowCredentials";
constexpr const char* kKeys[] = {kEnabled, kOrigins, kMethods, kHeaders, kExpose, kCredentials};

// "accessControlAllowOrigins" -> "access<sep>control<sep>allow<sep>origins".
std::string spelledWith(const char* camel, char separator) {
  std::string out;
  for (const char* c = camel; *c != '\0'; ++c) {
    if (absl::ascii_isupper(*c)) {
      out.push_back(separator);
      out.push_back(absl::ascii_tolower(*c));
    } else {
      out.push_back(*c);
    }
  }
  return out;
}

std::vector<std::string> spellings(const char* camel) {
  return {camel, spelledWith(camel, '_'), spelledWith(camel, '-')};
}

// The one spelling of `camel` present in `node` ("" when none); two present is an error.
absl::StatusOr<std::string> presentSpelling(const YamlContext& ctx, const YAML::Node& node,
                                            const char* camel) {
  std::string found;
  for (const std::string& name : spellings(camel)) {
    if (!node[name]) continue;
    if (!found.empty()) {
      return yamlError(ctx, kCorsExtension,
                       absl::StrCat("'", found, "' and '", name,
                                    "' are the same key in two spellings; keep one"));
    }
    found = name;
  }
  return found;
}

bool isTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// Why `value` is not a serialised origin ("" when it is one): scheme "://" host [":" port].
std::string originProblem(const std::string& value) {
  if (value == "null") {
    return "is sent by sandboxed pages and local files, so any page can claim it; "
           "list real origins";
  }
  const size_t sep = value.find("://");
  if (sep == std::string::npos || sep == 0) {
    return "is not an origin: write scheme://host[:port] (e.g. 'https://app.example.com'), "
           "or '*' for any origin";
  }
  const std::string scheme = value.substr(0, sep);
  if (!absl::ascii_isalpha(scheme[0]) || !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
      })) {
    return "has an invalid scheme: write scheme://host[:port]";
  }
  std::string rest = value.substr(sep + 3);
  if (rest.find('*') != std::string::npos) {
    return "has a wildcard: only '*' alone (any origin) is supported; list each origin";
  }
  if (rest.find_first_of("/?#") != std::string::npos) {
    return "has a path, query or trailing '/': an origin is only scheme://host[:port]";
  }
  if (rest.find('@') != std::string::npos)
    return "has user information: write scheme://host[:port]";
  const size_t colon = rest.rfind(':');
  const bool bracketed = !rest.empty() && rest.front() == '[';
  if (colon != std::string::npos && (!bracketed || colon > rest.find(']'))) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) || std::stoi(port) > 65535) {
      return "has an invalid port";
    }
    rest.resize(colon);
  }
  if (rest.empty()) return "has no host";
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && std::string_view("-._~[]:%").find(c) == std::string_view::npos) {
      return "has a character that is not allowed in a host name";
    }
  }
  return "";
}

// One list key: strings, each checked by `check` ("" = fine) and normalised by `normalise`.
template <typename Check, typename Normalise>
absl::Status loadList(const YamlContext& ctx, const YAML::Node& node, const std::string& key,
                      std::vector<std::string>& out, Check check, Normalise normalise) {
  const std::string location = joinLocation(kCorsExtension, key);
  absl::StatusOr<std::vector<std::string>> values = yamlStringList(ctx, node[key], location);
  if (!values.ok()) return values.status();
  out.clear();
  for (size_t i = 0; i < values->size(); ++i) {
    const absl::string_view stripped = absl::StripAsciiWhitespace((*values)[i]);
    std::string value(stripped.data(), stripped.size());
    if (value.find_first_of(" \t\r\n") != std::string::npos) {
      return yamlError(ctx, absl::StrCat(location, "[", i, "]"),
                       "holds blanks: write one value per list entry");
    }
    const std::string problem = check(value);
    if (!problem.empty()) {
      return yamlError(ctx, absl::StrCat(location, "[", i, "]"),
                       absl::StrCat(quoteValue(value), " ", problem));
    }
    value = normalise(std::move(value));
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
  }
  return absl::OkStatus();
}

std::string tokenProblem(const std::string& value) {
  if (value.empty()) return "is empty";
  return isToken(value) ? "" : "is not a valid name (letters, digits and !#$%&'*+-.^_`|~ only)";
}

absl::Status loadCorsChecked(const YamlContext& ctx, const YAML::Node& node, CorsConfig& cors) {
  GW_CONF_RETURN_IF_ERROR(requireMap(ctx, node, kCorsExtension));
  std::vector<std::string> known;
  for (const char* key : kKeys) {
    for (std::string& name : spellings(key)) known.push_back(std::move(name));
  }
  GW_CONF_RETURN_IF_ERROR(checkYamlKeys(ctx, node, kCorsExtension, known));
  cors = CorsConfig();
  cors.enabled = true;
  cors.allow_origins = {"*"};
  cors.allow_methods = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"};
  cors.allow_headers = {"authorization", "Access-Control-Allow-Origin", "Content-Type",
                        "SOAPAction", "apikey"};
  const std::pair<const char*, bool*> flags[] = {{kEnabled, &cors.enabled},
                                                 {kCredentials, &cors.allow_credentials}};
  for (const auto& [camel, field] : flags) {
    absl::StatusOr<std::string> key = presentSpelling(ctx, node, camel);
    if (!key.ok()) return key.status();
    if (key->empty()) continue;
    absl::StatusOr<bool> value = yamlBool(ctx, node[*key], joinLocation(kCorsExtension, *key));
    if (!value.ok()) return value.status();
    *field = *value;
  }
  auto lower = [](std::string s) { return absl::AsciiStrToLower(s); };
  auto upper = [](std::string s) { return absl::AsciiStrToUpper(s); };
  auto same = [](std::string s) { return s; };
  auto origin = [](const std::string& s) { return s == "*" ? std::string() : originProblem(s); };
  struct ListKey {
    const char* camel;
    std::vector<std::string>* field;
    bool origins;
    bool methods;
  };
  const ListKey lists[] = {{kOrigins, &cors.allow_origins, true, false},
                           {kMethods, &cors.allow_methods, false, true},
                           {kHeaders, &cors.allow_headers, false, false},
                           {kExpose, &cors.expose_headers, false, false}};
  for (const ListKey& list : lists) {
    absl::StatusOr<std::string> key = presentSpelling(ctx, node, list.camel);
    if (!key.ok()) return key.status();
    if (key->empty()) continue;
    absl::Status loaded = list.origins ? loadList(ctx, node, *key, *list.field, origin, lower)
                          : list.methods
                              ? loadList(ctx, node, *key, *list.field, tokenProblem, upper)
                              : loadList(ctx, node, *key, *list.field, tokenProblem, same);
    GW_CONF_RETURN_IF_ERROR(loaded);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status loadCors(const YamlContext& ctx, const YAML::Node& node, const std::string& api_title,
                      CorsConfig& cors) {
  YamlContext named = ctx;
  named.file = absl::StrCat(ctx.file, " (API '", api_title, "')");
  return loadCorsChecked(named, node, cors);
}

absl::Status corsOnOperationError(const YamlContext& ctx, const std::string& location,
                                  const std::string& api_title) {
  return yamlError(ctx, joinLocation(location, kCorsExtension),
                   absl::StrCat("API '", api_title,
                                "': x-wso2-cors applies to a whole API (as in WSO2 3.2); move it "
                                "to the top level of the definition"));
}

}  // namespace gw::conf
