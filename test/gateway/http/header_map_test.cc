#include "gateway/http/header_map.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/common/append_sized.h"

namespace gw::http {
namespace {

TEST(Iequals, AsciiLettersOnlyFoldCase) {
  struct Case {
    const char* a;
    const char* b;
    bool equal;
  } cases[] = {
      {"content-length", "Content-Length", true},
      {"CONNECTION", "connection", true},
      {"", "", true},
      {"te", "TE", true},
      {"host", "hosts", false},  // different sizes end at the size check
      {"hosts", "host", false},
      {"connection", "user-agent", false},  // same size, different letters
      {"x-a", "x_a", false},
      // Only A-Z fold: '@' (0x40) and '`' (0x60), '[' and '{' differ by the
      // case bit too, yet are different characters.
      {"a@", "a`", false},
      {"[", "{", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(iequals(c.a, c.b), c.equal) << c.a << " vs " << c.b;
    EXPECT_EQ(iequals(c.b, c.a), c.equal) << c.b << " vs " << c.a;
  }
}

TEST(IsToken, Rfc9110TokenCharactersOnly) {
  struct Case {
    std::string name;
    bool token;
  } cases[] = {
      {"Content-Length", true},
      {"x-custom_1", true},
      {"!#$%&'*+-.^_`|~", true},
      {"", false},
      {"Content-Length ", false},
      {"a b", false},
      {"a:b", false},
      {"a\tb", false},
      {"(comment)", false},
      {"\"quoted\"", false},
      {"a/b", false},
      {"a@b", false},
      {"{x}", false},
      {std::string("a\0b", 3), false},
      {"caf\xc3\xa9", false},
      {"del\x7f", false},
  };
  for (const Case& c : cases) EXPECT_EQ(isToken(c.name), c.token) << c.name;
}

TEST(HeaderMap, RemoveIfDropsMatchingEntriesInOrder) {
  HeaderMap h;
  h.add("A", "1");
  h.add("Drop-Me", "2");
  h.add("B", "3");
  h.add("drop-me", "4");
  h.add("C", "drop");
  const size_t removed = h.removeIf([](const std::string& name, const std::string& value) {
    return iequals(name, "drop-me") || value == "drop";
  });
  EXPECT_EQ(removed, 3u);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.entries()[0], HeaderMap::Entry("A", "1"));
  EXPECT_EQ(h.entries()[1], HeaderMap::Entry("B", "3"));
  EXPECT_EQ(h.removeIf([](const std::string&, const std::string&) { return false; }), 0u);
  EXPECT_EQ(h.size(), 2u);
}

TEST(HeaderMap, RemoveByNameIsCaseInsensitive) {
  HeaderMap h;
  h.add("Via", "1.1 a");
  h.add("Host", "x");
  h.add("VIA", "1.1 b");
  EXPECT_EQ(h.remove("via"), 2u);
  EXPECT_EQ(h.count("via"), 0u);
  EXPECT_EQ(*h.get("host"), "x");
  EXPECT_EQ(h.remove("via"), 0u);
}

TEST(AppendSized, PiecesWrittenOnceAfterWhatIsThere) {
  std::string out = "head|";
  gw::appendSized<gw::PieceSizer, gw::PieceWriter>(out, [](auto& w) {
    w.put("GET");
    w.put(" ");
    w.put("");
    w.put("/pets");
  });
  EXPECT_EQ(out, "head|GET /pets");
}

}  // namespace
}  // namespace gw::http
