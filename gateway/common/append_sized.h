#pragma once

// Formats text in two passes with no reallocation in between: `write` (a
// generic callable taking a sizer or a writer) runs once on a Sizer that only
// counts bytes (its `size` member), then once on a Writer that writes at a raw
// pointer (its `end()` is where it stopped), straight into the end of `out`.
// The analytics event lines and the traffic-manager JSON use it on the
// request path.
//
// Example:
//   appendSized<JsonSizer, JsonWriter>(out, [&](auto& w) { w.string(value); });
//   appendSized<PieceSizer, PieceWriter>(out, [&](auto& w) { w.put(name); w.put(": "); });

#include <cstddef>
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

// The plain pair: text made of string pieces (an HTTP head, a line).
struct PieceSizer {
  size_t size = 0;
  void put(std::string_view piece) { size += piece.size(); }
};
class PieceWriter {
 public:
  explicit PieceWriter(char* at) : at_(at) {}
  void put(std::string_view piece) {
    std::memcpy(at_, piece.data(), piece.size());
    at_ += piece.size();
  }
  char* end() const { return at_; }

 private:
  char* at_;
};

}  // namespace gw
