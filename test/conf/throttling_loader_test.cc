// [throttlingConfig]: WSO2's keys, microgw's, defaults, errors and the
// accepted-but-ignored WSO2 settings (one warning each).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

absl::StatusOr<Config> load(const std::string& toml, const std::string& file = "micro-gw.conf") {
  return loadConfigFromString(toml, file, Environment{});
}

std::string tmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

int countContaining(const std::vector<std::string>& lines, const std::string& part) {
  int n = 0;
  for (const std::string& l : lines) n += l.find(part) != std::string::npos;
  return n;
}

TEST(ThrottlingConfig, DefaultsAreWso2s) {
  absl::StatusOr<Config> c = load("");
  ASSERT_TRUE(c.ok()) << c.status();
  const ThrottlingConfig& t = c->throttling;
  EXPECT_FALSE(t.global_publishing);
  EXPECT_EQ(t.endpoint_url, "https://localhost:9443/endpoints");
  EXPECT_EQ(t.endpoint_credentials, "admin:admin");
  EXPECT_EQ(t.eventUrl(), "https://localhost:9443/endpoints/throttleEventReceiver");
  EXPECT_EQ(t.decisionUrl(), "https://localhost:9443/endpoints/throttleDecisions");
  EXPECT_EQ(t.policies_file, "");  // no policies.yaml beside micro-gw.conf: built-in defaults
}

TEST(ThrottlingConfig, AllKeys) {
  const std::string dir = tmpDir() + "/thr-all";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/p.yaml") << "resourcePolicies: []\n";
  absl::StatusOr<Config> c = load(R"(
[throttlingConfig]
  enabledGlobalTMEventPublishing = true
  throttleEndpointUrl = "http://tm:9763/endpoints/"
  throttleEndpointbase64Header = "user:pa:ss"
  policiesFile = "p.yaml"
  eventQueueSize = 7
  eventBatchSize = 1
  decisionEndpointUrl = "http://tm:9763/blocked"
  decisionPollIntervalInMillis = 250
)",
                                  dir + "/micro-gw.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  const ThrottlingConfig& t = c->throttling;
  EXPECT_TRUE(t.global_publishing);
  EXPECT_EQ(t.eventUrl(), "http://tm:9763/endpoints/throttleEventReceiver");
  EXPECT_EQ(t.endpoint_credentials, "user:pa:ss");
  EXPECT_EQ(t.policies_file, dir + "/p.yaml");
  EXPECT_EQ(t.event_queue_size, 7u);
  EXPECT_EQ(t.event_batch_size, 1u);
  EXPECT_EQ(t.decisionUrl(), "http://tm:9763/blocked");
  EXPECT_EQ(t.decision_poll_ms, 250u);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(ThrottlingConfig, PoliciesYamlBesideTheConfIsPickedUp) {
  absl::StatusOr<Config> c = loadConfig("conf/micro-gw.conf", Environment{});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->throttling.policies_file, "conf/policies.yaml");
}

TEST(ThrottlingConfig, Errors) {
  const struct {
    const char* toml;
    const char* expect;
  } kCases[] = {
      {"[throttlingConfig]\nthrottleEndpointUrl = \"tm:9443\"\n",
       "'throttlingConfig.throttleEndpointUrl' must be an http:// or https:// URL"},
      {"[throttlingConfig]\nthrottleEndpointbase64Header = \"YWRtaW46YWRtaW4=\"\n",
       "must be \"user:password\" in plain text"},
      {"[throttlingConfig]\npoliciesFile = \"nope.yaml\"\n", "no such file"},
      {"[throttlingConfig]\nenabledGlobalTMEventPublish = true\n",
       "did you mean 'enabledGlobalTMEventPublishing'"},
      {"[throttlingConfig]\neventQueueSize = 0\n", "eventQueueSize"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<Config> config = load(c.toml);
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_NE(std::string(config.status().message()).find(c.expect), std::string::npos)
        << config.status();
  }
  // The credentials never appear in an error.
  absl::StatusOr<Config> bad =
      load("[throttlingConfig]\nthrottleEndpointbase64Header = \"s3cretNoColon\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()).find("s3cret"), std::string::npos);
}

TEST(ThrottlingConfig, IgnoredWso2SettingsWarnOnceEach) {
  absl::StatusOr<Config> c = load(R"(
[throttlingConfig]
  jmsConnectioninitialContextFactory = "bmq"
  jmsConnectionProviderUrl = "amqp://admin:admin@carbon/carbon?brokerlist='tcp://localhost:5672'"
  jmsConnectionTopic = "throttleData"
  [throttlingConfig.binary]
    enabled = true
    username = "admin"
    [[throttlingConfig.binary.URLGroup]]
      receiverURL = "tcp://localhost:9611"
  [throttlingConfig.nodeLocal]
    processThreadPoolCoreSize = 200
  [throttlingConfig.dataRetriever]
    enabled = false
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->warnings.size(), 4u);
  EXPECT_EQ(countContaining(c->warnings, "jmsConnection"), 1);
  EXPECT_EQ(countContaining(c->warnings, "the HTTP publisher (throttleEndpointUrl) is used"), 1);
  EXPECT_EQ(countContaining(c->warnings, "throttlingConfig.nodeLocal"), 1);
  EXPECT_EQ(countContaining(c->warnings, "throttlingConfig.dataRetriever"), 1);
  for (const std::string& w : c->warnings) EXPECT_EQ(w.find("amqp://"), std::string::npos) << w;
}

}  // namespace
}  // namespace gw::conf
