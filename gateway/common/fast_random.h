#pragma once

// Cheap random 64-bit numbers for ids made on the request path (request ids,
// traffic-manager message ids): splitmix64, one state per thread seeded from
// std::random_device. Its 2^64 outputs per seed are all distinct, so two ids a
// thread makes never collide. Not for secrets: use OpenSSL's RAND_bytes.
//
// Example:
//   char id[32];
//   gw::writeHex(gw::fastRandom(), id);       // 16 hex digits
//   gw::writeHex(gw::fastRandom(), id + 16);

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace gw {

inline uint64_t fastRandom() {
  thread_local uint64_t state =
      (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// `v` as 16 lowercase hex digits at `out`, most significant first; a byte
// (two digits) per step.
inline void writeHex(uint64_t v, char* out) {
  static constexpr auto kPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 15];
    }
    return t;
  }();
  for (int i = 14; i >= 0; i -= 2, v >>= 8) std::memcpy(out + i, &kPairs[2 * (v & 0xFF)], 2);
}

}  // namespace gw
