#include "filters/token_revocation/config.h"

#include <gtest/gtest.h>

#include <string>

#include "conf/loader.h"

namespace gw::filters::token_revocation {
namespace {

absl::StatusOr<conf::Config> load(const std::string& toml) {
  return conf::loadConfigFromString(toml, "micro-gw.conf", {});
}

TEST(RevocationConfigTest, OffByDefault) {
  absl::StatusOr<conf::Config> c = load("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->token_revocation.enabled);
}

TEST(RevocationConfigTest, EtcdV2AsWso2WritesIt) {
  absl::StatusOr<conf::Config> c = load(R"(
[tokenRevocationConfig.persistent]
enablePersistentStorageRetrieval = true
type = "etcd"
endpointURL = "http://127.0.0.1:2379/v2/keys/wso2/revoked/"
username = "root"
password = "s3cret-pw"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  const RevocationConfig& r = c->token_revocation;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.etcd.base, "http://127.0.0.1:2379");
  EXPECT_FALSE(r.etcd.v3);
  EXPECT_EQ(r.etcd.path, "/v2/keys/wso2/revoked/");
  EXPECT_EQ(r.username, "root");
  EXPECT_EQ(r.password, "s3cret-pw");
}

TEST(RevocationConfigTest, EtcdV3Prefix) {
  absl::StatusOr<conf::Config> c = load(R"(
[tokenRevocationConfig.persistent]
enablePersistentStorageRetrieval = true
type = "etcd"
endpointURL = "https://etcd.example:2379/v3/mgw/revoked/"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->token_revocation.etcd.v3);
  EXPECT_EQ(c->token_revocation.etcd.base, "https://etcd.example:2379");
  EXPECT_EQ(c->token_revocation.etcd.prefix, "/mgw/revoked/");
}

struct BadCase {
  const char* toml;
  const char* expect;  // in the message
};

TEST(RevocationConfigTest, Refusals) {
  const BadCase cases[] = {
      {"enablePersistentStorageRetrieval = true\nendpointURL = \"http://e:2379/v2/keys/r/\"\n",
       "'tokenRevocationConfig.persistent.type': 'default' is not implemented"},
      {"enablePersistentStorageRetrieval = true\ntype = \"etcd\"\nendpointURL = \"etcd:2379\"\n",
       "'tokenRevocationConfig.persistent.endpointURL': expected an http:// or https:// URL"},
      {"enablePersistentStorageRetrieval = true\ntype = \"etcd\"\n"
       "endpointURL = \"http://e:2379/keys/r/\"\n",
       "must start with /v2/keys"},
      {"enablePersistentStorageRetrieval = true\ntype = \"etcd\"\n"
       "endpointURL = \"http://e:2379/v2/keys/r/\"\npassword = \"s3cret-pw\"\n",
       "'tokenRevocationConfig.persistent.username': set both"},
      {"enablePersistentStorageRetrival = true\n",
       "did you mean 'enablePersistentStorageRetrieval'"},
      {"enablePersistentStorageRetrieval = \"yes\"\n", "enablePersistentStorageRetrieval"},
  };
  for (const BadCase& bad : cases) {
    absl::StatusOr<conf::Config> c =
        load(std::string("[tokenRevocationConfig.persistent]\n") + bad.toml);
    ASSERT_FALSE(c.ok()) << bad.toml;
    const std::string text(c.status().message());
    EXPECT_NE(text.find(bad.expect), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cret-pw"), std::string::npos) << text;
  }
}

TEST(RevocationConfigTest, DisabledSectionIsNotValidated) {
  absl::StatusOr<conf::Config> c = load(
      "[tokenRevocationConfig.persistent]\nenablePersistentStorageRetrieval = false\n"
      "type = \"default\"\nendpointURL = \"https://localhost:9443/internal/data/v1\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->token_revocation.enabled);
}

// [tokenRevocationConfig.realtime] (JMS) is in the WSO2 table (conf/wso2_compat.h):
// silent while disabled, a warning without its switch, refused when enabled
// (revoked tokens would stay valid).
TEST(RevocationConfigTest, RealtimeIsSilentWhenDisabledAndRefusedWhenEnabled) {
  absl::StatusOr<conf::Config> c =
      load("[tokenRevocationConfig.realtime]\nenableRealtimeMessageRetrieval = false\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty());
  c = load("[tokenRevocationConfig.realtime]\njmsConnectionTopic = \"tokenRevocation\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->warnings.size(), 1u);
  c = load("[tokenRevocationConfig.realtime]\nenableRealtimeMessageRetrieval = true\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("would weaken security"), std::string::npos) << c.status();
}

}  // namespace
}  // namespace gw::filters::token_revocation
