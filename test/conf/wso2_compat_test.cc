// The WSO2 API Microgateway 3.2 key table (conf/wso2_compat.h) as the
// micro-gw.conf loader applies it, the README table generated from it, and the
// other WSO2 compatibility rules of the loader (${...} paths, PKCS#12 stores,
// WSO2 default values, all errors at once).

#include "conf/wso2_compat.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"
#include "conf/toml_section.h"
#include "test/conf/test_stores.h"

namespace gw::conf {
namespace {

std::string tmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

absl::StatusOr<Config> load(const std::string& toml, Environment env = Environment::fromMap({})) {
  return loadConfigFromString(toml, tmpDir() + "/micro-gw.conf", env);
}

std::string message(const absl::StatusOr<Config>& c) { return std::string(c.status().message()); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Wso2Table, LooksUpKeysSectionsAndWildcards) {
  ASSERT_EQ(findWso2Entries("analytics.fileUpload.enable").size(), 1u);
  EXPECT_EQ(findWso2Entries("analytics.fileUpload.enable")[0]->support, Wso2Support::Implemented);
  EXPECT_EQ(findWso2Entries("b7a.users.someone.password").size(), 1u);
  EXPECT_EQ(findWso2Entries("jwtTokenConfig[2].claims[0].localClaim").size(), 1u);
  EXPECT_EQ(findWso2Entries("keyManager.security.oauth2.enabled").size(), 1u);
  EXPECT_TRUE(findWso2Entries("analytics.fileUpload.enabel").empty());
  EXPECT_TRUE(isWso2Section("throttlingConfig.binary.agent"));
  EXPECT_FALSE(isWso2Section("analitics"));
  // A conditional refusal comes before the section's entry for the same key.
  auto entries = findWso2Entries("validationConfig.enableRequestValidation");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]->support, Wso2Support::Refused);
  EXPECT_EQ(entries[1]->support, Wso2Support::Implemented);
  entries = findWso2Entries("mutualSSLConfig.sslVerifyClient");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]->support, Wso2Support::Implemented);
}

