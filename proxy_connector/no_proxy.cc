#include "proxy_connector/no_proxy.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace gw::proxy {
namespace {

// (Debian's Abseil uses its own string_view, not std::string_view, so these
// small helpers stay local.)
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parseUint(std::string_view s, uint32_t max, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Parses an IPv4 or IPv6 literal into `addr`; returns the family or 0.
int parseIp(std::string_view text, unsigned char* addr) {
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), addr) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s.c_str(), addr) == 1) return AF_INET6;
  return 0;
}

bool parsePort(std::string_view text, uint16_t* port) {
  uint32_t v = 0;
  if (!parseUint(text, 65535, &v) || v == 0) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool prefixEqual(const unsigned char* a, const unsigned char* b, int bits) {
  const int bytes = bits / 8;
  if (std::memcmp(a, b, bytes) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

// Splits "host:port", "[v6]:port", "[v6]", "v6" or "v6/len" into host and port text.
bool splitHostPort(std::string_view s, std::string_view* host, std::string_view* port) {
  *port = {};
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    *host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    *port = rest.substr(1);
    return true;
  }
  const size_t first = s.find(':');
  if (first != std::string_view::npos && s.find(':', first + 1) == std::string_view::npos) {
    *host = s.substr(0, first);
    *port = s.substr(first + 1);
    return true;
  }
  *host = s;  // no colon, or a bare IPv6 literal (no port possible)
  return true;
}

}  // namespace

NoProxyMatcher::NoProxyMatcher(const std::vector<std::string>& entries) {
  for (const std::string& e : entries) add(e);
}

NoProxyMatcher NoProxyMatcher::parse(std::string_view list) {
  NoProxyMatcher m;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find_first_of(",| \t\r\n", start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start) m.add(list.substr(start, end - start));
    start = end + 1;
  }
  return m;
}

void NoProxyMatcher::add(std::string_view raw) {
  const std::string s = lower(trim(raw));
  if (s.empty()) return;
  if (s == "*") {
    match_all_ = true;
    return;
  }
  // "[2001:db8::]/32": bracketed CIDR; strip the brackets.
  std::string text = s;
  if (text.front() == '[' && text.find("]/") != std::string::npos) {
    text.erase(text.find("]/"), 1);
    text.erase(0, 1);
  }
  std::string_view host, port_text;
  Entry e;
  if (!splitHostPort(text, &host, &port_text) ||
      (!port_text.empty() && !parsePort(port_text, &e.port))) {
    invalid_.push_back(s);
    return;
  }
  const size_t slash = host.find('/');
  if (slash != std::string_view::npos) {
    e.kind = Entry::Kind::Cidr;
    e.family = parseIp(host.substr(0, slash), e.addr);
    const int max_len = e.family == AF_INET ? 32 : 128;
    uint32_t len = 0;
    if (e.family == 0 || !parseUint(host.substr(slash + 1), max_len, &len)) {
      invalid_.push_back(s);
      return;
    }
    e.prefix_len = static_cast<int>(len);
  } else if ((e.family = parseIp(host, e.addr)) != 0) {
    e.kind = Entry::Kind::Ip;
  } else {
    std::string_view d = host;
    if (startsWith(d, "*.")) d.remove_prefix(1);
    while (!d.empty() && d.front() == '.') d.remove_prefix(1);
    while (!d.empty() && d.back() == '.') d.remove_suffix(1);
    if (d.empty() || d.find_first_of("*/[]") != std::string_view::npos) {
      invalid_.push_back(s);
      return;
    }
    e.domain = std::string(d);
  }
  entries_.push_back(std::move(e));
}

bool NoProxyMatcher::matchesEntry(const Entry& e, std::string_view host, int family,
                                  const unsigned char* addr) const {
  switch (e.kind) {
    case Entry::Kind::Domain:
      if (family != 0) return false;
      return host == e.domain || (host.size() > e.domain.size() &&
                                  host.substr(host.size() - e.domain.size()) == e.domain &&
                                  host[host.size() - e.domain.size() - 1] == '.');
    case Entry::Kind::Ip:
      return family == e.family && std::memcmp(addr, e.addr, family == AF_INET ? 4 : 16) == 0;
    case Entry::Kind::Cidr:
      return family == e.family && prefixEqual(addr, e.addr, e.prefix_len);
  }
  return false;
}

bool NoProxyMatcher::matches(std::string_view host_in, uint16_t port) const {
  if (match_all_) return true;
  if (entries_.empty()) return false;
  std::string host = lower(trim(host_in));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  while (!host.empty() && host.back() == '.') host.pop_back();
  unsigned char addr[16] = {};
  const int family = parseIp(host, addr);
  for (const Entry& e : entries_) {
    if (e.port != 0 && e.port != port) continue;
    if (matchesEntry(e, host, family, addr)) return true;
  }
  return false;
}

}  // namespace gw::proxy
