#pragma once

// HTTP header list: insertion-ordered (name, value) pairs with case-insensitive
// lookup. Repeated names are kept as separate entries, as they arrived.
// Not thread-safe; owned by one stream.

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace gw::http {

class HeaderMap {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Anything a std::string is made from; an rvalue string is moved once.
  template <class Name, class Value>
  void add(Name&& name, Value&& value) {
    entries_.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::forward<Name>(name)),
                          std::forward_as_tuple(std::forward<Value>(value)));
  }
  // Replaces every entry named `name` with one entry.
  void set(std::string_view name, std::string value);
  // Removes every entry named `name`; returns how many were removed.
  size_t remove(std::string_view name);
  // Removes every entry for which `drop(name, value)` is true, in one pass;
  // returns how many were removed.
  template <class Predicate>
  size_t removeIf(Predicate drop) {
    const size_t before = entries_.size();
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [&](const Entry& e) { return drop(e.first, e.second); }),
                   entries_.end());
    return before - entries_.size();
  }
  // The first value for `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  // Number of entries named `name`.
  size_t count(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  void reserve(size_t n) { entries_.reserve(n); }

  // Total bytes of names and values, for size limits.
  size_t byteSize() const;

 private:
  std::vector<Entry> entries_;
};

// ASCII case-insensitive comparison of equal-length strings.
bool iequalsSameSize(std::string_view a, std::string_view b);

// ASCII case-insensitive comparison of header names and tokens. Inline: most
// calls compare names of different lengths and end at the size check.
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequalsSameSize(a, b);
}

// True when `name` is an HTTP token (RFC 9110 5.6.2), as a field name must be:
// not empty, only tchar (no spaces, separators, controls or bytes >= 0x80).
bool isToken(std::string_view name);

// isToken() for a field name that http-parser accepted: http-parser refuses
// every other byte that is not a tchar but lets a space through ("Name :"),
// so a non-empty name is a token unless it holds a space (one memchr instead
// of a table lookup per byte). The HTTP/1 codec tests try every byte.
inline bool isParsedFieldNameToken(std::string_view name) {
  return !name.empty() && name.find(' ') == std::string_view::npos;
}

// `s` without leading and trailing spaces and tabs (RFC 9110 OWS).
std::string_view trimOws(std::string_view s);

// True when the comma-separated header value `list` contains `token` (case-insensitive).
bool hasToken(std::string_view list, std::string_view token);

// The request line and headers of one request.
struct RequestHeaders {
  std::string method;     // "GET"
  std::string path;       // request-target as received: "/petstore/v1/pets?limit=2"
  int version_minor = 1;  // HTTP/1.<minor>; 2 for HTTP/2 streams
  // HTTP/2's :authority and :scheme. An HTTP/1 request fills them from its
  // Host header and the connection ("http"); an HTTP/2 request's :authority
  // is also put in `headers` as Host (replacing a differing one), so filters
  // and HTTP/1 backends see one Host whatever the client spoke.
  std::string authority;
  std::string scheme = "http";
  HeaderMap headers;

  // The path without its query string.
  std::string_view pathOnly() const;
  // The query string with its '?', or "".
  std::string_view query() const;
};

// The status line and headers of one response.
struct ResponseHeaders {
  int status = 200;
  HeaderMap headers;
};

// The standard reason phrase for `status` ("Not Found"), or "Unknown".
const char* reasonPhrase(int status);

}  // namespace gw::http
