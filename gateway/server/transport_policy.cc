#include "gateway/server/transport_policy.h"

#include "absl/strings/str_cat.h"

namespace gw::server {

std::string certificateHeaderValue(const std::string& pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = pem.find(kBegin);
  if (begin == std::string::npos) return "";
  const size_t end = pem.find(kEnd, begin);
  if (end == std::string::npos) return "";
  std::string out;
  for (size_t i = begin + kBegin.size(); i < end; ++i) {
    const char c = pem[i];
    if (c != '\n' && c != '\r' && c != ' ') out += c;
  }
  return out;
}

std::optional<TransportRefusal> applyTransportPolicy(const router::RouteMatch& route,
                                                     const DownstreamTransport& transport,
                                                     const conf::ListenerTlsConfig& tls,
                                                     http::HeaderMap& headers) {
  // Only the gateway says which certificate the client presented.
  headers.remove(tls.certificate_header_name);
  if (route.api != nullptr) {
    const conf::ApiDefinition& api = route.api->api();
    if (transport.tls ? !api.transport_https : !api.transport_http) {
      const char* other = transport.tls ? "http" : "https";
      return TransportRefusal{
          403, "Transport not allowed",
          absl::StrCat("API '", api.title, "' is served over ", other,
                       " only (x-wso2-transports); send the request to the gateway's ", other,
                       transport.tls ? " port (listenerConfig.httpPort)"
                                     : " port (listenerConfig.httpsPort)")};
    }
    if (api.mutual_ssl_mandatory && !(transport.tls && transport.client_cert_verified)) {
      return TransportRefusal{
          401, "Invalid Credentials",
          absl::StrCat("API '", api.title,
                       "' requires a client certificate (x-wso2-mutual-ssl: mandatory): connect "
                       "over TLS with a certificate issued by a CA in the gateway's "
                       "listenerConfig.trustStorePath")};
    }
  }
  if (transport.tls && transport.client_cert_verified) {
    std::string value = certificateHeaderValue(transport.client_cert_pem);
    if (!value.empty()) headers.add(tls.certificate_header_name, std::move(value));
  }
  return std::nullopt;
}

}  // namespace gw::server
