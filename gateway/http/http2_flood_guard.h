#pragma once

// Per-connection limits on what an HTTP/2 client may send, beyond nghttp2's
// own: a token bucket for stream resets (rapid reset, CVE-2023-44487), one for
// SETTINGS/PING frames, and a count of empty DATA frames in a row. The codec
// shows it every frame it receives; a non-empty answer names the flood, and
// the codec ends the connection with GOAWAY ENHANCE_YOUR_CALM.
// Single-threaded, owned by one Http2ServerCodec.

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/http/http2_settings.h"

namespace gw::http {

class Http2FloodGuard {
 public:
  explicit Http2FloodGuard(const Http2Settings& settings);

  // "" when `frame` is within the limits, else what the client overdid.
  std::string check(const nghttp2_frame& frame);

  // Whole tokens left in the reset and control-frame buckets, refilled to
  // now: what a parked connection's next codec starts from (Http2IdleState),
  // so that going idle does not give a client a fresh burst.
  struct Tokens {
    uint16_t resets;
    uint16_t control_frames;
  };
  Tokens tokens();
  // The buckets hold `tokens` plus what refilled in `elapsed` since.
  void restore(Tokens tokens, std::chrono::milliseconds elapsed);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  // Adds what refilled since the bucket was last looked at.
  static void refill(Bucket& bucket, uint32_t burst, uint32_t rate);
  // Takes a token; false when the bucket is empty.
  static bool take(Bucket& bucket, uint32_t burst, uint32_t rate);

  const Http2Settings& settings_;
  Bucket resets_;
  Bucket control_frames_;
  uint32_t empty_frames_ = 0;
};

}  // namespace gw::http
