#pragma once

// [tokenRevocationConfig.persistent] of micro-gw.conf (WSO2's keys): where
// revoked tokens are read from. Only type = "etcd" is implemented: the etcd v2
// keyspace WSO2 API Manager writes (endpointURL = "http://etcd:2379/v2/keys/<dir>/",
// one key per revoked jti), or an etcd v3 key prefix through etcd's JSON
// gateway when endpointURL's path starts with /v3 ("http://etcd:2379/v3/<prefix>").
//
// Part of the typed model (//conf:config); filters/token_revocation reads it.
// readTokenRevocationConfig() is a template on the loader's TOML section type
// (conf/toml_section.h) so that //conf:config does not depend on the loader.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace gw::conf {

// Where to read, parsed from endpointURL.
struct EtcdEndpoint {
  std::string base;    // "http://127.0.0.1:2379" (scheme and authority)
  bool v3 = false;     // path starts with /v3
  std::string path;    // v2: the directory URL path ("/v2/keys/wso2/revoked/")
  std::string prefix;  // v3: the key prefix (what follows "/v3": "/mgw/revoked/")
};

struct RevocationConfig {
  bool enabled = false;          // enablePersistentStorageRetrieval
  std::string type = "default";  // WSO2's default (the API Manager's data service); "etcd" here
  std::string endpoint_url;      // endpointURL
  std::string username;          // v2: basic auth; v3: /v3/auth/authenticate
  std::string password;          // never logged
  EtcdEndpoint etcd;             // from endpoint_url, when enabled
};

// "<file>: 'tokenRevocationConfig.persistent.<key>'" for messages.
using RevocationKeyNamer = std::function<std::string(std::string_view key)>;

// Checks an enabled config and fills `config.etcd`. Messages name the key and
// never contain the password.
absl::Status validateRevocationConfig(RevocationConfig& config, const RevocationKeyNamer& where);

// Parses "http[s]://host[:port]/path" into `out`; false when it is not one.
bool parseEtcdEndpoint(const std::string& url, EtcdEndpoint& out);

// Reads [tokenRevocationConfig] from the root section of micro-gw.conf.
template <typename Section>
absl::Status readTokenRevocationConfig(const Section& root, RevocationConfig& out) {
  auto top = root.section("tokenRevocationConfig");
  if (!top.ok()) return top.status();
  if (!top->present()) return absl::OkStatus();
  // `realtime` (JMS) is a WSO2 key this gateway accepts with a warning.
  if (absl::Status s = top->checkKeys({}, {"persistent"}); !s.ok()) return s;
  auto p = top->section("persistent");
  if (!p.ok()) return p.status();
  if (absl::Status s = p->checkKeys(
          {"enablePersistentStorageRetrieval", "type", "endpointURL", "username", "password"}, {});
      !s.ok()) {
    return s;
  }
  absl::Status s = p->readBool("enablePersistentStorageRetrieval", out.enabled);
  if (s.ok()) s = p->readString("type", out.type);
  if (s.ok()) s = p->readString("endpointURL", out.endpoint_url);
  if (s.ok()) s = p->readString("username", out.username);
  if (s.ok()) s = p->readString("password", out.password);
  if (!s.ok()) return s;
  const auto& section = *p;
  return validateRevocationConfig(
      out, [&section](std::string_view key) { return section.keyName(std::string(key)); });
}

}  // namespace gw::conf
