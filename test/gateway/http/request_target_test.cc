#include "gateway/http/request_target.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::http {
namespace {

struct Case {
  std::string in;
  bool ok;
  std::string out;  // expected target when ok
};

TEST(RequestTarget, Table) {
  const Case cases[] = {
      {"/petstore/v1/pets", true, "/petstore/v1/pets"},
      {"/petstore/v1/pets?limit=2&x=..", true, "/petstore/v1/pets?limit=2&x=.."},
      {"/", true, "/"},
      {"/a/.hidden/b", true, "/a/.hidden/b"},
      {"/a/.../b", true, "/a/.../b"},
      {"/a/b..c", true, "/a/b..c"},
      {"http://gw.example.com/petstore/v1/pets?x=1", true, "/petstore/v1/pets?x=1"},
      {"HTTPS://gw.example.com:8443/p", true, "/p"},
      {"http://gw.example.com", true, "/"},
      {"http://gw.example.com?q=1", true, "/?q=1"},
      {"/petstore/v1/pets/../admin", false, ""},
      {"/petstore/v1/pets/./1", false, ""},
      {"/petstore/v1/pets/%2e%2e/admin", false, ""},
      {"/petstore/v1/pets/%2E./admin", false, ""},
      {"/petstore/v1/pets/.%2e", false, ""},
      {"/petstore/v1/pets/..", false, ""},
      {"http://h/a/../b", false, ""},
      {"/a%00b", false, ""},
      {"/petstore/v1/pets/..;/admin", false, ""},
      {"/petstore/v1/pets/..;jsessionid=1", false, ""},
      {"/petstore/v1/pets/..%2fadmin", false, ""},
      {"/petstore/v1/pets/..%5Cadmin", false, ""},
      {"/petstore/v1/pets/..\\admin", false, ""},
      {"/petstore/v1/pets/%252e%252e/admin", false, ""},
      {"/petstore/v1/pets/1;v=2", true, "/petstore/v1/pets/1;v=2"},
      {"/petstore/v1/pets?next=%2Fa", true, "/petstore/v1/pets?next=%2Fa"},
      {"/petstore/v1/pets?q=%00", false, ""},
      {"/petstore/v1/pets?q=a\\b", true, "/petstore/v1/pets?q=a\\b"},
      {"/petstore/v1/pets?q=;./x", true, "/petstore/v1/pets?q=;./x"},
      // Issue 6: no fragment, no parameter-only segment, visible ASCII only.
      {"/petstore/v1/pets/#", false, ""},
      {"/petstore/v1/pets/1#x", false, ""},
      {"/petstore/v1/pets?q=1#x", false, ""},
      {"http://h/pets/#", false, ""},
      {"/petstore/v1/pets/%23", true, "/petstore/v1/pets/%23"},
      {"/petstore/v1/pets/;x", false, ""},
      {"/petstore/v1/pets/;", false, ""},
      {"/petstore/v1/;x/pets", false, ""},
      {"/petstore/v1/pets/1;x", true, "/petstore/v1/pets/1;x"},
      {"/petstore/v1/pets?q=;x", true, "/petstore/v1/pets?q=;x"},
      {"/a\tb", false, ""},
      {"/a\fb", false, ""},
      {"/a b", false, ""},
      {"/a\x01", false, ""},
      {"/a\x7f", false, ""},
      {"/a\x80", false, ""},
      {"/caf\xc3\xa9", false, ""},
      {"/a?q=\xff", false, ""},
      {"*", false, ""},
      {"gw.example.com:443", false, ""},
      {"", false, ""},
  };
  for (const Case& c : cases) {
    std::string target = c.in;
    absl::Status s = normalizeRequestTarget(target);
    EXPECT_EQ(s.ok(), c.ok) << c.in << ": " << s;
    if (c.ok) EXPECT_EQ(target, c.out) << c.in;
  }
}

}  // namespace
}  // namespace gw::http
