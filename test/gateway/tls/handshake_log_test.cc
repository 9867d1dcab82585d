#include "gateway/tls/handshake_log.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace gw::tls {
namespace {

TEST(DescribeHandshakeFailure, SaysWhatHappened) {
  const unsigned long not_tls = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_WRONG_VERSION_NUMBER);
  EXPECT_NE(describeHandshakeFailure(not_tls, X509_V_OK).find("did not send a TLS ClientHello"),
            std::string::npos);
  const unsigned long http = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_HTTP_REQUEST);
  EXPECT_NE(describeHandshakeFailure(http, X509_V_OK).find("plain HTTP"), std::string::npos);
  const unsigned long no_cert = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
  EXPECT_NE(describeHandshakeFailure(no_cert, X509_V_OK).find("sslVerifyClient"),
            std::string::npos);
  const std::string untrusted =
      describeHandshakeFailure(0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_NE(untrusted.find("client certificate refused"), std::string::npos) << untrusted;
  EXPECT_NE(untrusted.find("trustStorePath"), std::string::npos) << untrusted;
  EXPECT_NE(describeHandshakeFailure(0, X509_V_OK).find("closed"), std::string::npos);
}

TEST(HandshakeLogLimiter, AllowsABurstThenCountsWhatItDrops) {
  std::chrono::steady_clock::time_point now{};
  HandshakeLogLimiter limiter(3, std::chrono::seconds(10), [&] { return now; });
  EXPECT_TRUE(limiter.allow());
  EXPECT_TRUE(limiter.allow());
  EXPECT_TRUE(limiter.allow());
  EXPECT_FALSE(limiter.allow());
  EXPECT_FALSE(limiter.allow());
  now += std::chrono::seconds(11);
  EXPECT_TRUE(limiter.allow());
  EXPECT_EQ(limiter.suppressedNote(), " (2 similar lines suppressed)");
  EXPECT_EQ(limiter.suppressedNote(), "");
}

}  // namespace
}  // namespace gw::tls
