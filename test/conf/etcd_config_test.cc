// WSO2's run-time etcd keys at the root of micro-gw.conf and as --etcd flags.

#include "conf/etcd_config.h"

#include <gtest/gtest.h>

#include <string>

#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kPassword[] = "etcd-s3cret-value";

absl::StatusOr<Config> load(const std::string& toml) {
  return loadConfigFromString(toml, "micro-gw.conf", Environment::fromMap({}));
}

TEST(EtcdConfigTest, DefaultsWithoutKeys) {
  absl::StatusOr<Config> c = load("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->etcd.enabled());
  EXPECT_EQ(c->etcd.base_path, "/v3");
  EXPECT_EQ(c->etcd.timer_ms, 10000);
  EXPECT_FALSE(c->etcd.timer_set);
}

TEST(EtcdConfigTest, RootKeysRead) {
  absl::StatusOr<Config> c = load(
      "etcdurl = \"http://127.0.0.1:2379/\"\n"
      "etcdusername = \"root\"\n"
      "etcdpassword = \"etcd-s3cret-value\"\n"
      "etcdtimer = 5000\n"
      "etcdbasepath = \"/v3beta/\"\n"
      "[listenerConfig]\n"
      "httpPort = 9090\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->etcd.enabled());
  EXPECT_EQ(c->etcd.url, "http://127.0.0.1:2379");
  EXPECT_EQ(c->etcd.username, "root");
  EXPECT_EQ(c->etcd.password, kPassword);
  EXPECT_EQ(c->etcd.timer_ms, 5000);
  EXPECT_TRUE(c->etcd.timer_set);
  EXPECT_EQ(c->etcd.base_path, "/v3beta");
  EXPECT_EQ(c->etcd.apiUrl("/kv/range"), "http://127.0.0.1:2379/v3beta/kv/range");
}

TEST(EtcdConfigTest, HostPortWithoutSchemeIsHttp) {
  absl::StatusOr<Config> c = load("etcdurl = \"etcd.internal:2379\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->etcd.url, "http://etcd.internal:2379");
}

TEST(EtcdConfigTest, BadValuesNameTheKeyAndNeverThePassword) {
  const std::pair<const char*, const char*> cases[] = {
      {"etcdurl = \"ftp://a:2379\"\n", "'etcdurl'"},
      {"etcdurl = \"http://a:2379/v3\"\n", "no path"},
      {"etcdurl = \"http://user:pw@a:2379\"\n", "'etcdurl'"},
      {"etcdurl = 2379\n", "'etcdurl'"},
      {"etcdtimer = -1\n", "'etcdtimer'"},
      {"etcdbasepath = \"v3\"\n", "'etcdbasepath'"},
      {"etcdpassword = \"etcd-s3cret-value\"\n", "set both etcdusername and etcdpassword"},
      {"etcdusername = \"root\"\n", "'etcdpassword'"},
      {"etcdurll = \"http://a:2379\"\n", "did you mean 'etcdurl'"},
  };
  for (const auto& [toml, part] : cases) {
    SCOPED_TRACE(toml);
    absl::StatusOr<Config> c = load(toml);
    ASSERT_FALSE(c.ok());
    const std::string message(c.status().message());
    EXPECT_NE(message.find("micro-gw.conf"), std::string::npos) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
  }
}

TEST(EtcdConfigTest, FlagsWinOverTheFile) {
  absl::StatusOr<Config> c = load("etcdurl = \"http://a:2379\"\netcdtimer = 100\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(applyEtcdFlags(
                  {"etcdurl=https://b:2379", "etcdusername=root",
                   std::string("etcdpassword=") + kPassword, "etcdtimer=7000", "etcdbasepath=/v3"},
                  c->etcd)
                  .ok());
  EXPECT_EQ(c->etcd.url, "https://b:2379");
  EXPECT_EQ(c->etcd.username, "root");
  EXPECT_EQ(c->etcd.password, kPassword);
  EXPECT_EQ(c->etcd.timer_ms, 7000);
  EXPECT_EQ(c->etcd.base_path, "/v3");
}

TEST(EtcdConfigTest, BadFlags) {
  const std::pair<const char*, const char*> cases[] = {
      {"etcdurl", "expects key=value"},
      {"=http://a", "expects key=value"},
      {"etcdurll=http://a:2379", "did you mean 'etcdurl'"},
      {"etcdpasword=etcd-s3cret-value", "did you mean 'etcdpassword'"},
      {"etcdtimer=soon", "--etcd etcdtimer"},
      {"etcdurl=ftp://a", "--etcd etcdurl"},
      {"etcdpassword=etcd-s3cret-value", "--etcd etcdusername"},
  };
  for (const auto& [flag, part] : cases) {
    SCOPED_TRACE(flag);
    EtcdConfig etcd;
    absl::Status s = applyEtcdFlags({flag}, etcd);
    ASSERT_FALSE(s.ok());
    const std::string message(s.message());
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace gw::conf
