#include "conf/etcd_config.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "conf/suggest.h"

namespace gw::conf {
namespace {

// "http://host[:port]" with nothing after the authority but an optional '/'.
bool validClientUrl(std::string& url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return false;
  const std::string authority = url.substr(sep + 3);
  if (authority.empty()) return false;
  for (char c : authority) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || std::isspace(static_cast<unsigned char>(c)))
      return false;
  }
  url = scheme + "://" + authority;
  return true;
}

}  // namespace

const std::vector<std::string>& etcdRootKeys() {
  static const auto* keys = new std::vector<std::string>{"etcdurl", "etcdusername", "etcdpassword",
                                                         "etcdtimer", "etcdbasepath"};
  return *keys;
}

absl::Status validateEtcdConfig(EtcdConfig& config, const EtcdKeyNamer& where) {
  config.url = std::string(absl::StripAsciiWhitespace(config.url));
  if (!config.url.empty() && config.url.find("://") == std::string::npos) {
    config.url.insert(0, "http://");  // WSO2 users write host:port too
  }
  if (!config.url.empty() && !validClientUrl(config.url)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where("etcdurl"),
        ": expected etcd's client URL, http://host:port or https://host:port (no path: the "
        "API prefix is etcdbasepath), e.g. \"http://127.0.0.1:2379\""));
  }
  std::string& base = config.base_path;
  base = std::string(absl::StripAsciiWhitespace(base));
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty() || base.front() != '/' || base.find_first_of("?# ") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        where("etcdbasepath"), ": expected the path of etcd's v3 JSON gateway, e.g. \"/v3\""));
  }
  if (config.username.empty() != config.password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(config.username.empty() ? "etcdusername" : "etcdpassword"),
                     ": set both etcdusername and etcdpassword, or neither"));
  }
  return absl::OkStatus();
}

absl::Status applyEtcdFlags(const std::vector<std::string>& flags, EtcdConfig& config) {
  if (flags.empty()) return absl::OkStatus();
  auto where = [](std::string_view key) { return "--etcd " + std::string(key); };
  for (const std::string& flag : flags) {
    const size_t eq = flag.find('=');
    const std::string key = flag.substr(0, eq);
    if (eq == std::string::npos || key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--etcd expects key=value (keys: etcdurl, etcdusername, etcdpassword, "
                       "etcdtimer, etcdbasepath), got an argument without '='"));
    }
    const std::string value = flag.substr(eq + 1);
    if (key == "etcdurl") {
      config.url = value;
    } else if (key == "etcdusername") {
      config.username = value;
    } else if (key == "etcdpassword") {
      config.password = value;
    } else if (key == "etcdbasepath") {
      config.base_path = value;
    } else if (key == "etcdtimer") {
      if (!absl::SimpleAtoi(value, &config.timer_ms) || config.timer_ms < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(key), ": expected milliseconds (an integer >= 0)"));
      }
      config.timer_set = true;
    } else {
      const std::string hint = closestMatch(key, etcdRootKeys());
      return absl::InvalidArgumentError(
          absl::StrCat("--etcd: unknown key '", key, "'",
                       hint.empty() ? "" : absl::StrCat(" (did you mean '", hint, "'?)"),
                       "; keys: etcdurl, etcdusername, etcdpassword, etcdtimer, etcdbasepath"));
    }
  }
  return validateEtcdConfig(config, where);
}

}  // namespace gw::conf