// The README's table is the code's table (regenerate: bazel run //conf:wso2_compat_table).
TEST(Wso2Table, ReadmeAgreesWithTheCode) {
  std::ifstream in("README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string text = readme.str();
  const std::string begin = "<!-- wso2-compat-table:begin -->\n";
  const std::string end = "<!-- wso2-compat-table:end -->";
  const size_t from = text.find(begin);
  const size_t to = text.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(text.substr(from + begin.size(), to - from - begin.size()), wso2ReadmeTable())
      << "README.md's WSO2 table is out of date: bazel run //conf:wso2_compat_table";
}

TEST(Wso2Keys, OneWarningPerEntrySayingWhatIsNotDone) {
  absl::StatusOr<Config> c = load(R"(
[listenerConfig]
tokenListenerPort = 9096
[b7a.users.admin]
password = "d033e22ae348aeb5660fc2140aec35850c4da997"
[b7a.users.prometheus]
password = "x"
scopes = "observability"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 2u);
  EXPECT_TRUE(contains(c->warnings[0],
                       "[b7a.users] (here 'b7a.users.admin.password') are WSO2 API "
                       "Microgateway 3.2 settings microgw does not implement; ignored: "))
      << c->warnings[0];
  EXPECT_FALSE(contains(c->warnings[0], "d033e22"));
  EXPECT_TRUE(contains(c->warnings[1], "'listenerConfig.tokenListenerPort'")) << c->warnings[1];
  EXPECT_TRUE(contains(c->warnings[1], "there is no token endpoint")) << c->warnings[1];
}

// A WSO2 key the throttling reader does not implement warns once, naming it; the
// keys it does implement do not.
TEST(Wso2Keys, UnimplementedThrottlingConditionsWarn) {
  absl::StatusOr<Config> c = load(
      "[throttlingConfig]\nenableHeaderConditions = true\nenabledGlobalTMEventPublishing = "
      "false\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_TRUE(contains(c->warnings[0], "enableHeaderConditions")) << c->warnings[0];
  EXPECT_TRUE(contains(c->warnings[0], "does not implement")) << c->warnings[0];
}

TEST(Wso2Keys, DisabledSectionsAreSilent) {
  absl::StatusOr<Config> c = load(R"(
[http2]
enable = false
[analytics]
streamVersion = "3.2.0"
[analytics.fileUpload]
enable = false
uploadingEndpoint = "https://localhost:9444/analytics/v1.0/usage/upload-file"
[analytics.gRPCAnalytics]
enable = false
[b7a.observability.metrics]
enabled = false
reporter = "prometheus"
[b7a.observability.metrics.prometheus]
port = 9797
[jwtGeneratorConfig]
jwtGeneratorEnabled = false
[jwtGeneratorConfig.jwtGeneratorCaching]
tokenCacheEnable = true
[keymanager.security.oauth2]
enabled = false
[keymanager.security.oauth2.password]
enabled = false
[tokenRevocationConfig.realtime]
enableRealtimeMessageRetrieval = false
[validationConfig]
enableRequestValidation = false
[security]
validateSubscriptions = false
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
}

TEST(Wso2Keys, RefusedWhenIgnoringWouldWeakenSecurity) {
  const std::pair<const char*, const char*> cases[] = {
      {"[validationConfig]\nenableRequestValidation = true\n",
       "'validationConfig.enableRequestValidation' = true is refused"},
      {"[security]\nvalidateSubscriptions = true\n", "'security.validateSubscriptions' = true"},
      {"[tokenRevocationConfig.realtime]\nenableRealtimeMessageRetrieval = true\n",
       "revoked tokens would stay valid"},
  };
  for (const auto& [toml, expected] : cases) {
    absl::StatusOr<Config> c = load(toml);
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_TRUE(contains(message(c), expected)) << message(c);
  }
  // Implemented now: without a TLS listener, "optional" has nothing to say.
  absl::StatusOr<Config> c = load("[mutualSSLConfig]\nsslVerifyClient = \"optional\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty());
}

TEST(Wso2Keys, UnknownKeysAreErrorsWithAHintEvenInsideWso2Sections) {
  const std::pair<const char*, const char*> cases[] = {
      {"[analytics.fileUpload]\nenabel = false\n",
       "unknown key 'analytics.fileUpload.enabel' (did you mean 'enable'?)"},
      {"[analitics]\nstreamVersion = \"3.2.0\"\n",
       "unknown section 'analitics' (did you mean 'analytics'?)"},
      {"[listenerConfig]\nhttpsProt = 9095\n",
       "unknown key 'listenerConfig.httpsProt' (did you mean 'httpsPort'?)"},
      {"[[jwtTokenConfg]]\nissuer = \"i\"\n",
       "unknown section 'jwtTokenConfg' (did you mean 'jwtTokenConfig'?)"},
      {"[throttlingConfig.binary.agnet]\nqueueSize = 1\n",
       "unknown section 'throttlingConfig.binary.agnet' (did you mean 'agent'?)"},
  };
  for (const auto& [toml, expected] : cases) {
    absl::StatusOr<Config> c = load(toml);
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_TRUE(contains(message(c), expected)) << message(c);
    EXPECT_FALSE(contains(message(c), "does not implement")) << message(c);
  }
}

TEST(Wso2Keys, JwtTokenConfigArrayIsNeverAnUnknownKey) {
  absl::StatusOr<Config> c = load(R"(
[[jwtTokenConfig]]
issuer = "https://localhost:9443/oauth2/token"
jwksURL = "https://localhost:9443/oauth2/jwks"
claimMapperClassName = "org.wso2.micro.gateway.jwtTransformer.DefaultJwtTransformer"
remoteUserClaimRetrievalEnabled = false
  [[jwtTokenConfig.claims]]
  remoteClaim = "scp"
  localClaim = "scope"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
  c = load(
      "[[jwtTokenConfig]]\nissuer = \"i\"\njwksURL = \"http://km/jwks\"\n"
      "claimMapperClassName = \"com.example.Mapper\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_TRUE(contains(c->warnings[0], "custom Java claim mappers")) << c->warnings[0];
}

TEST(LoadErrors, AllErrorsOfAFileAtOnceEachWithFileAndKey) {
  absl::StatusOr<Config> c = load(R"(
[listenerConfig]
httpPort = 0
maxUriLenght = 1
[httpClients]
verifyHostname = "yes"
[admin]
port = 99999
[analytics.fileUpload]
enabel = true
)");
  ASSERT_FALSE(c.ok());
  const std::string m = message(c);
  EXPECT_TRUE(contains(m, "5 configuration errors:\n  " + tmpDir() + "/micro-gw.conf: ")) << m;
  for (const char* key :
       {"'listenerConfig.httpPort'", "'listenerConfig.maxUriLenght'",
        "'httpClients.verifyHostname'", "'admin.port'", "'analytics.fileUpload.enabel'"}) {
    EXPECT_TRUE(contains(m, key)) << key << "\n" << m;
  }
}

TEST(LoadErrors, AtMostTwentyAreListed) {
  std::string toml = "[admin]\n";
  for (int i = 0; i < 25; ++i) absl::StrAppend(&toml, "zz", i, " = 1\n");
  absl::StatusOr<Config> c = load(toml);
  ASSERT_FALSE(c.ok());
  const std::string m = message(c);
  EXPECT_TRUE(contains(m, "25 configuration errors:")) << m;
  EXPECT_TRUE(contains(m, "... and 5 more")) << m;
}

TEST(Wso2Defaults, AreValid) {
  absl::StatusOr<Config> c = load(R"(
[listenerConfig]
keepAlive = "AUTO"
maxPipelinedRequests = 10
maxEntityBodySize = -1
[httpClients.proxy]
enable = false
host = ""
port = 0
username = ""
password = ""
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listener.max_entity_body_size, 0u);  // unlimited
  EXPECT_EQ(c->listener.keep_alive, KeepAliveMode::Auto);
  EXPECT_EQ(c->listener.max_pipelined_requests, 10);
  c = load("[listenerConfig]\nkeepAlive = \"NEVER\"\nmaxPipelinedRequests = -1\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listener.keep_alive, KeepAliveMode::Never);
  EXPECT_EQ(c->listener.max_pipelined_requests, -1);
  c = load("[listenerConfig]\nkeepAlive = \"ALWAYS\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listener.keep_alive, KeepAliveMode::Always);
  c = load("[listenerConfig]\nkeepAlive = \"sometimes\"\nmaxPipelinedRequests = 0\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(message(c),
                       "'listenerConfig.keepAlive' must be \"AUTO\", \"ALWAYS\" or "
                       "\"NEVER\""))
      << message(c);
  EXPECT_TRUE(contains(message(c), "'listenerConfig.maxPipelinedRequests' must be -1"))
      << message(c);
  // An enabled proxy still needs a port.
  c = load("[httpClients.proxy]\nenable = true\nhost = \"squid\"\nport = 0\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(message(c), "'httpClients.proxy.port' must be 1-65535")) << message(c);
}

TEST(Paths, RuntimeHomeAndEnvironmentAreExpanded) {
  const testing::TestStores stores = testing::makeTestStores(tmpDir(), "expand", "ballerina");
  Environment env = Environment::fromMap({{"STORE_DIR", tmpDir()}});
  env.runtime_home = tmpDir();
  absl::StatusOr<Config> c = load(R"(
[httpClients]
trustStorePath = "${mgw-runtime.home}/expand.trust.p12"
trustStorePassword = "ballerina"
[accessLog]
path = "${STORE_DIR}/access.log"
)",
                                  env);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_clients.trust_store_path, stores.trust_p12);
  EXPECT_EQ(c->http_clients.trust_store_password, "ballerina");
  EXPECT_EQ(c->access_log.path, tmpDir() + "/access.log");

  c = load("[httpClients]\ntrustStorePath = \"${mgw-runtime.home}/x.p12\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(message(c),
                       "'httpClients.trustStorePath' uses ${mgw-runtime.home}, which "
                       "is not defined: start microgw with --runtime-home"))
      << message(c);
  c = load("[accessLog]\npath = \"${NO_SUCH_VAR}/a.log\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(message(c), "'accessLog.path' uses ${NO_SUCH_VAR}, which is not set"))
      << message(c);
}

TEST(Stores, Pkcs12AndPemLoadAndBrokenOnesAreErrors) {
  const testing::TestStores s = testing::makeTestStores(tmpDir(), "stores", "ballerina");
  absl::StatusOr<Config> c = load(absl::StrCat(R"(
[listenerConfig]
keyStorePath = ")",
                                               s.key_p12, R"("
keyStorePassword = "ballerina"
trustStorePath = ")",
                                               s.trust_p12, R"("
trustStorePassword = "ballerina"
[httpClients.sslConfig]
keyStorePath = ")",
                                               s.key_pem, R"("
trustStorePath = ")",
                                               s.cert_pem, R"("
)"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_clients.trust_store_path, s.cert_pem);

  const std::string jks = tmpDir() + "/stores.jks";
  std::ofstream(jks) << "\xfe\xed\xfe\xed rest of a java keystore";
  const std::pair<std::string, std::string> cases[] = {
      {absl::StrCat("[httpClients]\ntrustStorePath = \"", s.trust_p12,
                    "\"\ntrustStorePassword = \"Wrong-Pa55\"\n"),
       "'httpClients.trustStorePath': " + s.trust_p12 +
           ": the PKCS#12 store does not open with the configured password"},
      {"[httpClients]\ntrustStorePath = \"/no/such/store.p12\"\n",
       "'httpClients.trustStorePath': /no/such/store.p12: cannot open"},
      {absl::StrCat("[listenerConfig]\nkeyStorePath = \"", s.cert_pem, "\"\n"),
       "'listenerConfig.keyStorePath': " + s.cert_pem + ": no private key in the key store"},
      {absl::StrCat("[httpClients]\ntrustStorePath = \"", jks, "\"\n"),
       "a Java KeyStore (JKS), which is not supported"},
  };
  for (const auto& [toml, expected] : cases) {
    c = load(toml);
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_TRUE(contains(message(c), expected)) << message(c);
    EXPECT_FALSE(contains(message(c), "Wrong-Pa55"));
  }
}

// WSO2's certificateAlias names an entry of listenerConfig's trust store; a
// path to a PEM file works too.
TEST(Stores, CertificateAliasIsATrustStoreEntryOrAFile) {
  const testing::TestStores s = testing::makeTestStores(tmpDir(), "wso2apim310", "ballerina");
  const std::string listener = absl::StrCat("[listenerConfig]\ntrustStorePath = \"", s.trust_p12,
                                            "\"\ntrustStorePassword = \"ballerina\"\n");
  absl::StatusOr<Config> c = load(listener + R"(
[[jwtTokenConfig]]
issuer = "https://localhost:9443/oauth2/token"
certificateAlias = "wso2apim310"
jwksURL = ""
[apikey.tokenConfigs]
certificateAlias = "WSO2APIM310"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->security.jwt_issuers.size(), 1u);
  EXPECT_EQ(c->security.jwt_issuers[0].certificate_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(c->security.apikey_certificate_pem, c->security.jwt_issuers[0].certificate_pem);

  c = load(absl::StrCat("[[jwtTokenConfig]]\nissuer = \"i\"\ncertificateAlias = \"", s.cert_pem,
                        "\"\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->security.jwt_issuers[0].certificate_pem.empty());

  c = load(listener + "[[jwtTokenConfig]]\nissuer = \"i\"\ncertificateAlias = \"nobody\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(contains(message(c),
                       "'jwtTokenConfig[0].certificateAlias': 'nobody' is neither a PEM "
                       "file"))
      << message(c);
}

}  // namespace
}  // namespace gw::conf
