#include "conf/revocation_config.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace gw::conf {

bool parseEtcdEndpoint(const std::string& url, EtcdEndpoint& out) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  std::string scheme = url.substr(0, sep);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") return false;
  const size_t path_at = url.find('/', sep + 3);
  const std::string authority =
      url.substr(sep + 3, path_at == std::string::npos ? std::string::npos : path_at - sep - 3);
  if (authority.empty() || authority.find_first_of("?#@ ") != std::string::npos) return false;
  std::string path = path_at == std::string::npos ? "/" : url.substr(path_at);
  if (path.find_first_of("?# ") != std::string::npos) return false;
  out.base = absl::StrCat(scheme, "://", authority);
  out.v3 = path == "/v3" || path.rfind("/v3/", 0) == 0;
  out.path = out.v3 ? "" : path;
  out.prefix = out.v3 ? path.substr(3) : "";
  if (out.v3 && out.prefix.empty()) out.prefix = "/";
  return true;
}

absl::Status validateRevocationConfig(RevocationConfig& config, const RevocationKeyNamer& where) {
  if (!config.enabled) return absl::OkStatus();
  if (config.type != "etcd") {
    return absl::InvalidArgumentError(
        absl::StrCat(where("type"), ": '", config.type,
                     "' is not implemented; set type = \"etcd\" (revoked tokens from etcd) or "
                     "enablePersistentStorageRetrieval = false"));
  }
  if (!parseEtcdEndpoint(config.endpoint_url, config.etcd)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where("endpointURL"),
                     ": expected an http:// or https:// URL of the etcd directory, e.g. "
                     "\"http://127.0.0.1:2379/v2/keys/wso2/revoked/\" (v2) or "
                     "\"http://127.0.0.1:2379/v3/mgw/revoked/\" (v3 prefix)"));
  }
  if (!config.etcd.v3 && config.etcd.path.rfind("/v2/keys", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where("endpointURL"),
                     ": the path must start with /v2/keys (etcd v2, WSO2's layout) or "
                     "/v3 (an etcd v3 key prefix)"));
  }
  if (config.username.empty() != config.password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(config.username.empty() ? "username" : "password"),
                     ": set both username and password for etcd, or neither"));
  }
  return absl::OkStatus();
}

}  // namespace gw::conf
