// Fuzzes NO_PROXY matching (proxy_connector/no_proxy.h).
//
// Input layout: bytes 0-1 the port (big-endian), then "<list>\n<host>".
//
// Invariants (a violation is __builtin_trap()):
//  - parse() and matches() never crash; the same matcher through the
//    constructor (one entry per list item) answers the same;
//  - "*" in the list matches every host;
//  - matching ignores ASCII case, surrounding whitespace and one trailing dot
//    of a name; an IPv6 literal matches with or without brackets;
//  - a list of one plain DNS name ([a-z0-9-] labels) matches that name and
//    its subdomains, on any port.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy_connector/no_proxy.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::proxy::NoProxyMatcher;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool isPlainName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.front() == '-') return false;
  bool has_letter = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') {
      has_letter = true;
    } else if (!((c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return false;
    }
    if (c == '.' && i > 0 && s[i - 1] == '.') return false;
  }
  return has_letter;  // not an IPv4 literal
}

std::vector<std::string> split(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find_first_of(",| \t\r\n", start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start) out.emplace_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint16_t port = static_cast<uint16_t>((data[0] << 8) | data[1]);
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t nl = rest.find('\n');
  std::string_view list = rest.substr(0, nl);
  std::string_view host = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  const NoProxyMatcher m = NoProxyMatcher::parse(list);
  const bool direct = m.matches(host, port);

  const NoProxyMatcher from_entries(split(list));
  FUZZ_CHECK(from_entries.matches(host, port) == direct);
  FUZZ_CHECK(from_entries.empty() == m.empty());
  FUZZ_CHECK(from_entries.invalid() == m.invalid());

  if (m.empty()) FUZZ_CHECK(!direct);
  if (list.find('*') != std::string_view::npos) {
    for (const std::string& e : split(list)) {
      if (e == "*") FUZZ_CHECK(direct);
    }
  }
  FUZZ_CHECK(m.matches(upper(host), port) == direct);
  FUZZ_CHECK(m.matches(" " + std::string(host) + "\t", port) == direct);
  if (host.find(':') != std::string_view::npos && host.front() != '[' &&
      host.find_first_of(" \t\n\v\f\r") == std::string_view::npos) {
    FUZZ_CHECK(m.matches("[" + std::string(host) + "]", port) == direct);
  }

  if (isPlainName(list)) {
    FUZZ_CHECK(m.matches(list, port));
    FUZZ_CHECK(m.matches(upper(list) + ".", port));
    FUZZ_CHECK(m.matches("sub." + std::string(list), port));
    FUZZ_CHECK(!m.matches("x" + std::string(list), port) || list.front() == '.');
  }
  return 0;
}
