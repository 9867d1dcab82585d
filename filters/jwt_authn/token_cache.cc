#include "filters/jwt_authn/token_cache.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cmath>

#include "gateway/common/strcat.h"
#include "gateway/http/header_map.h"

namespace gw::filters::jwt_authn {

std::string tokenDigest(std::string_view token) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string shortHash(std::string_view digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digest.size() && out.size() < 12; ++i) {
    out.push_back(kHex[(static_cast<unsigned char>(digest[i]) >> 4) & 0xf]);
    out.push_back(kHex[static_cast<unsigned char>(digest[i]) & 0xf]);
  }
  return out;
}

TokenCache::TokenCache(size_t capacity, double eviction_factor)
    : shard_capacity_(std::max<size_t>(1, (capacity + kShards - 1) / kShards)),
      eviction_factor_(eviction_factor),
      shards_(new Shard[kShards]) {}

TokenCache::Shard& TokenCache::shardFor(const std::string& digest) const {
  const size_t index = digest.empty() ? 0 : static_cast<unsigned char>(digest[0]) % kShards;
  return shards_[index];
}

std::optional<ValidatedToken> TokenCache::find(const std::string& digest, int64_t now) const {
  Shard& shard = shardFor(digest);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(digest);
  if (it == shard.entries.end() || it->second.expires_at <= now) return std::nullopt;
  return it->second;
}

void TokenCache::insert(const std::string& digest, ValidatedToken token, int64_t now) {
  Shard& shard = shardFor(digest);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.entries.size() >= shard_capacity_ && shard.entries.count(digest) == 0) {
    evict(shard, now);
  }
  shard.entries[digest] = std::move(token);
}

// Called with shard.mu held and the shard full.
void TokenCache::evict(Shard& shard, int64_t now) {
  for (auto it = shard.entries.begin(); it != shard.entries.end();) {
    it = it->second.expires_at <= now ? shard.entries.erase(it) : std::next(it);
  }
  if (shard.entries.size() < shard_capacity_) return;
  const size_t drop = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(eviction_factor_ * static_cast<double>(shard_capacity_))));
  std::vector<std::pair<int64_t, std::string>> by_expiry;
  by_expiry.reserve(shard.entries.size());
  for (const auto& [key, value] : shard.entries) by_expiry.emplace_back(value.expires_at, key);
  const size_t n = std::min(drop, by_expiry.size());
  std::nth_element(by_expiry.begin(), by_expiry.begin() + (n - 1), by_expiry.end());
  for (size_t i = 0; i < n; ++i) shard.entries.erase(by_expiry[i].second);
}

size_t TokenCache::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].entries.size();
  }
  return n;
}

std::optional<std::string_view> bearerToken(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !http::iequals(value.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty() || token.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return token;
}

std::string tokenLogId(std::string_view jti, std::string_view digest) {
  const bool printable =
      std::all_of(jti.begin(), jti.end(), [](char c) { return c > 0x20 && c < 0x7f && c != '"'; });
  if (!jti.empty() && jti.size() <= 64 && printable) return gw::cat("jti ", jti);
  return gw::cat("sha256 ", shortHash(digest));
}

}  // namespace gw::filters::jwt_authn
