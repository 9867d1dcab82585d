// The upload's wire format and WSO2's duplicate-entry answer (the exchange
// itself runs against the test analytics server in
// //test/integration:analytics_test).

#include "filters/analytics/uploader.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::filters::analytics {
namespace {

TEST(Uploader, MultipartBodyByteForByte) {
  const std::string zip("PK\x03\x04\0\r\n--b", 11);
  EXPECT_EQ(multipartBody("b0undary", "api-usage-data.dat.1.u.zip", zip),
            "--b0undary\r\n"
            "Content-Disposition: form-data; name=\"file\"; "
            "filename=\"api-usage-data.dat.1.u.zip\"\r\n"
            "Content-Type: application/octet-stream\r\n"
            "\r\n" +
                zip +
                "\r\n"
                "--b0undary--\r\n");
}

TEST(Uploader, DuplicateEntryAnswer) {
  EXPECT_TRUE(isDuplicateEntryAnswer(
      500, R"({"code":500,"message":"A duplicate entry found for the file"})"));
  EXPECT_FALSE(isDuplicateEntryAnswer(500, "Internal Server Error"));
  EXPECT_FALSE(isDuplicateEntryAnswer(409, "A duplicate entry found for the file"));
}

}  // namespace
}  // namespace gw::filters::analytics
