#pragma once

// Who is behind a request's credentials, as the auth filter that validated
// them found it (DecoderFilterCallbacks::setIdentity), for the filters after
// it (throttling, analytics). WSO2 token and API-key claims fill it:
// `sub`, `application` {id, name, tier, owner}, `keytype` and `subscribedAPIs`
// [{name, version, context, subscriptionTier}]. Fields the credential does
// not carry stay empty. Plain data; copied per stream.

#include <string>
#include <vector>

namespace gw::http {

struct ApiSubscription {
  std::string name;     // API title
  std::string version;  // API version
  std::string tier;     // subscriptionTier
};

struct AuthIdentity {
  std::string subject;           // `sub` (introspection: `username`, else `sub`)
  std::string application_id;    // `application.id`, else `azp`, else `client_id`
  std::string application_name;  // `application.name`
  std::string application_tier;  // `application.tier`
  std::string application_owner;
  std::string key_type;  // `keytype` (PRODUCTION / SANDBOX)
  std::vector<ApiSubscription> subscriptions;

  // The subscription to API `name` `version`, or null.
  const ApiSubscription* subscriptionFor(const std::string& name,
                                         const std::string& version) const {
    for (const ApiSubscription& s : subscriptions) {
      if (s.name == name && s.version == version) return &s;
    }
    return nullptr;
  }
};

}  // namespace gw::http
