#include "conf/url.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace gw::conf {
namespace {

bool isHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool isIpv6Char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// Parses "host[:port]" into `out`.
absl::Status parseHostPort(absl::string_view hostport, ParsedUrl& out) {
  absl::string_view rest;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated IPv6 literal (missing ']')");
    }
    absl::string_view literal = hostport.substr(1, close - 1);
    if (literal.empty() || literal.find(':') == absl::string_view::npos) {
      return absl::InvalidArgumentError("invalid IPv6 literal");
    }
    for (char c : literal) {
      if (!isIpv6Char(c)) return absl::InvalidArgumentError("invalid IPv6 literal");
    }
    out.host = std::string(literal);
    rest = hostport.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return absl::InvalidArgumentError("unexpected text after IPv6 literal");
    }
  } else {
    const size_t colon = hostport.find(':');
    out.host = std::string(hostport.substr(0, colon));
    rest = colon == absl::string_view::npos ? absl::string_view() : hostport.substr(colon);
    for (char c : out.host) {
      if (!isHostChar(c)) return absl::InvalidArgumentError("invalid character in host");
    }
  }
  if (out.host.empty()) return absl::InvalidArgumentError("missing host");
  if (rest.empty()) return absl::OkStatus();
  rest.remove_prefix(1);  // ':'
  uint32_t port = 0;
  const bool digits = !rest.empty() && rest.find_first_not_of("0123456789") == rest.npos;
  if (!digits || !absl::SimpleAtoi(rest, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError("invalid port (expected 1..65535)");
  }
  out.port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedUrl> parseUrl(absl::string_view url) {
  ParsedUrl out;
  absl::string_view rest = url;
  if (const size_t sep = rest.find("://"); sep != absl::string_view::npos) {
    out.scheme = absl::AsciiStrToLower(rest.substr(0, sep));
    if (out.scheme.empty()) return absl::InvalidArgumentError("empty scheme");
    rest.remove_prefix(sep + 3);
  }
  const size_t authority_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view tail =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    out.has_userinfo = true;
    absl::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    out.user = std::string(userinfo.substr(0, colon));
    if (colon != absl::string_view::npos) out.password = std::string(userinfo.substr(colon + 1));
    authority.remove_prefix(at + 1);
  }
  if (absl::Status s = parseHostPort(authority, out); !s.ok()) return s;
  const size_t query = tail.find_first_of("?#");
  out.has_query_or_fragment = query != absl::string_view::npos;
  out.path = std::string(tail.substr(0, query));
  const size_t fragment = tail.find('#');
  out.has_fragment = fragment != absl::string_view::npos;
  if (query != absl::string_view::npos && tail[query] == '?') {
    out.query = std::string(tail.substr(query + 1, fragment == absl::string_view::npos
                                                       ? absl::string_view::npos
                                                       : fragment - query - 1));
  }
  for (char c : out.path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) || std::iscntrl(u)) {
      return absl::InvalidArgumentError("whitespace or control character in path");
    }
  }
  return out;
}

absl::StatusOr<std::string> percentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return absl::InvalidArgumentError("malformed percent escape");
    const char hi = text[i + 1], lo = text[i + 2];
    if (!std::isxdigit(static_cast<unsigned char>(hi)) ||
        !std::isxdigit(static_cast<unsigned char>(lo))) {
      return absl::InvalidArgumentError("malformed percent escape");
    }
    auto value = [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10;
    };
    out.push_back(static_cast<char>(value(hi) * 16 + value(lo)));
    i += 2;
  }
  return out;
}

}  // namespace gw::conf
