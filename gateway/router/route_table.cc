#include "gateway/router/route_table.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/str_join.h"
#include "gateway/common/strcat.h"

namespace gw::router {
namespace {

bool isTemplate(std::string_view seg) {
  return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
}

// Whether `base` is a whole-segment prefix of `path` ("/a" matches "/a", "/a/b", not "/ab").
bool basePathMatches(std::string_view base, std::string_view path) {
  if (base.empty() || base == "/") return true;
  if (path.substr(0, base.size()) != base) return false;
  return path.size() == base.size() || path[base.size()] == '/';
}

bool segmentsMatch(const std::vector<std::string>& tmpl,
                   const std::vector<std::string_view>& segs) {
  if (tmpl.size() != segs.size()) return false;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (isTemplate(tmpl[i])) {
      // A parameter is a value: never empty, never only a ";param" (which
      // Tomcat and Spring read as empty), never a fragment.
      std::string_view value = segs[i].substr(0, segs[i].find_first_of(";#"));
      if (value.empty()) return false;
    } else if (tmpl[i] != segs[i]) {
      return false;
    }
  }
  return true;
}

// For a 405: the methods of the operations whose path matches, sorted, "GET, POST".
std::string allowedMethods(const ApiRoute& api, const std::vector<std::string_view>& segs) {
  std::vector<std::string_view> allowed;
  for (const auto& op : api.operations()) {
    if (!segmentsMatch(op.segments, segs)) continue;
    if (std::find(allowed.begin(), allowed.end(), op.operation->method) == allowed.end()) {
      allowed.emplace_back(op.operation->method);
    }
  }
  std::sort(allowed.begin(), allowed.end());
  std::string out;
  for (std::string_view m : allowed) gw::catAppend(&out, out.empty() ? "" : ", ", m);
  return out;
}

}  // namespace

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return out;
  out.reserve(std::count(path.begin(), path.end(), '/') + 1);
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

ApiRoute::ApiRoute(conf::ApiDefinition api) : api_(std::move(api)) {
  for (const conf::Operation& op : api_.operations) {
    CompiledOperation c;
    c.operation = &op;
    for (std::string_view s : splitPath(op.path_template)) {
      c.segments.emplace_back(s);
      if (!isTemplate(s)) ++c.literal_count;
    }
    operations_.push_back(std::move(c));
  }
}

const conf::EndpointConfig& RouteMatch::endpoint() const {
  if (operation != nullptr && operation->endpoint) return *operation->endpoint;
  return api->api().production;
}

const conf::EndpointConfig* RouteMatch::endpointsFor(bool sandbox) const {
  const conf::ApiDefinition& def = api->api();
  const conf::EndpointConfig* ep = nullptr;
  if (sandbox) {
    if (operation != nullptr && operation->sandbox) {
      ep = &*operation->sandbox;
    } else if (def.sandbox) {
      ep = &*def.sandbox;
    }
  } else {
    ep = &endpoint();
  }
  return ep == nullptr || ep->urls.empty() ? nullptr : ep;
}

bool isSandboxKey(std::string_view key_type) {
  constexpr std::string_view kSandbox = "sandbox";
  return key_type.size() == kSandbox.size() &&
         std::equal(key_type.begin(), key_type.end(), kSandbox.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bool RouteMatch::disableSecurity() const {
  if (operation != nullptr) return operation->disable_security;
  return api != nullptr && api->api().disable_security;
}

const std::string& RouteMatch::apiName() const {
  static const std::string kNone;
  return api == nullptr ? kNone : api->api().title;
}

std::string describeSecurity(const conf::Operation& op) {
  if (op.disable_security) return "open";
  std::vector<std::string> types;
  if (op.security.oauth2) types.push_back("oauth2 (JWT)");
  if (op.security.api_key) types.push_back("api_key (not implemented: refused)");
  std::string out = absl::StrJoin(types, ", ");
  if (!op.security.scopes.empty()) {
    out += gw::cat(" scopes: ", absl::StrJoin(op.security.scopes, " | "));
  }
  return out;
}

std::string describeApiSecurity(const conf::ApiDefinition& api) {
  std::map<std::string, std::vector<std::string>> by_security;
  for (const conf::Operation& op : api.operations) {
    by_security[describeSecurity(op)].push_back(gw::cat(op.method, " ", op.path_template));
  }
  if (by_security.empty()) return "no resources";
  if (by_security.size() == 1) return gw::cat(by_security.begin()->first, " on every resource");
  std::vector<std::string> parts;
  for (const auto& [security, ops] : by_security) {
    parts.push_back(gw::cat(security, ": ", absl::StrJoin(ops, ", ")));
  }
  return absl::StrJoin(parts, "; ");
}

absl::StatusOr<std::shared_ptr<const RouteTable>> RouteTable::build(
    std::vector<conf::ApiDefinition> apis) {
  auto table = std::make_shared<RouteTable>();
  for (conf::ApiDefinition& api : apis) {
    for (const auto& existing : table->apis_) {
      if (existing->api().base_path == api.base_path) {
        return absl::InvalidArgumentError(
            gw::cat("APIs in ", existing->api().file, " and ", api.file, " share x-wso2-basePath '",
                    api.base_path, "': each API needs its own basePath"));
      }
    }
    table->apis_.push_back(std::make_unique<ApiRoute>(std::move(api)));
  }
  std::stable_sort(table->apis_.begin(), table->apis_.end(), [](const auto& a, const auto& b) {
    return a->api().base_path.size() > b->api().base_path.size();
  });
  return std::shared_ptr<const RouteTable>(std::move(table));
}

RouteMatch RouteTable::match(std::string_view method, std::string_view full_path) const {
  RouteMatch m;
  std::string_view path = full_path.substr(0, full_path.find('?'));
  std::string_view query =
      full_path.find('?') == std::string_view::npos ? "" : full_path.substr(full_path.find('?'));
  for (const auto& api : apis_) {
    const std::string& base = api->api().base_path;
    if (!basePathMatches(base, path)) continue;
    std::string_view rest = base == "/" ? path : path.substr(base.size());
    std::vector<std::string_view> segs = splitPath(rest);
    const ApiRoute::CompiledOperation* best = nullptr;
    bool path_matched = false;
    for (const auto& op : api->operations()) {
      if (!segmentsMatch(op.segments, segs)) continue;
      path_matched = true;
      if (op.operation->method != method) continue;
      if (best == nullptr || op.literal_count > best->literal_count) best = &op;
    }
    if (!path_matched) continue;  // maybe a shorter basePath matches
    m.api = api.get();
    m.upstream_path = gw::cat(rest.empty() ? std::string_view("/") : rest, query);
    if (best == nullptr) {
      m.result = RouteMatch::Result::MethodNotAllowed;
      m.allowed_methods = allowedMethods(*api, segs);
      return m;
    }
    m.result = RouteMatch::Result::Matched;
    m.operation = best->operation;
    return m;
  }
  return m;
}

}  // namespace gw::router
