#include "proxy_connector/http_url.h"

#include <cctype>
#include <cstdint>

namespace gw::proxy {

bool parseHttpUrl(const std::string& url, ParsedHttpUrl* out) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  std::string scheme = url.substr(0, sep);
  for (char& c : scheme) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return false;
  const size_t start = sep + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  const std::string authority = url.substr(start, end - start);
  std::string host = authority;
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port_text = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.find(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty() || host.find('@') != std::string::npos) return false;
  uint32_t port = scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    port = static_cast<uint32_t>(std::stoul(port_text));
    if (port == 0 || port > 65535) return false;
  }
  out->target = {scheme, host, static_cast<uint16_t>(port)};
  std::string rest = url.substr(end);
  if (const size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  out->path = rest.empty() || rest[0] != '/' ? "/" + rest : rest;
  return true;
}

}  // namespace gw::proxy
