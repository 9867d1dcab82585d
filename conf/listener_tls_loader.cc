#include "conf/listener_tls_loader.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "conf/secret.h"
#include "conf/status_macros.h"
#include "conf/tls_store.h"

namespace gw::conf {
namespace {

constexpr int kTls12 = 0x0303;
constexpr int kTls13 = 0x0304;

// certificateFile + keyFile (microgw's PEM pair), instead of keyStorePath.
absl::Status readPemPair(const TomlSection& s, ListenerTlsConfig& tls) {
  GW_CONF_RETURN_IF_ERROR(s.readPath("certificateFile", tls.certificate_file));
  GW_CONF_RETURN_IF_ERROR(s.readPath("keyFile", tls.key_file));
  if (tls.certificate_file.empty() != tls.key_file.empty()) {
    return s.addError(absl::StrCat(s.keyName(tls.key_file.empty() ? "keyFile" : "certificateFile"),
                                   " is missing: certificateFile and keyFile go together"));
  }
  if (tls.certificate_file.empty()) return absl::OkStatus();
  if (!tls.key_store_path.empty()) {
    return s.addError(absl::StrCat(s.keyName("certificateFile"),
                                   " and keyStorePath both name the listener's key: keep one"));
  }
  const std::string dir = directoryOf(s.file());
  tls.certificate_file = resolvePath(dir, tls.certificate_file);
  tls.key_file = resolvePath(dir, tls.key_file);
  absl::StatusOr<KeyStoreContents> loaded =
      loadKeyStore(tls.certificate_file, tls.key_store_password, tls.key_file);
  if (!loaded.ok()) {
    return s.addError(absl::StrCat(s.keyName("certificateFile"), ": ", loaded.status().message()));
  }
  return absl::OkStatus();
}

// "TLSv1.2,TLSv1.3" -> the lowest and highest version; TLSv1.1 and older are
// below what this OpenSSL offers (a warning, as WSO2's default lists TLSv1.1).
absl::Status readProtocolVersions(const TomlSection& s, ListenerTlsConfig& tls,
                                  std::vector<std::string>& warnings) {
  std::optional<std::string> text;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("protocolVersions", text));
  if (!text) return absl::OkStatus();
  int low = 0, high = 0;
  std::vector<std::string> dropped;
  for (absl::string_view part : absl::StrSplit(*text, ',', absl::SkipWhitespace())) {
    const std::string v(absl::StripAsciiWhitespace(part));
    int version = 0;
    if (v == "TLSv1.2") {
      version = kTls12;
    } else if (v == "TLSv1.3") {
      version = kTls13;
    } else if (v == "TLSv1.1" || v == "TLSv1" || v == "TLSv1.0" || v == "SSLv3") {
      dropped.push_back(v);
      continue;
    } else {
      return s.addError(absl::StrCat(s.keyName("protocolVersions"), ": unknown version '", v,
                                     "' (expected TLSv1.2 and/or TLSv1.3, comma-separated)"));
    }
    low = low == 0 ? version : std::min(low, version);
    high = std::max(high, version);
  }
  if (!dropped.empty()) {
    warnings.push_back(absl::StrCat(s.keyName("protocolVersions"), ": ",
                                    absl::StrJoin(dropped, ", "),
                                    " not offered (insecure, below TLSv1.2)"));
  }
  if (high == 0) {
    return s.addError(
        absl::StrCat(s.keyName("protocolVersions"),
                     " names no version microgw offers: list TLSv1.2 and/or TLSv1.3"));
  }
  tls.min_version = low;
  tls.max_version = high;
  return absl::OkStatus();
}

absl::Status readCiphers(const TomlSection& s, ListenerTlsConfig& tls,
                         std::vector<std::string>& warnings) {
  std::optional<std::string> text;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("ciphers", text));
  if (!text) return absl::OkStatus();
  std::vector<std::string> names;
  for (absl::string_view part : absl::StrSplit(*text, ',', absl::SkipWhitespace())) {
    names.emplace_back(absl::StripAsciiWhitespace(part));
  }
  std::vector<std::string> unknown;
  tls.cipher_list = openSslCipherList(names, unknown);
  if (!unknown.empty()) {
    warnings.push_back(absl::StrCat(s.keyName("ciphers"), ": not offered (this OpenSSL has no ",
                                    "such TLS 1.2 cipher): ", absl::StrJoin(unknown, ", ")));
  }
  if (tls.cipher_list.empty() && !names.empty()) {
    return s.addError(absl::StrCat(
        s.keyName("ciphers"),
        " names no cipher this OpenSSL offers for TLS 1.2; use IANA names such as "
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, or remove the key for OpenSSL's defaults"));
  }
  return absl::OkStatus();
}

absl::Status readVerifyClient(const TomlSection& s, ListenerConfig& listener,
                              std::vector<std::string>& warnings) {
  std::optional<std::string> mode;
  GW_CONF_RETURN_IF_ERROR(s.readOptionalString("sslVerifyClient", mode));
  ListenerTlsConfig& tls = listener.tls;
  if (mode) {
    const std::string m = absl::AsciiStrToLower(*mode);
    if (m == "optional") {
      tls.verify_client = ClientCertMode::Optional;
    } else if (m == "require") {
      tls.verify_client = ClientCertMode::Require;
    } else if (m == "none" || m.empty()) {
      tls.verify_client = ClientCertMode::None;
    } else {
      return s.addError(absl::StrCat(s.keyName("sslVerifyClient"),
                                     " must be \"optional\", \"require\" or \"none\", got \"",
                                     *mode, "\""));
    }
  }
  if (listener.trust_store_path.empty() && tls.verify_client != ClientCertMode::None) {
    if (tls.verify_client == ClientCertMode::Require && tls.enabled()) {
      return s.addError(absl::StrCat(
          s.keyName("sslVerifyClient"),
          " = \"require\" needs listenerConfig.trustStorePath (the CAs client certificates "
          "must chain to)"));
    }
    if (mode && tls.enabled()) {
      warnings.push_back(absl::StrCat(s.keyName("sslVerifyClient"),
                                      ": no listenerConfig.trustStorePath, so the TLS listener "
                                      "asks no client for a certificate"));
    }
    tls.verify_client = ClientCertMode::None;
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& listenerTlsKeys() {
  static const auto* keys = new std::vector<std::string>{
      "httpsPort",          "keyStorePath",    "keyStorePassword", "trustStorePath",
      "trustStorePassword", "certificateFile", "keyFile",          "tlsHandshakeTimeoutInMillis"};
  return *keys;
}

absl::Status readListenerTls(const TomlSection& s, ListenerConfig& listener,
                             std::vector<std::string>& warnings) {
  ListenerTlsConfig& tls = listener.tls;
  tls.https_port_set = s.has("httpsPort");
  GW_CONF_RETURN_IF_ERROR(s.readInt("httpsPort", 0, 65535, tls.https_port));
  GW_CONF_RETURN_IF_ERROR(
      s.readInt("tlsHandshakeTimeoutInMillis", 1, 3600000, tls.handshake_timeout_ms));
  GW_CONF_RETURN_IF_ERROR(readPemPair(s, tls));
  if (tls.https_port != 0 && tls.https_port == listener.http_port) {
    return s.addError(absl::StrCat(s.keyName("httpsPort"), " and httpPort are both ",
                                   tls.https_port, ": give the TLS listener its own port"));
  }
  if (tls.https_port_set && tls.https_port != 0 && !tls.enabled()) {
    warnings.push_back(absl::StrCat(s.keyName("httpsPort"),
                                    " is set, but no key store is configured (keyStorePath, or "
                                    "certificateFile and keyFile): no TLS listener"));
  }
  return absl::OkStatus();
}

absl::Status readMutualSsl(const TomlSection& s, ListenerConfig& listener,
                           std::vector<std::string>& warnings) {
  GW_CONF_RETURN_IF_ERROR(s.checkKeys(
      {"protocolName", "protocolVersions", "ciphers", "sslVerifyClient", "certificateHeaderName"},
      {}));
  std::string protocol = "TLS";
  GW_CONF_RETURN_IF_ERROR(s.readString("protocolName", protocol));
  if (protocol != "TLS") {
    return s.addError(
        absl::StrCat(s.keyName("protocolName"), " must be \"TLS\", got \"", protocol, "\""));
  }
  ListenerTlsConfig& tls = listener.tls;
  GW_CONF_RETURN_IF_ERROR(readProtocolVersions(s, tls, warnings));
  GW_CONF_RETURN_IF_ERROR(readCiphers(s, tls, warnings));
  GW_CONF_RETURN_IF_ERROR(readVerifyClient(s, listener, warnings));
  GW_CONF_RETURN_IF_ERROR(s.readString("certificateHeaderName", tls.certificate_header_name));
  if (tls.certificate_header_name.empty()) {
    return s.addError(absl::StrCat(s.keyName("certificateHeaderName"), " must not be empty"));
  }
  return absl::OkStatus();
}

}  // namespace gw::conf
