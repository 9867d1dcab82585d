#pragma once

// Formats text in two passes with no reallocation in between: `write` (a
// generic callable taking a sizer or a writer) runs once on a Sizer that only
// counts bytes (its `size` member), then once on a Writer that writes at a raw
// pointer (its `end()` is where it stopped), straight into the end of `out`.
// The analytics event lines and the traffic-manager JSON use it on the
// request path. `out` may also be an evbuffer: then the text goes straight
// into space reserved at its end (the upstream HTTP/1 head).
//
// Example:
//   appendSized<JsonSizer, JsonWriter>(out, [&](auto& w) { w.string(value); });
//   appendSized<PieceSizer, PieceWriter>(out, [&](auto& w) { w.put(name); w.put(": "); });

#include <event2/buffer.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace gw {

template <class Sizer, class Writer, class Write>
void appendSized(std::string& out, const Write& write) {
  Sizer sizer;
  write(sizer);
  const size_t old = out.size();
  out.resize(old + sizer.size);
  Writer writer(out.data() + old);
  write(writer);
  out.resize(static_cast<size_t>(writer.end() - out.data()));
}

// The same two passes into `scratch`, a buffer kept for reuse (per thread),
// from its start; returns the text written. `scratch` is grown (and
// zero-filled) only when too small and never shrunk: resizing an emptied
// string instead would zero-fill every byte on every call (a memset of each
// analytics line and traffic-manager event, once per request).
template <class Sizer, class Writer, class Write>
std::string_view writeSized(std::string& scratch, const Write& write) {
  Sizer sizer;
  write(sizer);
  if (scratch.size() < sizer.size) scratch.resize(std::max(sizer.size, 2 * scratch.size()));
  Writer writer(scratch.data());
  write(writer);
  return {scratch.data(), static_cast<size_t>(writer.end() - scratch.data())};
}

template <class Sizer, class Writer, class Write>
void appendSized(evbuffer* out, const Write& write) {
  Sizer sizer;
  write(sizer);
  evbuffer_iovec vec;
  if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(sizer.size), &vec, 1) != 1) {
    std::fprintf(stderr, "microgw: out of memory for %zu bytes of output\n", sizer.size);
    std::abort();
  }
  Writer writer(static_cast<char*>(vec.iov_base));
  write(writer);
  vec.iov_len = static_cast<size_t>(writer.end() - static_cast<char*>(vec.iov_base));
  evbuffer_commit_space(out, &vec, 1);
}

// The plain pair: text made of string pieces (an HTTP head, a line).
struct PieceSizer {
  size_t size = 0;
  void put(std::string_view piece) { size += piece.size(); }
};
class PieceWriter {
 public:
  explicit PieceWriter(char* at) : at_(at) {}
  void put(std::string_view piece) {
    // An empty view may have a null data(): memcpy must not see it (UB).
    if (!piece.empty()) std::memcpy(at_, piece.data(), piece.size());
    at_ += piece.size();
  }
  char* end() const { return at_; }

 private:
  char* at_;
};

}  // namespace gw
