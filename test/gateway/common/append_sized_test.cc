// gw::appendSized / gw::writeSized: the two passes, and the reused scratch
// buffer that grows only when too small.

#include "gateway/common/append_sized.h"

#include <gtest/gtest.h>

#include <string>

namespace gw {
namespace {

void pieces(std::string& out, std::initializer_list<std::string_view> parts) {
  appendSized<PieceSizer, PieceWriter>(out, [&](auto& w) {
    for (std::string_view p : parts) w.put(p);
  });
}

std::string_view written(std::string& scratch, std::initializer_list<std::string_view> parts) {
  return writeSized<PieceSizer, PieceWriter>(scratch, [&](auto& w) {
    for (std::string_view p : parts) w.put(p);
  });
}

TEST(AppendSized, AppendsAfterWhatIsThere) {
  std::string out = "GET ";
  pieces(out, {"/pets", " HTTP/1.1"});
  EXPECT_EQ(out, "GET /pets HTTP/1.1");
}

TEST(WriteSized, WritesFromTheStartAndKeepsTheBuffer) {
  std::string scratch;
  EXPECT_EQ(written(scratch, {"a longer ", "first line"}), "a longer first line");
  const size_t grown = scratch.size();
  EXPECT_GE(grown, std::string_view("a longer first line").size());
  const char* buffer = scratch.data();
  // Shorter text: the same buffer, not shrunk, and only the new text in the view.
  std::string_view second = written(scratch, {"short"});
  EXPECT_EQ(second, "short");
  EXPECT_EQ(second.data(), buffer);
  EXPECT_EQ(scratch.size(), grown);
  // Longer than the buffer: it grows (at least doubling), the text is whole.
  const std::string big(3 * grown, 'x');
  EXPECT_EQ(written(scratch, {big, "!"}), big + "!");
  EXPECT_GE(scratch.size(), big.size() + 1);
  EXPECT_EQ(written(scratch, {}), "");
}

}  // namespace
}  // namespace gw
