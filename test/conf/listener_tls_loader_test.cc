// [listenerConfig] TLS keys and [mutualSSLConfig] through loadConfigFromString.

#include "conf/listener_tls_loader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"
#include "test/conf/test_stores.h"

namespace gw::conf {
namespace {

std::string tmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

absl::StatusOr<Config> load(const std::string& toml) {
  return loadConfigFromString(toml, "micro-gw.conf", Environment::fromMap({}));
}

std::string message(const absl::StatusOr<Config>& c) { return std::string(c.status().message()); }

class ListenerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { s_ = testing::makeTestStores(tmpDir(), "listener", "Store-Pa55"); }
  std::string keyStore(const std::string& extra = "") const {
    return absl::StrCat("[listenerConfig]\nhttpsPort = 9443\nkeyStorePath = \"", s_.key_p12,
                        "\"\nkeyStorePassword = \"", s_.password, "\"\n", extra);
  }
  testing::TestStores s_;
};

TEST_F(ListenerTlsTest, DefaultsAreWso2s) {
  absl::StatusOr<Config> c = load("");
  ASSERT_TRUE(c.ok()) << c.status();
  const ListenerTlsConfig& tls = c->listener.tls;
  EXPECT_EQ(tls.https_port, 9095);
  EXPECT_FALSE(tls.enabled()) << "no key store, no TLS listener";
  EXPECT_EQ(tls.min_version, 0x0303);
  EXPECT_EQ(tls.max_version, 0x0304);
  EXPECT_EQ(tls.certificate_header_name, "X-WSO2-CLIENT-CERTIFICATE");
  EXPECT_EQ(tls.verify_client, ClientCertMode::None) << "optional, but there is no trust store";
  EXPECT_TRUE(c->warnings.empty());
}

TEST_F(ListenerTlsTest, KeyStoreTurnsTheListenerOnAndPortZeroOff) {
  absl::StatusOr<Config> c = load(keyStore());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->listener.tls.enabled());
  EXPECT_EQ(c->listener.tls.https_port, 9443);
  EXPECT_EQ(c->listener.tls.key_store_path, s_.key_p12);
  c = load(absl::StrCat("[listenerConfig]\nhttpsPort = 0\nkeyStorePath = \"", s_.key_p12,
                        "\"\nkeyStorePassword = \"", s_.password, "\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->listener.tls.enabled());
  c = load("[listenerConfig]\nhttpsPort = 9443\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("no key store is configured"), std::string::npos);
}

TEST_F(ListenerTlsTest, PemPair) {
  absl::StatusOr<Config> c =
      load(absl::StrCat("[listenerConfig]\ncertificateFile = \"", s_.cert_pem, "\"\nkeyFile = \"",
                        s_.key_pem, "\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->listener.tls.enabled());
  c = load(absl::StrCat("[listenerConfig]\ncertificateFile = \"", s_.cert_pem, "\"\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(message(c).find("'listenerConfig.keyFile' is missing"), std::string::npos)
      << message(c);
}

TEST_F(ListenerTlsTest, WrongPasswordNamesTheFileNotThePassword) {
  absl::StatusOr<Config> c = load(absl::StrCat("[listenerConfig]\nkeyStorePath = \"", s_.key_p12,
                                               "\"\nkeyStorePassword = \"Wr0ng-Pa55\"\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(message(c).find(absl::StrCat("'listenerConfig.keyStorePath': ", s_.key_p12,
                                         ": the PKCS#12 store does not open")),
            std::string::npos)
      << message(c);
  EXPECT_EQ(message(c).find("Wr0ng-Pa55"), std::string::npos);
}

TEST_F(ListenerTlsTest, MutualSslConfig) {
  absl::StatusOr<Config> c = load(keyStore(
      absl::StrCat("trustStorePath = \"", s_.trust_p12, "\"\ntrustStorePassword = \"", s_.password,
                   "\"\n[mutualSSLConfig]\nprotocolVersions = \"TLSv1.2,TLSv1.1\"\n"
                   "ciphers = \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_NO_SUCH_CIPHER\"\n"
                   "sslVerifyClient = \"require\"\ncertificateHeaderName = \"X-Client-Cert\"\n")));
  ASSERT_TRUE(c.ok()) << c.status();
  const ListenerTlsConfig& tls = c->listener.tls;
  EXPECT_EQ(tls.min_version, 0x0303);
  EXPECT_EQ(tls.max_version, 0x0303);
  EXPECT_EQ(tls.cipher_list, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(tls.verify_client, ClientCertMode::Require);
  EXPECT_EQ(tls.certificate_header_name, "X-Client-Cert");
  ASSERT_EQ(c->warnings.size(), 2u);
  EXPECT_NE(c->warnings[0].find("TLSv1.1 not offered"), std::string::npos) << c->warnings[0];
  EXPECT_NE(c->warnings[1].find("TLS_NO_SUCH_CIPHER"), std::string::npos) << c->warnings[1];
}

TEST_F(ListenerTlsTest, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {keyStore("[mutualSSLConfig]\nsslVerifyClient = \"require\"\n"),
       "'mutualSSLConfig.sslVerifyClient' = \"require\" needs listenerConfig.trustStorePath"},
      {"[mutualSSLConfig]\nsslVerifyClient = \"always\"\n",
       "must be \"optional\", \"require\" or \"none\", got \"always\""},
      {"[mutualSSLConfig]\nprotocolVersions = \"TLSv1.1\"\n", "names no version microgw offers"},
      {"[mutualSSLConfig]\nprotocolVersions = \"TLSv2\"\n", "unknown version 'TLSv2'"},
      {"[mutualSSLConfig]\nciphers = \"NOPE\"\n", "names no cipher this OpenSSL offers"},
      {"[mutualSSLConfig]\nsslVerifyClent = \"optional\"\n", "did you mean 'sslVerifyClient'"},
      {"[listenerConfig]\nhttpPort = 9443\nhttpsPort = 9443\n", "give the TLS listener its own"},
  };
  for (const auto& [toml, expected] : cases) {
    absl::StatusOr<Config> c = load(toml);
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_NE(message(c).find(expected), std::string::npos) << message(c);
  }
}

}  // namespace
}  // namespace gw::conf
