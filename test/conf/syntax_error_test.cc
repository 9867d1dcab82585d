// Syntax errors in micro-gw.conf and the YAML files name the file, line,
// column and (known) key, and never quote the input: the line may hold a secret.

#include "conf/syntax_error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "conf/known_keys.h"
#include "conf/loader.h"

namespace gw::conf {
namespace {

constexpr char kSecret[] = "Zq9-S3cr3t-xK";
// A second secret on the lines that follow, swallowed by unclosed strings.
constexpr char kSecret2[] = "Wv7-N3xtL1ne";

// Every secret-bearing key of micro-gw.conf, with WSO2 3.2's spelling; most of
// these sections are not implemented, but a syntax error comes first.
const char* const kSecretKeys[] = {
    "httpClients.proxy.password",
    "httpClients.trustStorePassword",
    "httpClients.sslConfig.keyStorePassword",
    "httpClients.sslConfig.trustStorePassword",
    "listenerConfig.keyStorePassword",
    "listenerConfig.trustStorePassword",
    "keyManager.password",
    "keymanager.security.basic.password",
    "keymanager.security.oauth2.clientCredential.clientSecret",
    "keymanager.security.oauth2.password.password",
    "keymanager.security.oauth2.directToken.accessToken",
    "keymanager.security.oauth2.refresh.refreshToken",
    "etcdpassword",
    "analytics.password",
    "analytics.fileUpload.password",
    "analytics.choreoAnalytics.authToken",
    "throttlingConfig.throttleEndpointbase64Header",
    "throttlingConfig.jmsConnectionPassword",
    "throttlingConfig.dataRetriever.password",
    "throttlingConfig.binary.password",
    "tokenRevocationConfig.persistent.password",
    "tokenRevocationConfig.realtime.jmsConnectionPassword",
    "apikey.issuer.tokenConfig.keyStorePassword",
    "apim.eventHub.password",
    "apim.credentials.password",
    "b7a.users.admin.password",
};

struct Form {
  const char* name;
  const char* text;  // after the key; SECRET and SECRET2 are replaced
  bool names_key;    // the message must name the key
};

// Malformed ways to write `key = "SECRET"`, each followed by "\nSECRET2 = 1\n".
const Form kTomlForms[] = {
    {"colon", ": SECRET", true},
    {"colon quoted", ": \"SECRET\"", true},
    {"space", " SECRET", true},
    {"tab", "\tSECRET", true},
    {"no separator", "SECRET", false},  // one bare word: the key is not known
    {"unquoted", " = SECRET", true},
    {"unclosed double quote", " = \"SECRET", true},
    {"unclosed single quote", " = 'SECRET", true},
    {"escaped closing quote", " = \"SECRET\\\"", true},
    {"invalid escape", " = \"SEC\\qRET\"", true},
    {"missing value", " =", true},
    {"value on the next line", " =\n\"SECRET\"", true},
    {"trailing garbage", " = \"SECRET\" SECRET", true},
    {"trailing garbage, no blank", " = \"SECRET\"garbage", true},
    {"unclosed multi-line basic", " = \"\"\"SECRET\nSECRET2 more", true},
    {"unclosed multi-line literal", " = '''SECRET\nSECRET2: x", true},
    {"unclosed inline table", " = { value = \"SECRET\"", true},
    {"inline table, bad separator", " = { value: \"SECRET\" }", true},
    {"unclosed array", " = [\"SECRET\"", true},
    {"unclosed multi-line array", " = [\n  \"SECRET\",\n  \"SECRET2\"", true},
    {"multi-line array, missing comma", " = [\n  \"SECRET\"\n  \"SECRET2\"\n]", true},
    {"mixed array", " = [\"SECRET\", 1]", true},
    {"given twice", " = \"x\"\nKEY = \"SECRET\"", true},
};

std::string fill(absl::string_view text, absl::string_view key) {
  return absl::StrReplaceAll(text, {{"SECRET2", kSecret2}, {"SECRET", kSecret}, {"KEY", key}});
}

TEST(TomlSyntaxError, SecretKeysInEveryMalformedFormAreNeverQuoted) {
  for (const char* dotted : kSecretKeys) {
    const std::string full(dotted);
    const size_t dot = full.rfind('.');
    const std::string table = dot == std::string::npos ? "" : full.substr(0, dot);
    const std::string key = dot == std::string::npos ? full : full.substr(dot + 1);
    for (const Form& form : kTomlForms) {
      // Line 1-3 a valid prefix, line 4 the table header (or a comment), line 5 the key.
      const std::string toml =
          absl::StrCat("# micro-gw.conf\netcdurl = \"http://127.0.0.1:2379\"\n\n",
                       table.empty() ? "# root keys\n" : absl::StrCat("[", table, "]\n"), key,
                       fill(form.text, key), "\n", kSecret2, " = 1\n");
      absl::StatusOr<Config> config =
          loadConfigFromString(toml, "conf/micro-gw.conf", Environment::fromMap({}));
      const std::string where = absl::StrCat(dotted, " / ", form.name, ":\n", toml);
      ASSERT_FALSE(config.ok()) << where;
      const std::string message(config.status().message());
      EXPECT_EQ(message.find(kSecret), std::string::npos) << where << "\n" << message;
      EXPECT_EQ(message.find(kSecret2), std::string::npos) << where << "\n" << message;
      EXPECT_EQ(message.find("SEC"), std::string::npos) << where << "\n" << message;
      EXPECT_EQ(message.rfind("conf/micro-gw.conf: invalid TOML at line ", 0), 0u) << where << "\n"
                                                                                   << message;
      const bool twice = std::string(form.name) == "given twice";
      EXPECT_NE(message.find(twice ? "at line 6, column " : "at line 5, column "),
                std::string::npos)
          << where << "\n"
          << message;
      if (form.names_key) {
        EXPECT_NE(message.find(absl::StrCat("(key '", dotted, "')")), std::string::npos)
            << where << "\n"
            << message;
      }
    }
  }
}

TEST(TomlSyntaxError, ExactMessages) {
  struct Case {
    const char* toml;
    const char* expected;
  };
  const Case cases[] = {
      {"[httpClients.proxy]\nhost = \"h\"\npassword: S3cr3t\n",
       "f.conf: invalid TOML at line 3, column 9 (key 'httpClients.proxy.password'): "
       "expected '=' between the key and its value"},
      {"[httpClients.proxy]\npassword S3cr3t\n",
       "f.conf: invalid TOML at line 2, column 10 (key 'httpClients.proxy.password'): "
       "expected '=' between the key and its value"},
      {"[httpClients.proxy]\n  password = \"S3cr3t\n",
       "f.conf: invalid TOML at line 2, column 14 (key 'httpClients.proxy.password'): "
       "unclosed quote"},
      {"[admin]\nport = \n",
       "f.conf: invalid TOML at line 2, column 8 (key 'admin.port'): missing value after '='"},
      {"[admin]\nport = 9797 x\n",
       "f.conf: invalid TOML at line 2, column 8 (key 'admin.port'): "
       "unexpected text after the value (a comment starts with '#')"},
      {"password = \"\"\"S3cr3t\nline two\nline three\n",
       "f.conf: invalid TOML at line 1, column 12 (key 'password'): "
       "unclosed multi-line string (\"\"\" or ''')"},
      {"S3cr3t\n", "f.conf: invalid TOML at line 1, column 7: a key needs '= value'"},
      {"# nonProxyHosts = [\n[admin]\nport: 1\n",
       "f.conf: invalid TOML at line 3, column 5 (key 'admin.port'): "
       "expected '=' between the key and its value"},
      {"[mySecretTable]\nS3cr3t: x\n",
       "f.conf: invalid TOML at line 2, column 7: expected '=' between the key and its value"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(std::string(loadConfigFromString(c.toml, "f.conf", {}).status().message()),
              c.expected)
        << c.toml;
  }
}

constexpr char kApiHead[] =
    "openapi: 3.0.1\n"
    "info: {title: T, version: '1'}\n"
    "x-wso2-basePath: /t\n"
    "x-wso2-production-endpoints:\n"
    "  urls: ['http://b:1']\n"
    "  securityConfig:\n"
    "    type: basic\n"
    "    username: u\n";
constexpr char kApiTail[] = "paths:\n  /a:\n    get: {}\n";

// Malformed `password: SECRET` lines (line 9 of the API file).
const Form kYamlForms[] = {
    {"unclosed double quote", "    password: \"SECRET\n    x: SECRET2\n", false},
    {"unclosed single quote", "    password: 'SECRET\n    x: SECRET2\n", false},
    {"trailing garbage", "    password: \"SECRET\" SECRET2\n", true},
    {"second colon", "    password: SECRET: SECRET2\n", true},
    {"invalid escape", "    password: \"SEC\\qRET\"\n", true},
    {"tab indentation", "\tpassword: SECRET\n", false},
    {"unclosed flow list", "    password: [SECRET\n", false},
    {"unclosed flow map", "    password: {v: SECRET\n", false},
    {"no colon", "    password SECRET\n    x: SECRET2\n", true},
    {"glued colon", "    password:SECRET\n    x: SECRET2\n", true},
    {"bad block scalar", "    password: |\n  SECRET\n     x: SECRET2\n", false},
    {"value as a key", "    password:\n      SECRET: SECRET2\n", false},
};

TEST(YamlSyntaxError, ApiSecretsAreNeverQuoted) {
  for (const Form& form : kYamlForms) {
    const std::string yaml = absl::StrCat(kApiHead, fill(form.text, "password"), kApiTail);
    absl::StatusOr<ApiDefinition> api = loadApiFromString(yaml, "apis/t.yaml", {});
    const std::string where = absl::StrCat(form.name, ":\n", yaml);
    ASSERT_FALSE(api.ok()) << where;
    const std::string message(api.status().message());
    EXPECT_EQ(message.find(kSecret), std::string::npos) << where << "\n" << message;
    EXPECT_EQ(message.find(kSecret2), std::string::npos) << where << "\n" << message;
    EXPECT_EQ(message.find("SEC"), std::string::npos) << where << "\n" << message;
    EXPECT_EQ(message.rfind("apis/t.yaml: ", 0), 0u) << where << "\n" << message;
    if (form.names_key) {
      EXPECT_NE(message.find("line 9, column "), std::string::npos) << where << "\n" << message;
      EXPECT_NE(message.find("(key 'x-wso2-production-endpoints.securityConfig.password')"),
                std::string::npos)
          << where << "\n"
          << message;
    }
  }
}

TEST(YamlSyntaxError, EndpointProxyPasswordsAreNeverQuoted) {
  const char* const forms[] = {"\"SECRET", "'SECRET",    "\"SECRET\" x",  "SECRET: y",
                               "[SECRET",  "{a: SECRET", "\"S\\qSECRET\""};
  for (const char* form : forms) {
    const std::string yaml = absl::StrCat(
        "openapi: 3.0.1\ninfo: {title: T, version: '1'}\nx-wso2-basePath: /t\n"
        "x-wso2-production-endpoints:\n  urls: ['http://b:1']\n  proxy:\n    host: p\n"
        "    password: ",
        fill(form, ""), "\n", kApiTail);
    absl::StatusOr<ApiDefinition> api = loadApiFromString(yaml, "apis/t.yaml", {});
    ASSERT_FALSE(api.ok()) << yaml;
    EXPECT_EQ(api.status().message().find("SEC"), std::string::npos) << api.status();
  }
}

// Valid YAML, but a value glued to its key (`password:S3cr3t`) becomes a key:
// the unknown-key error must not echo it.
TEST(YamlKeys, KeyWithItsValueGluedOnIsNeverQuoted) {
  struct Case {
    const char* line;
    const char* expected;
  };
  const Case cases[] = {
      // YAML reads this line as one scalar and fails on the next: the error names this one.
      {"    password:SECRET\n",
       "apis/t.yaml: invalid YAML at line 8, column 13 (key "
       "'x-wso2-production-endpoints.proxy.password'): expected ': ' (a colon and a blank) "
       "between the key and its value"},
      {"    password SECRET: 1\n",
       "apis/t.yaml: x-wso2-production-endpoints.proxy.password: expected ': ' (a colon and a "
       "blank) between the key and its value"},
      {"    password=SECRET: 1\n",
       "apis/t.yaml: x-wso2-production-endpoints.proxy.password: expected ': ' (a colon and a "
       "blank) between the key and its value"},
      {"    pw:SECRET: 1\n",
       "apis/t.yaml: x-wso2-production-endpoints.proxy: unknown key with blanks, ':' or '=' in "
       "it (not shown: it may hold a value); write 'key: value'"},
  };
  for (const Case& c : cases) {
    const std::string yaml = absl::StrCat(
        "openapi: 3.0.1\ninfo: {title: T, version: '1'}\nx-wso2-basePath: /t\n"
        "x-wso2-production-endpoints:\n  urls: ['http://b:1']\n  proxy:\n    host: p\n",
        fill(c.line, ""), kApiTail);
    absl::StatusOr<ApiDefinition> api = loadApiFromString(yaml, "apis/t.yaml", {});
    ASSERT_FALSE(api.ok()) << yaml;
    EXPECT_EQ(std::string(api.status().message()), c.expected) << yaml;
  }
  absl::StatusOr<FilterChainConfig> chain =
      loadFilterChainFromString(absl::StrCat("filters:\n  - name:", kSecret, "\n"), "chain.yaml");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().message().find(kSecret), std::string::npos) << chain.status();
}

TEST(YamlSyntaxError, FilterChainExactMessage) {
  absl::StatusOr<FilterChainConfig> chain =
      loadFilterChainFromString("filters:\n  - name: router\n    config: \"a\" b\n", "chain.yaml");
  EXPECT_EQ(std::string(chain.status().message()),
            "chain.yaml: invalid YAML at line 3, column 17 (key 'filters.config'): "
            "end of map not found");
}

TEST(SyntaxError, OnlyKnownNames) {
  EXPECT_TRUE(isKnownKeyName("password"));
  EXPECT_TRUE(isKnownKeyName("throttleEndpointbase64Header"));
  EXPECT_TRUE(isKnownKeyName("x-wso2-production-endpoints"));
  EXPECT_FALSE(isKnownKeyName("S3cr3t"));
  EXPECT_FALSE(isKnownKeyName(""));
}

}  // namespace
}  // namespace gw::conf
