#pragma once

// Decides whether a target host bypasses the proxy: NO_PROXY /
// httpClients.proxy.nonProxyHosts matching with curl's and Go's semantics.
//
//   *                 every host
//   example.com       example.com and any subdomain (sub.example.com), any case
//   .example.com      the same (as curl: the domain itself too); *.example.com too
//   10.1.2.3          that IP literal only (no name resolution)
//   10.0.0.0/8        IP-literal targets inside the CIDR block (IPv4 or IPv6)
//   ::1, [::1]        IPv6 literal, brackets optional
//   host:8080         only that port ([::1]:8080 for IPv6)
//
// Entries are trimmed; empty and malformed entries are ignored (invalid() lists
// the malformed ones so start-up can warn about them).
//
// Example:
//
//   NoProxyMatcher m = NoProxyMatcher::parse("localhost,.internal,10.0.0.0/8");
//   bool direct = m.matches("api.internal", 443);  // true
//
// Thread-safety: immutable after construction; safe to share across threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw::proxy {

class NoProxyMatcher {
 public:
  NoProxyMatcher() = default;
  explicit NoProxyMatcher(const std::vector<std::string>& entries);

  // A NO_PROXY-style list: entries separated by ',' (also '|' as in Java's
  // http.nonProxyHosts, and whitespace).
  static NoProxyMatcher parse(std::string_view list);

  // `host` is a name or an IP literal (IPv6 with or without brackets).
  bool matches(std::string_view host, uint16_t port) const;

  bool empty() const { return !match_all_ && entries_.empty(); }
  const std::vector<std::string>& invalid() const { return invalid_; }

 private:
  struct Entry {
    enum class Kind { Domain, Ip, Cidr };
    Kind kind = Kind::Domain;
    std::string domain;  // Domain: lower case, no leading/trailing dot
    int family = 0;      // Ip, Cidr: AF_INET or AF_INET6
    unsigned char addr[16] = {};
    int prefix_len = 0;  // Cidr
    uint16_t port = 0;   // 0 = any port
  };

  void add(std::string_view raw);
  bool matchesEntry(const Entry& e, std::string_view host, int family,
                    const unsigned char* addr) const;

  bool match_all_ = false;
  std::vector<Entry> entries_;
  std::vector<std::string> invalid_;
};

}  // namespace gw::proxy
