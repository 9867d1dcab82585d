#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conf/loader.h"
#include "test/conf/test_stores.h"

namespace gw::conf {
namespace {

constexpr char kFile[] = "micro-gw.conf";
constexpr char kSecret[] = "s3cr3t-Pa55";

absl::StatusOr<Config> load(const std::string& toml, const Environment& env = {}) {
  return loadConfigFromString(toml, kFile, env);
}

std::string tmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(LoadConfig, DefaultFile) {
  absl::StatusOr<Config> config =
      loadConfig("conf/micro-gw.conf", Environment::fromMap({{"HTTPS_PROXY", "http://e:1"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->file, "conf/micro-gw.conf");
  EXPECT_EQ(config->listener.host, "127.0.0.1");
  EXPECT_EQ(config->listener.http_port, 9090);
  EXPECT_EQ(config->listener.workers, 0);
  EXPECT_EQ(config->listener.max_uri_length, 4096u);
  EXPECT_EQ(config->listener.max_header_size, 8192u);
  EXPECT_EQ(config->listener.max_header_count, 100u);
  EXPECT_EQ(config->listener.headers_with_underscores, UnderscoreHeaderAction::Drop);
  EXPECT_EQ(config->listener.max_entity_body_size, 0u);
  EXPECT_EQ(config->listener.header_read_timeout_ms, 30000u);
  EXPECT_EQ(config->listener.idle_timeout_ms, 60000u);
  EXPECT_EQ(config->listener.drain_timeout_ms, 10000u);
  const HttpClientsConfig& clients = config->http_clients;
  EXPECT_EQ(clients.trust_store_path, "");
  EXPECT_TRUE(clients.verify_hostname);
  EXPECT_FALSE(clients.disable_ssl_verification);
  EXPECT_EQ(clients.connect_timeout_ms, 5000u);
  EXPECT_EQ(clients.pool_idle_timeout_ms, 30000u);
  EXPECT_EQ(clients.max_idle_connections_per_host, 100u);
  // The section is present, so the environment's HTTPS_PROXY is not used.
  EXPECT_FALSE(clients.proxy.enabled);
  EXPECT_FALSE(clients.proxy.enable_internal_services);
  EXPECT_EQ(clients.proxy.host, "localhost");
  EXPECT_EQ(clients.proxy.port, 3128);
  EXPECT_EQ(clients.proxy.password, "");
  EXPECT_TRUE(clients.proxy.non_proxy_hosts.empty());
  EXPECT_EQ(clients.proxy.http_mode, HttpProxyMode::Connect);
  EXPECT_EQ(clients.proxy.source, "micro-gw.conf");
  EXPECT_TRUE(config->admin.enabled);
  EXPECT_EQ(config->admin.host, "127.0.0.1");
  EXPECT_EQ(config->admin.port, 9797);
  EXPECT_EQ(config->admin.max_connections, 64u);
  EXPECT_TRUE(config->access_log.enabled);
  EXPECT_EQ(config->access_log.path, "-");
  EXPECT_EQ(config->chain_file, "conf/filters.yaml");
  EXPECT_TRUE(config->warnings.empty());
}

TEST(LoadConfig, MissingFile) {
  absl::StatusOr<Config> config = loadConfig("/nonexistent/micro-gw.conf", {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("/nonexistent/micro-gw.conf"), std::string::npos);
}

TEST(LoadConfig, EmptyFileGivesDefaults) {
  absl::StatusOr<Config> config = load("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listener.http_port, 9090);
  EXPECT_FALSE(config->http_clients.proxy.enabled);
  EXPECT_EQ(config->chain_file, "");  // no filters.yaml beside "micro-gw.conf": built-in
}

TEST(LoadConfig, AllKeysSet) {
  const std::string chain = tmpDir() + "/all-keys-chain.yaml";
  std::ofstream(chain) << "filters: []\n";
  const std::string ca = testing::makeTestStores(tmpDir(), "all-keys", "pw").cert_pem;
  absl::StatusOr<Config> config = load(absl::StrCat(R"(
[listenerConfig]
host = "0.0.0.0"
httpPort = 8080
workers = 256
maxHeaderCount = 50
headersWithUnderscoresAction = "reject"
maxEntityBodySize = 1048576
idleTimeoutInMillis = 1
[httpClients]
trustStorePath = ")",
                                                    ca, R"("
verifyHostname = false
maxIdleConnectionsPerHost = 0
[httpClients.proxy]
enable = true
host = "squid"
port = 65535
username = "u"
password = "p"
enableInternalServices = true
nonProxyHosts = ["localhost", ".corp", "10.0.0.0/8"]
httpMode = "forward"
protocol = "https"
proxyTrustStorePath = "/etc/gw/proxy-ca.pem"
[admin]
enabled = false
port = 1
maxConnections = 3
[accessLog]
path = "/var/log/gw.log"
[filters]
chainFile = ")",
                                                    chain, R"("
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listener.host, "0.0.0.0");
  EXPECT_EQ(config->listener.http_port, 8080);
  EXPECT_EQ(config->listener.workers, 256);
  EXPECT_EQ(config->listener.max_header_count, 50u);
  EXPECT_EQ(config->listener.headers_with_underscores, UnderscoreHeaderAction::Reject);
  EXPECT_EQ(config->listener.max_entity_body_size, 1048576u);
  EXPECT_EQ(config->listener.idle_timeout_ms, 1u);
  EXPECT_EQ(config->http_clients.trust_store_path, ca);
  EXPECT_FALSE(config->http_clients.verify_hostname);
  EXPECT_EQ(config->http_clients.max_idle_connections_per_host, 0u);
  const ProxyConfig& proxy = config->http_clients.proxy;
  EXPECT_TRUE(proxy.enabled);
  EXPECT_TRUE(proxy.enable_internal_services);
  EXPECT_EQ(proxy.host, "squid");
  EXPECT_EQ(proxy.port, 65535);
  EXPECT_EQ(proxy.username, "u");
  EXPECT_EQ(proxy.password, "p");
  EXPECT_EQ(proxy.non_proxy_hosts, (std::vector<std::string>{"localhost", ".corp", "10.0.0.0/8"}));
  EXPECT_EQ(proxy.http_mode, HttpProxyMode::Forward);
  EXPECT_EQ(proxy.protocol, "https");
  EXPECT_EQ(proxy.proxy_trust_store_path, "/etc/gw/proxy-ca.pem");
  EXPECT_FALSE(config->admin.enabled);
  EXPECT_EQ(config->admin.port, 1);
  EXPECT_EQ(config->admin.max_connections, 3u);
  EXPECT_EQ(config->access_log.path, "/var/log/gw.log");
  EXPECT_EQ(config->chain_file, chain);
}

TEST(LoadConfig, ChainFileRelativeToConfFile) {
  const std::string dir = tmpDir() + "/relative-chain";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/chain.yaml") << "filters: []\n";
  absl::StatusOr<Config> config =
      loadConfigFromString("[filters]\nchainFile = \"chain.yaml\"\n", dir + "/micro-gw.conf", {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->chain_file, dir + "/chain.yaml");
}

// Without [filters] chainFile: filters.yaml beside the conf file, else the
// built-in default chain ("" here, which loadFilterChain turns into it).
TEST(LoadConfig, ChainFileDefaultsToFiltersYamlBesideTheConfOrBuiltIn) {
  const std::string dir = tmpDir() + "/default-chain";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  absl::StatusOr<Config> config = loadConfigFromString("", dir + "/micro-gw.conf", {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->chain_file, "");
  config = loadConfigFromString("[filters]\n", dir + "/micro-gw.conf", {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->chain_file, "");
  std::ofstream(dir + "/filters.yaml") << "filters: []\n";
  config = loadConfigFromString("", dir + "/micro-gw.conf", {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->chain_file, dir + "/filters.yaml");
}

// An explicit chainFile that is missing is an error naming the key, found
// while micro-gw.conf is read (not after the API files).
TEST(LoadConfig, ExplicitChainFileMissingNamesTheKey) {
  const std::string dir = tmpDir() + "/missing-chain";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  absl::StatusOr<Config> config =
      loadConfigFromString("[filters]\nchainFile = \"chain.yaml\"\n", dir + "/micro-gw.conf", {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()),
            absl::StrCat(dir, "/micro-gw.conf: 'filters.chainFile': no such file: ", dir,
                         "/chain.yaml (fix the path, or remove the key to use filters.yaml beside "
                         "the conf file or else the built-in default chain)"));
}

struct EnableCase {
  const char* name;
  const char* keys;
  bool expected;
};

TEST(LoadConfig, EnableAndEnabledSpellings) {
  const EnableCase cases[] = {
      {"enabled only", "enabled = true", true},
      {"enable only (WSO2)", "enable = true", true},
      {"both true", "enable = true\nenabled = true", true},
      {"both false", "enable = false\nenabled = false", false},
      {"neither", "", false},
  };
  for (const EnableCase& c : cases) {
    absl::StatusOr<Config> config =
        load(absl::StrCat("[httpClients.proxy]\nhost = \"h\"\n", c.keys, "\n"));
    ASSERT_TRUE(config.ok()) << c.name << ": " << config.status();
    EXPECT_EQ(config->http_clients.proxy.enabled, c.expected) << c.name;
  }
}

struct ErrorCase {
  const char* name;
  std::string toml;
  std::string expected;  // the whole message
};

TEST(LoadConfig, Errors) {
  const ErrorCase cases[] = {
      {"misspelt key with suggestion", "[httpClients.proxy]\nenabel = true\n",
       "micro-gw.conf: unknown key 'httpClients.proxy.enabel' (did you mean 'enabled'?)"},
      {"misspelt listener key", "[listenerConfig]\nmaxUriLenght = 1\n",
       "micro-gw.conf: unknown key 'listenerConfig.maxUriLenght' (did you mean 'maxUriLength'?)"},
      {"misspelt header count", "[listenerConfig]\nmaxHeadersCount = 1\n",
       "micro-gw.conf: unknown key 'listenerConfig.maxHeadersCount' (did you mean "
       "'maxHeaderCount'?)"},
      {"misspelt underscore action", "[listenerConfig]\nheaderWithUnderscoresAction = \"drop\"\n",
       "micro-gw.conf: unknown key 'listenerConfig.headerWithUnderscoresAction' (did you mean "
       "'headersWithUnderscoresAction'?)"},
      {"unknown key without suggestion", "[admin]\nzzzzzzzz = 1\n",
       "micro-gw.conf: unknown key 'admin.zzzzzzzz'"},
      {"misspelt section", "[listenerconfig]\nhost = \"x\"\n",
       "micro-gw.conf: unknown section 'listenerconfig' (did you mean 'listenerConfig'?)"},
      {"misspelt subsection", "[httpClients.proxi]\nhost = \"x\"\n",
       "micro-gw.conf: unknown section 'httpClients.proxi' (did you mean 'proxy'?)"},
      {"top-level key", "foo = 1\n", "micro-gw.conf: unknown key 'foo'"},
      {"section is not a table", "admin = 1\n",
       "micro-gw.conf: 'admin' must be a table ([admin]), got an integer"},
      {"port as string", "[listenerConfig]\nhttpPort = \"9090\"\n",
       "micro-gw.conf: 'listenerConfig.httpPort' must be an integer, got a string"},
      {"port zero", "[listenerConfig]\nhttpPort = 0\n",
       "micro-gw.conf: 'listenerConfig.httpPort' must be between 1 and 65535, got 0"},
      {"admin port too big", "[admin]\nport = 65536\n",
       "micro-gw.conf: 'admin.port' must be between 1 and 65535, got 65536"},
      {"admin without connections", "[admin]\nmaxConnections = 0\n",
       "micro-gw.conf: 'admin.maxConnections' must be between 1 and 65535, got 0"},
      {"misspelt admin key", "[admin]\nmaxConnection = 8\n",
       "micro-gw.conf: unknown key 'admin.maxConnection' (did you mean 'maxConnections'?)"},
      {"proxy port too big", "[httpClients.proxy]\nport = 70000\n",
       "micro-gw.conf: 'httpClients.proxy.port' must be between 0 and 65535, got 70000"},
      {"timeout zero", "[httpClients]\nconnectTimeoutInMillis = 0\n",
       "micro-gw.conf: 'httpClients.connectTimeoutInMillis' must be between 1 and 4294967295, "
       "got 0"},
      {"negative timeout", "[listenerConfig]\ndrainTimeoutInMillis = -5\n",
       "micro-gw.conf: 'listenerConfig.drainTimeoutInMillis' must be between 1 and 4294967295, "
       "got -5"},
      {"too many workers", "[listenerConfig]\nworkers = 257\n",
       "micro-gw.conf: 'listenerConfig.workers' must be between 0 and 256, got 257"},
      {"float port", "[admin]\nport = 80.5\n",
       "micro-gw.conf: 'admin.port' must be an integer, got a float"},
      {"bool as string", "[httpClients]\nverifyHostname = \"yes\"\n",
       "micro-gw.conf: 'httpClients.verifyHostname' must be a boolean (true or false), got a "
       "string"},
      {"array as string", "[httpClients.proxy]\nnonProxyHosts = \"a,b\"\n",
       "micro-gw.conf: 'httpClients.proxy.nonProxyHosts' must be an array of strings, got a "
       "string"},
      {"array element", "[httpClients.proxy]\nnonProxyHosts = [1, 2]\n",
       "micro-gw.conf: 'httpClients.proxy.nonProxyHosts' must be an array of strings, element "
       "0 is not a string"},
      {"header count zero", "[listenerConfig]\nmaxHeaderCount = 0\n",
       "micro-gw.conf: 'listenerConfig.maxHeaderCount' must be between 1 and 4294967295, got 0"},
      {"underscore action", "[listenerConfig]\nheadersWithUnderscoresAction = \"ignore\"\n",
       "micro-gw.conf: 'listenerConfig.headersWithUnderscoresAction' must be \"drop\", "
       "\"reject\" or \"allow\", got \"ignore\""},
      {"http mode", "[httpClients.proxy]\nhttpMode = \"tunnel\"\n",
       "micro-gw.conf: 'httpClients.proxy.httpMode' must be \"connect\" or \"forward\", got "
       "\"tunnel\""},
      {"proxy protocol", "[httpClients.proxy]\nprotocol = \"socks5\"\n",
       "micro-gw.conf: 'httpClients.proxy.protocol' must be \"http\" or \"https\", got "
       "\"socks5\""},
      {"enable disagrees", "[httpClients.proxy]\nhost = \"h\"\nenable = true\nenabled = false\n",
       "micro-gw.conf: 'httpClients.proxy.enable' and micro-gw.conf: 'httpClients.proxy.enabled' "
       "disagree; they are the same setting (WSO2 spells it 'enable'), set only 'enabled'"},
      {"enabled without host", "[httpClients.proxy]\nenabled = true\n",
       "micro-gw.conf: 'httpClients.proxy.host' is required when 'enabled' or "
       "'enableInternalServices' is true"},
      {"internal services without host", "[httpClients.proxy]\nenableInternalServices = true\n",
       "micro-gw.conf: 'httpClients.proxy.host' is required when 'enabled' or "
       "'enableInternalServices' is true"},
      {"empty host", "[listenerConfig]\nhost = \"\"\n",
       "micro-gw.conf: 'listenerConfig.host' must not be empty"},
      {"two password sources", "[httpClients.proxy]\npasswordEnv = \"A\"\npasswordFile = \"/x\"\n",
       "micro-gw.conf: 'httpClients.proxy': set at most one of password, passwordEnv, "
       "passwordFile"},
      {"password env unset", "[httpClients.proxy]\npasswordEnv = \"MGW_UNSET_VAR\"\n",
       "micro-gw.conf: 'httpClients.proxy.passwordEnv': environment variable 'MGW_UNSET_VAR' is "
       "not set"},
      {"password file missing", "[httpClients.proxy]\npasswordFile = \"/nonexistent/pw\"\n",
       "micro-gw.conf: 'httpClients.proxy.passwordFile': cannot read '/nonexistent/pw': No such "
       "file or directory"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<Config> config = load(c.toml);
    ASSERT_FALSE(config.ok()) << c.name;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(std::string(config.status().message()), c.expected) << c.name;
  }
}

TEST(LoadConfig, SyntaxErrorNamesFileAndLine) {
  absl::StatusOr<Config> config = load("[admin]\nport = \n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()),
            "micro-gw.conf: invalid TOML at line 2, column 8 (key 'admin.port'): "
            "missing value after '='");
}

// Found by config_fuzz: cpptoml quotes the malformed line, which may be the password's.
TEST(LoadConfig, SyntaxErrorDoesNotQuoteThePassword) {
  absl::StatusOr<Config> c =
      loadConfigFromString("[httpClients.proxy]\n  host = \"squid\"\n  password: \"Hunter2pw\"\n",
                           "micro-gw.conf", Environment::fromMap({}));
  ASSERT_FALSE(c.ok());
  std::string message(c.status().message());
  EXPECT_EQ(message.find("Hunter2pw"), std::string::npos) << message;
  EXPECT_NE(message.find("micro-gw.conf: invalid TOML"), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
}

// One warning per entry of the WSO2 table (here the listener's token port).
TEST(LoadConfig, Wso2KeysAreWarnings) {
  absl::StatusOr<Config> config = load(
      "[listenerConfig]\ntokenListenerPort = 9096\nkeyStorePassword = \"ballerina\"\n"
      "httpPort = 9091\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listener.http_port, 9091);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_EQ(config->warnings[0].rfind("micro-gw.conf: 'listenerConfig.tokenListenerPort' is a "
                                      "WSO2 API Microgateway 3.2 setting microgw does not "
                                      "implement; ignored: there is no token endpoint",
                                      0),
            0u)
      << config->warnings[0];
  EXPECT_EQ(config->warnings[0].find("ballerina"), std::string::npos);
}

TEST(LoadConfig, PasswordEnv) {
  absl::StatusOr<Config> config =
      load("[httpClients.proxy]\npassword = \"\"\npasswordEnv = \"MGW_PW\"\n",
           Environment::fromMap({{"MGW_PW", "from-env"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_clients.proxy.password, "from-env");
}

TEST(LoadConfig, PasswordFile) {
  const std::string dir = tmpDir();
  struct Case {
    const char* content;
    const char* expected;
  };
  const Case cases[] = {{"filesecret\n", "filesecret"},
                        {"filesecret\r\n", "filesecret"},
                        {"no-newline", "no-newline"},
                        {"two\n\n", "two\n"}};
  for (const Case& c : cases) {
    std::ofstream(dir + "/pw") << c.content;
    // Absolute path, then a path relative to the conf file's directory.
    for (const std::string& path : {dir + "/pw", std::string("pw")}) {
      absl::StatusOr<Config> config =
          loadConfigFromString(absl::StrCat("[httpClients.proxy]\npasswordFile = \"", path, "\"\n"),
                               dir + "/micro-gw.conf", {});
      ASSERT_TRUE(config.ok()) << config.status();
      EXPECT_EQ(config->http_clients.proxy.password, c.expected) << path;
    }
  }
}

// No error message may contain a password, whatever its source.
TEST(LoadConfig, PasswordNeverInErrors) {
  const Environment env = Environment::fromMap({{"MGW_PW", kSecret}});
  const std::string proxy = absl::StrCat("[httpClients.proxy]\npassword = \"", kSecret, "\"\n");
  const std::string cases[] = {
      proxy + "passwordEnv = \"MGW_PW\"\n",
      proxy + "passwordFile = \"/x\"\n",
      proxy + "enabled = true\n",
      proxy + "enabel = true\n",
      proxy + "port = 70000\n",
      proxy + "httpMode = 1\n",
      absl::StrCat("[httpClients.proxy]\npassword = [\"", kSecret, "\"]\n"),
      absl::StrCat("[httpClients.proxy]\npassword = \"", kSecret, "\n"),  // unterminated
      "[httpClients.proxy]\npasswordEnv = \"MGW_PW\"\nenabled = true\n",
      "[httpClients.proxy]\npasswordEnv = \"MGW_PW\"\npassword = \"x\"\n",
      absl::StrCat("[httpClients]\nfoo = 1\n[httpClients.proxy]\npassword = \"", kSecret, "\"\n"),
  };
  for (const std::string& toml : cases) {
    absl::StatusOr<Config> config = load(toml, env);
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_EQ(config.status().message().find(kSecret), std::string::npos)
        << config.status().message();
  }
}

// [httpClients.poolConfig] (WSO2 3.2's keys) and requestBodyTimeoutInMillis.
TEST(LoadConfig, PoolConfigDefaults) {
  absl::StatusOr<Config> config = load("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_clients.pool.max_active_connections, -1);
  EXPECT_EQ(config->http_clients.pool.wait_time_ms, 30000u);
  EXPECT_EQ(config->http_clients.pool.max_active_streams_per_connection, 50);
  EXPECT_EQ(config->http_clients.max_idle_connections_per_host, 100u);
  EXPECT_EQ(config->listener.request_body_timeout_ms, 60000u);
}

TEST(LoadConfig, PoolConfigKeys) {
  absl::StatusOr<Config> config = load(R"(
[listenerConfig]
requestBodyTimeoutInMillis = 0
[httpClients.poolConfig]
maxActiveConnections = 8
maxIdleConnections = 4
waitTimeInMillis = 250
maxActiveStreamsPerConnection = -1
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_clients.pool.max_active_connections, 8);
  EXPECT_EQ(config->http_clients.pool.wait_time_ms, 250u);
  EXPECT_EQ(config->http_clients.pool.max_active_streams_per_connection, -1);
  EXPECT_EQ(config->http_clients.max_idle_connections_per_host, 4u);
  EXPECT_EQ(config->listener.request_body_timeout_ms, 0u);
  EXPECT_TRUE(config->warnings.empty());
}

TEST(LoadConfig, PoolConfigErrors) {
  struct Case {
    const char* toml;
    const char* error;
  };
  const Case cases[] = {
      {"[httpClients.poolConfig]\nmaxActiveConnections = 0\n",
       "micro-gw.conf: 'httpClients.poolConfig.maxActiveConnections' must be -1 (unlimited) or "
       "at least 1, got 0"},
      {"[httpClients.poolConfig]\nwaitTimeInMillis = -1\n",
       "micro-gw.conf: 'httpClients.poolConfig.waitTimeInMillis' must be between 0 and "
       "4294967295, got -1"},
      {"[httpClients]\nmaxIdleConnectionsPerHost = 2\n[httpClients.poolConfig]\n"
       "maxIdleConnections = 3\n",
       "micro-gw.conf: 'httpClients.maxIdleConnectionsPerHost' and micro-gw.conf: "
       "'httpClients.poolConfig.maxIdleConnections' are the same setting (WSO2 spells it "
       "poolConfig.maxIdleConnections): set only one"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Config> config = load(c.toml);
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_EQ(config.status().message(), c.error);
  }
  absl::StatusOr<Config> typo = load("[httpClients.poolConfig]\nmaxActiveConnection = 3\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'maxActiveConnections'"), std::string::npos)
      << typo.status().message();
}

}  // namespace
}  // namespace gw::conf
