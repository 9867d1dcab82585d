#include "gateway/server/access_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace gw::server {
namespace {

TEST(AccessLog, EscapeTable) {
  struct Case {
    std::string in;
    std::string out;
  } cases[] = {
      {"/pets/1?x=y", "/pets/1?x=y"},
      {"/a\" 200 0 upstream=forged api=\"x", "/a\\\" 200 0 upstream=forged api=\\\"x"},
      {"back\\slash", "back\\\\slash"},
      {"line\nbreak\r\t", "line\\x0abreak\\x0d\\x09"},
      {std::string("nul\0x", 5), "nul\\x00x"},
      {"caf\xc3\xa9\x7f", "caf\\xc3\\xa9\\x7f"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(escapeLogValue(c.in), c.out) << c.in;
}

TEST(AccessLog, AbortedByTable) {
  EXPECT_EQ(abortedBy(408), "client");
  EXPECT_EQ(abortedBy(504), "timeout");
  EXPECT_EQ(abortedBy(502), "backend");
  EXPECT_EQ(abortedBy(503), "backend");
  EXPECT_EQ(abortedBy(500), "gateway");
  EXPECT_EQ(abortedBy(0), "gateway");
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A quote in the path cannot end the quoted field and forge the ones after it.
TEST(AccessLog, LineCannotBeForgedAndRecordsAbort) {
  std::string path = ::testing::TempDir() + "/access_log_test.log";
  std::remove(path.c_str());
  conf::AccessLogConfig config;
  config.enabled = true;
  config.path = path;
  auto log = AccessLog::open(config);
  ASSERT_TRUE(log.ok()) << log.status();
  (*log)->write(AccessLogEntry{"10.0.0.7", "GET", "/x\" 200 5 upstream=evil api=\"y\"\n2026 forged",
                               200, 5, "b:80", 1.5, "pets", ""});
  (*log)->write(
      AccessLogEntry{"10.0.0.7", "GET", "/big", 200, 1048576, "b:80", 9.0, "pets", "timeout"});
  (*log)->flush();
  std::string text = readAll(path);
  size_t first_end = text.find('\n');
  ASSERT_NE(first_end, std::string::npos);
  std::string first = text.substr(0, first_end);
  std::string second = text.substr(first_end + 1);
  // Exactly two lines: the forged newline stayed inside the first.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_NE(first.find(" 10.0.0.7 \"GET /x\\\" 200 5 upstream=evil api=\\\"y\\\"\\x0a2026 forged\" "
                       "200 5 upstream=b:80 api=\"pets\" 1.5ms aborted=-"),
            std::string::npos)
      << first;
  EXPECT_NE(
      second.find("\"GET /big\" 200 1048576 upstream=b:80 api=\"pets\" 9.0ms aborted=timeout"),
      std::string::npos)
      << second;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gw::server
