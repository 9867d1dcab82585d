#pragma once

// Validated tokens ([caching]): a token that passed every check is remembered
// under the SHA-256 of its text (the token itself is never stored), with what
// the request path needs afterwards. An entry expires at the earlier of the
// token's own `exp` and tokenCacheExpiryTime after it was cached. When the
// cache is full, expired entries are dropped, then the
// tokenCacheEvictionFactor share of entries that expire soonest.
//
// Thread-safety: shared by all workers; 16 shards, each under its own mutex
// (a lookup holds one shard's lock for a hash-map find).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/http/auth_identity.h"

namespace gw::filters::jwt_authn {

// What a validated token left behind.
struct ValidatedToken {
  int64_t expires_at = 0;           // seconds since the epoch (cache expiry included)
  std::vector<std::string> scopes;  // the `scope` claim, after claim mapping
  std::string claims_header;        // [jwtConfig] header value ("" when disabled)
  std::string log_id;               // jti, or a short hash of the token
  // What a revocation list names (checked on every request, cached or not).
  std::string jti;
  std::string signature_segment;
  http::AuthIdentity identity;  // published to later filters (setIdentity)
};

// SHA-256 of `token`, 32 raw bytes: the cache key.
std::string tokenDigest(std::string_view token);
// The first 12 hex digits of the digest, for logs.
std::string shortHash(std::string_view digest);
// "Bearer <token>" (scheme case-insensitive, surrounding blanks allowed) -> the
// token; nullopt for anything else. Shared by the bearer-token filters.
std::optional<std::string_view> bearerToken(std::string_view value);
// How logs name a token: "jti <jti>" when the jti is short and printable,
// else "sha256 <short hash of the token>". Never the token itself.
std::string tokenLogId(std::string_view jti, std::string_view digest);

class TokenCache {
 public:
  TokenCache(size_t capacity, double eviction_factor);

  // The entry for `digest` if it has not expired at `now` (seconds).
  std::optional<ValidatedToken> find(const std::string& digest, int64_t now) const;
  void insert(const std::string& digest, ValidatedToken token, int64_t now);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, ValidatedToken> entries;
  };
  Shard& shardFor(const std::string& digest) const;
  void evict(Shard& shard, int64_t now);

  const size_t shard_capacity_;
  const double eviction_factor_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace gw::filters::jwt_authn
