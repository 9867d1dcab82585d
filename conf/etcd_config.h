#pragma once

// WSO2 API Microgateway's run-time root keys for etcd service discovery
// (`etcdurl`, `etcdusername`, `etcdpassword`, `etcdtimer`, `etcdbasepath`),
// read from the root of micro-gw.conf and from `--etcd key=value` flags
// (which win). With `etcdurl` set, endpoint URLs written
// `etcd(<key>, <defaultUrl>)` follow the value of <key> in etcd v3
// (gateway/discovery); without it they use their default URL.
//
// Part of the typed model (//conf:config); readEtcdConfig() is a template on
// the loader's TOML section type (conf/toml_section.h), as in
// conf/revocation_config.h.
//
// Example:
//   EtcdConfig etcd;
//   absl::Status s = applyEtcdFlags({"etcdurl=http://127.0.0.1:2379"}, etcd);
//   etcd.apiUrl("/kv/range");  // "http://127.0.0.1:2379/v3/kv/range"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace gw::conf {

struct EtcdConfig {
  std::string url;                // etcdurl: etcd's client URL; "" = discovery off
  std::string username;           // etcdusername: /v3/auth/authenticate when set
  std::string password;           // etcdpassword: never logged
  int64_t timer_ms = 10000;       // etcdtimer: accepted; the v3 watch replaces WSO2's timer
  bool timer_set = false;         // etcdtimer was given (a start-up notice says so)
  std::string base_path = "/v3";  // etcdbasepath: the JSON gateway's prefix

  bool enabled() const { return !url.empty(); }
  // url + base_path + call: apiUrl("/watch") = "http://etcd:2379/v3/watch".
  std::string apiUrl(std::string_view call) const { return url + base_path + std::string(call); }
};

// The root keys, for the unknown-key check.
const std::vector<std::string>& etcdRootKeys();

// "<file>: 'etcdurl'" (or "--etcd etcdurl") for messages.
using EtcdKeyNamer = std::function<std::string(std::string_view key)>;

// Normalises and checks `config` (etcdurl http(s)://host[:port], a leading
// '/' on etcdbasepath, both credentials or neither). Messages name the key
// and never contain the password.
absl::Status validateEtcdConfig(EtcdConfig& config, const EtcdKeyNamer& where);

// Applies `--etcd key=value` flags over what micro-gw.conf said, then
// validates. An unknown key suggests the closest one.
absl::Status applyEtcdFlags(const std::vector<std::string>& flags, EtcdConfig& config);

// Reads the root keys of micro-gw.conf (the caller lists etcdRootKeys() in
// its unknown-key check).
template <typename Section>
absl::Status readEtcdConfig(const Section& root, EtcdConfig& out) {
  absl::Status s = root.readString("etcdurl", out.url);
  if (s.ok()) s = root.readString("etcdusername", out.username);
  if (s.ok()) s = root.readString("etcdpassword", out.password);
  if (s.ok()) s = root.readString("etcdbasepath", out.base_path);
  if (s.ok()) s = root.readInt("etcdtimer", 0, int64_t{1} << 40, out.timer_ms);
  if (!s.ok()) return s;
  out.timer_set = root.has("etcdtimer");
  return validateEtcdConfig(
      out, [&root](std::string_view key) { return root.keyName(std::string(key)); });
}

}  // namespace gw::conf
