#pragma once

// A raw HTTP/2 frame for tests that build a client's bytes by hand.

#include <cstdint>
#include <string>
#include <string_view>

namespace gw::http::testing {

// One frame: the 9-byte header (length, type, flags, stream id), then the payload.
inline std::string frame(uint8_t type, uint8_t flags, int32_t stream, std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  f.append(payload);
  return f;
}

}  // namespace gw::http::testing
