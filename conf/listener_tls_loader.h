#pragma once

// The TLS listener's settings in micro-gw.conf: [listenerConfig] httpsPort,
// the key store (keyStorePath + keyStorePassword, PKCS#12 or PEM, as WSO2 API
// Microgateway 3.2 has them; or microgw's certificateFile + keyFile), the
// handshake timeout, and [mutualSSLConfig] (protocolVersions, ciphers,
// sslVerifyClient, certificateHeaderName). Internal to //conf:loader, exposed
// for tests. No state; messages never contain a password.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "conf/config.h"
#include "conf/toml_section.h"

namespace gw::conf {

// The keys readListenerTls() reads from [listenerConfig] (for its key check).
const std::vector<std::string>& listenerTlsKeys();

// Reads httpsPort, certificateFile, keyFile and tlsHandshakeTimeoutInMillis
// into `listener.tls` (keyStorePath and the trust store are read with the
// other stores) and checks that the key material loads.
absl::Status readListenerTls(const TomlSection& s, ListenerConfig& listener,
                             std::vector<std::string>& warnings);

// Reads [mutualSSLConfig] (`s` may be absent) into `listener.tls`; the
// listener's trust store must be read already.
absl::Status readMutualSsl(const TomlSection& s, ListenerConfig& listener,
                           std::vector<std::string>& warnings);

}  // namespace gw::conf
