#pragma once

// Cheap random 64-bit numbers for ids (request ids, traffic-manager message
// ids, usage-file names): splitmix64, one state per thread seeded from
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

// A random (version 4, variant 10) UUID as the 36 characters at `out`,
// 8-4-4-4-12 lowercase hex digits: traffic-manager message ids, usage-file
// names, multipart boundaries.
inline void writeUuid4(char* out) {
  const uint64_t hi = (fastRandom() & 0xFFFFFFFFFFFF0FFFull) | 0x4000ull;
  const uint64_t lo = (fastRandom() & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  char hex[32];
  writeHex(hi, hex);
  writeHex(lo, hex + 16);
  std::memcpy(out, hex, 8);
  out[8] = '-';
  std::memcpy(out + 9, hex + 8, 4);
  out[13] = '-';
  std::memcpy(out + 14, hex + 12, 4);
  out[18] = '-';
  std::memcpy(out + 19, hex + 16, 4);
  out[23] = '-';
  std::memcpy(out + 24, hex + 20, 12);
}

}  // namespace gw
