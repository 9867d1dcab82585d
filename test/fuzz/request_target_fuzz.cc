// Fuzzes request-target normalisation (gateway/http/request_target.h) and
// route matching (gateway/router/route_table.h) on a small fixed table.
//
// Input layout: byte 0 picks the method, the rest is the request target.
//
// Invariants (a violation is __builtin_trap()):
//  - an accepted target starts with '/', and no segment of its path is ".",
//    "..", or one of those with its dots percent-encoded; it has no NUL;
//  - match() never crashes, on accepted and rejected targets alike;
//  - for an accepted target, a Matched or MethodNotAllowed result has an
//    upstream_path starting with '/', and the API's basePath is a
//    whole-segment prefix of the path.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "gateway/http/request_target.h"
#include "gateway/router/route_table.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::router::RouteMatch;
using gw::router::RouteTable;

gw::conf::ApiDefinition api(std::string title, std::string base_path,
                            std::vector<std::pair<std::string, std::string>> ops) {
  gw::conf::ApiDefinition a;
  a.file = title + ".yaml";
  a.title = std::move(title);
  a.base_path = std::move(base_path);
  for (auto& [method, path] : ops) {
    gw::conf::Operation op;
    op.method = method;
    op.path_template = path;
    a.operations.push_back(std::move(op));
  }
  return a;
}

const RouteTable& table() {
  static const std::shared_ptr<const RouteTable> t = [] {
    std::vector<gw::conf::ApiDefinition> apis;
    apis.push_back(api("petstore", "/petstore/v1",
                       {{"GET", "/pets"},
                        {"POST", "/pets"},
                        {"GET", "/pets/{petId}"},
                        {"DELETE", "/pets/{petId}"},
                        {"GET", "/pets/mine"},
                        {"GET", "/"}}));
    apis.push_back(api("petstore-root", "/petstore", {{"GET", "/{any}"}, {"PUT", "/a/{b}/c"}}));
    apis.push_back(api("shop", "/shop/v2/items", {{"GET", "/{id}/reviews/{rid}"}, {"GET", "//x"}}));
    apis.push_back(api("misc", "/m", {{"GET", "/"}, {"HEAD", "/{x}"}, {"OPTIONS", "/a/"}}));
    auto built = RouteTable::build(std::move(apis));
    if (!built.ok()) __builtin_trap();
    return *std::move(built);
  }();
  return *t;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Independent of request_target.cc: percent-decodes the segment and compares.
bool isDotSegment(std::string_view seg) {
  std::string decoded;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '%' && i + 2 < seg.size() && hexValue(seg[i + 1]) >= 0 &&
        hexValue(seg[i + 2]) >= 0) {
      char c = static_cast<char>(hexValue(seg[i + 1]) * 16 + hexValue(seg[i + 2]));
      if (c != '.') return false;  // only encoded dots make a dot-segment
      decoded += c;
      i += 2;
    } else {
      decoded += seg[i];
    }
  }
  return decoded == "." || decoded == "..";
}

void checkAccepted(const std::string& target) {
  FUZZ_CHECK(!target.empty() && target[0] == '/');
  FUZZ_CHECK(target.find('\0') == std::string::npos);
  std::string_view path = std::string_view(target).substr(0, target.find('?'));
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    FUZZ_CHECK(!isDotSegment(path.substr(start, end - start)));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", ""};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string method = kMethods[data[0] % 8];
  std::string target(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string raw = target;

  table().match(method, raw);  // must not crash, whatever the connection manager does first

  absl::Status status = gw::http::normalizeRequestTarget(target);
  if (!status.ok()) {
    FUZZ_CHECK(!status.message().empty());
    return 0;
  }
  checkAccepted(target);

  // Idempotent: an accepted, normalised target stays as it is.
  std::string again = target;
  FUZZ_CHECK(gw::http::normalizeRequestTarget(again).ok());
  FUZZ_CHECK(again == target);

  RouteMatch m = table().match(method, target);
  if (m.result == RouteMatch::Result::NoApi) {
    FUZZ_CHECK(m.api == nullptr && m.operation == nullptr);
    return 0;
  }
  FUZZ_CHECK(m.api != nullptr);
  FUZZ_CHECK(!m.upstream_path.empty() && m.upstream_path[0] == '/');
  const std::string& base = m.api->api().base_path;
  std::string_view path = std::string_view(target).substr(0, target.find('?'));
  FUZZ_CHECK(path.substr(0, base.size()) == base);
  FUZZ_CHECK(path.size() == base.size() || path[base.size()] == '/');
  if (m.result == RouteMatch::Result::Matched) {
    FUZZ_CHECK(m.operation != nullptr && m.operation->method == method);
  } else {
    FUZZ_CHECK(m.operation == nullptr && !m.allowed_methods.empty());
  }
  return 0;
}
