#include "gateway/http/request_target.h"

#include <string_view>

#include "gateway/http/header_map.h"

namespace gw::http {
namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// A segment that is ".", "..", or either of them with dots percent-encoded;
// ";params" are ignored (Tomcat and Spring read "..;" as "..").
bool isDotSegment(std::string_view seg) {
  seg = seg.substr(0, seg.find(';'));
  int dots = 0;
  for (size_t i = 0; i < seg.size();) {
    if (seg[i] == '.') {
      ++dots;
      ++i;
    } else if (i + 2 < seg.size() && seg[i] == '%' && seg[i + 1] == '2' &&
               (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
      ++dots;
      i += 3;
    } else {
      return false;
    }
  }
  return dots == 1 || dots == 2;
}

// A segment that is only a ";" parameter ("/pets/;x"): Tomcat and Spring
// strip the parameter and read an empty segment, nginx reads a name ";x".
bool isParameterOnlySegment(std::string_view seg) { return !seg.empty() && seg.front() == ';'; }

// Encoded separators, and double-encoded dots, are read as '/' or '.' by some
// backends. One pass over the '%' escapes (each one against every form),
// not one pass per form.
bool hasEncodedSeparator(std::string_view path) {
  static constexpr std::string_view kForms[] = {"%2f", "%5c", "%252e", "%252f", "%255c"};
  for (size_t i = path.find('%'); i != std::string_view::npos; i = path.find('%', i + 1)) {
    for (std::string_view form : kForms) {
      if (startsWithNoCase(path.substr(i), form)) return true;
    }
  }
  return false;
}

// Bytes and characters refused anywhere in the target, absolute-form included.
absl::Status checkTargetCharacters(std::string_view target) {
  for (char ch : target) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          "the request target has a control character, a space or a byte >= 0x80; "
          "percent-encode it");
    }
  }
  if (target.find('#') != std::string::npos) {
    // RFC 9112 3.2: a request target has no fragment. Routing "/pets/#" as
    // {petId}="#" would send "/pets/" (the collection) to the backend.
    return absl::InvalidArgumentError("the request target contains '#'; a fragment is not sent");
  }
  return absl::OkStatus();
}

// The common target, which every check below would pass: origin-form, only
// visible ASCII, no '#', no '%' escape and no backslash anywhere, and no '.'
// or ';' in the path (so no dot segment and no parameter-only segment). One
// pass instead of one per check.
bool isPlainOriginForm(std::string_view target) {
  if (target.empty() || target[0] != '/') return false;
  bool in_query = false;
  for (char ch : target) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || c == '%' || c == '\\') return false;
    if (c == '?') {
      in_query = true;
    } else if (!in_query && (c == '.' || c == ';')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status normalizeRequestTarget(std::string& target) {
  if (isPlainOriginForm(target)) return absl::OkStatus();
  if (absl::Status s = checkTargetCharacters(target); !s.ok()) return s;
  if (startsWithNoCase(target, "http://") || startsWithNoCase(target, "https://")) {
    size_t authority = target.find("//") + 2;
    size_t path = target.find_first_of("/?", authority);
    if (path == std::string::npos) {
      target = "/";
    } else if (target[path] == '?') {
      target = "/" + target.substr(path);
    } else {
      target.erase(0, path);
    }
  }
  if (target.empty() || target[0] != '/') {
    return absl::InvalidArgumentError("the request target must be a path starting with '/'");
  }

  std::string_view path = std::string_view(target).substr(0, target.find('?'));
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view seg =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (isDotSegment(seg)) {
      return absl::InvalidArgumentError("the path contains a '.' or '..' segment");
    }
    if (isParameterOnlySegment(seg)) {
      return absl::InvalidArgumentError(
          "a path segment is only a ';' parameter; backends disagree on whether it is empty");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (target.find('\0') != std::string::npos || target.find("%00") != std::string::npos) {
    return absl::InvalidArgumentError("the request target contains a NUL byte");
  }
  // The route matched here would not be the resource served.
  if (path.find('\\') != std::string_view::npos || hasEncodedSeparator(path)) {
    return absl::InvalidArgumentError(
        "the path contains an encoded '/' or '\\', a backslash, or a double-encoded dot");
  }
  return absl::OkStatus();
}

}  // namespace gw::http
