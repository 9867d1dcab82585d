// [analytics] / [analytics.fileUpload]: WSO2's defaults, both WSO2 forms,
// microgw's keys, and errors that name the key.

#include <gtest/gtest.h>

#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

absl::StatusOr<Config> load(const std::string& toml) {
  return loadConfigFromString(toml, "/etc/mgw/micro-gw.conf", Environment::fromMap({}));
}

TEST(AnalyticsConfig, Wso2DefaultsWhenAbsent) {
  absl::StatusOr<Config> c = load("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->analytics.enabled);
  EXPECT_EQ(c->analytics.uploading_time_span_ms, 600000u);
  EXPECT_EQ(c->analytics.initial_delay_ms, 5000u);
  EXPECT_EQ(c->analytics.rotating_period_ms, 600000u);
  EXPECT_TRUE(c->analytics.task_upload_files);
  EXPECT_EQ(c->analytics.uploading_endpoint,
            "https://localhost:9444/analytics/v1.0/usage/upload-file");
  EXPECT_EQ(c->analytics.stream_version, "3.2.0");
}

TEST(AnalyticsConfig, FileUploadSection) {
  absl::StatusOr<Config> c = load(R"(
[analytics]
  streamVersion = "3.1.0"
[analytics.fileUpload]
  enable = true
  uploadingTimeSpanInMillis = 100
  initialDelayInMillis = 10
  uploadingEndpoint = "http://127.0.0.1:9444/analytics/v1.0/usage/upload-file"
  rotatingPeriod = 50
  taskUploadFiles = false
  username = "u"
  password = "p"
  usageDataDirectory = "usage"
  maxDiskUsageInMB = 2
  eventQueueSize = 10
)");
  ASSERT_TRUE(c.ok()) << c.status();
  const AnalyticsConfig& a = c->analytics;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.stream_version, "3.1.0");
  EXPECT_EQ(a.uploading_time_span_ms, 100u);
  EXPECT_EQ(a.initial_delay_ms, 10u);
  EXPECT_EQ(a.rotating_period_ms, 50u);
  EXPECT_FALSE(a.task_upload_files);
  EXPECT_EQ(a.username, "u");
  EXPECT_EQ(a.password, "p");
  EXPECT_EQ(a.directory, "/etc/mgw/usage");
  EXPECT_EQ(a.max_disk_usage_bytes, 2u << 20);
  EXPECT_EQ(a.queue_size, 10u);
}

TEST(AnalyticsConfig, OlderFormDirectlyUnderAnalytics) {
  absl::StatusOr<Config> c = load(R"(
[analytics]
  enable = true
  uploadingEndpoint = "https://an:9444/analytics/v1.0/usage/upload-file"
  rotatingPeriod = 1000
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->analytics.enabled);
  EXPECT_EQ(c->analytics.rotating_period_ms, 1000u);
  EXPECT_EQ(c->analytics.uploading_endpoint, "https://an:9444/analytics/v1.0/usage/upload-file");
}

TEST(AnalyticsConfig, OtherPublishersAreAcceptedWithAWarning) {
  absl::StatusOr<Config> c = load(R"(
[analytics.gRPCAnalytics]
  enable = true
  endpointURL = "https://localhost:9806"
  reconnectTimeInMillies = 6000
[analytics.elkAnalytics]
  enable = false
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("analytics.gRPCAnalytics.enable"), std::string::npos);
}

TEST(AnalyticsConfig, ErrorsNameTheKeyAndNeverThePassword) {
  struct Case {
    const char* toml;
    const char* expected;
  };
  const Case cases[] = {
      {"[analytics.fileUpload]\n enabel = true\n", "did you mean 'enable'?"},
      {"[analytics.fileUpload]\n enable = true\n uploadingEndpoint = \"ftp://x\"\n",
       "analytics.fileUpload.uploadingEndpoint' must be an http:// or https:// URL"},
      {"[analytics.fileUpload]\n rotatingPeriod = 0\n", "analytics.fileUpload.rotatingPeriod"},
      {"[analytics]\n streamVersion = \"2.0\"\n", "analytics.streamVersion"},
      {"[analytics]\n enable = true\n[analytics.fileUpload]\n password = \"s3cret\"\n",
       "use [analytics.fileUpload] only"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Config> r = load(c.toml);
    ASSERT_FALSE(r.ok()) << c.toml;
    const std::string msg(r.status().message());
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace gw::conf
