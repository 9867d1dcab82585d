#pragma once

// Tests on eight bytes at once, for scans that run over every byte of every
// event (the traffic-manager JSON): most values contain none of the bytes
// looked for, and a word at a time passes over them in fewer instructions
// than a byte loop. For short values (under ~16 bytes) the byte loop can be
// cheaper: measure (tools/bench/issue8_bench.py, ISSUE8_BENCH_CALLGRIND).
//
// Each test returns a word whose bytes have their high bit set where the
// condition may hold, and is zero exactly when it holds for no byte (a set
// bit can be a false positive only above a byte for which it holds: use the
// result as "any", then look at the bytes one by one).
//
// Example:
//   uint64_t w = loadWord(p);
//   if ((bytesEqual(w, '-') | bytesBelow(w, 0x20)) == 0) p += 8;  // nothing here

#include <cstdint>
#include <cstring>

namespace gw {

constexpr uint64_t kByteOnes = 0x0101010101010101ull;
constexpr uint64_t kByteHighs = 0x8080808080808080ull;

// Eight bytes from `p` (any alignment), in memory order.
inline uint64_t loadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

// Bytes equal to `b`.
inline uint64_t bytesEqual(uint64_t w, unsigned char b) {
  const uint64_t x = w ^ (kByteOnes * b);
  return (x - kByteOnes) & ~x & kByteHighs;
}

// Bytes below `n` (n <= 128).
inline uint64_t bytesBelow(uint64_t w, unsigned char n) {
  return (w - kByteOnes * n) & ~w & kByteHighs;
}

// Bytes of 0x80 and above.
inline uint64_t bytesHigh(uint64_t w) { return w & kByteHighs; }

}  // namespace gw

namespace gw {

// Copies n bytes (to and from not overlapping), inline for n <= 16: the
// short values of an event (ids, tiers, addresses) cost less than a call to
// memcpy. Byte-for-byte memcpy's result.
[[gnu::always_inline]] inline void copyBytes(char* to, const char* from, size_t n) {
  if (n >= 8 && n <= 16) {
    const uint64_t head = loadWord(from), tail = loadWord(from + n - 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + n - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + n - 4, &tail, 4);
  } else if (n > 16) {
    std::memcpy(to, from, n);
  } else {
    for (size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

}  // namespace gw
