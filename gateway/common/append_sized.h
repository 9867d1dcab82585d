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

#include <cstddef>
#include <string>

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

}  // namespace gw
