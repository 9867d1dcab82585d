#include "gateway/http/http2_flood_guard.h"

#include <algorithm>

#include "gateway/common/strcat.h"

namespace gw::http {

Http2FloodGuard::Http2FloodGuard(const Http2Settings& settings) : settings_(settings) {
  const auto now = std::chrono::steady_clock::now();
  resets_ = Bucket{static_cast<double>(settings_.reset_burst), now};
  control_frames_ = Bucket{static_cast<double>(settings_.control_frame_burst), now};
}

void Http2FloodGuard::refill(Bucket& bucket, uint32_t burst, uint32_t rate) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.last = now;
  bucket.tokens = std::min<double>(burst, bucket.tokens + elapsed * rate);
}

bool Http2FloodGuard::take(Bucket& bucket, uint32_t burst, uint32_t rate) {
  refill(bucket, burst, rate);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

Http2FloodGuard::Tokens Http2FloodGuard::tokens() {
  refill(resets_, settings_.reset_burst, settings_.reset_rate_per_second);
  refill(control_frames_, settings_.control_frame_burst, settings_.control_frame_rate_per_second);
  constexpr double kMax = UINT16_MAX;
  return Tokens{static_cast<uint16_t>(std::min(resets_.tokens, kMax)),
                static_cast<uint16_t>(std::min(control_frames_.tokens, kMax))};
}

void Http2FloodGuard::restore(Tokens tokens, std::chrono::milliseconds elapsed) {
  const auto then = std::chrono::steady_clock::now() - elapsed;
  resets_ = Bucket{static_cast<double>(tokens.resets), then};
  control_frames_ = Bucket{static_cast<double>(tokens.control_frames), then};
  refill(resets_, settings_.reset_burst, settings_.reset_rate_per_second);
  refill(control_frames_, settings_.control_frame_burst, settings_.control_frame_rate_per_second);
}

std::string Http2FloodGuard::check(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS: {
      const bool empty = frame.hd.type == NGHTTP2_DATA && frame.hd.length == 0 &&
                         (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0;
      empty_frames_ = empty ? empty_frames_ + 1 : 0;
      if (empty_frames_ <= settings_.max_consecutive_empty_frames) return "";
      return gw::cat("flood: more than ", settings_.max_consecutive_empty_frames,
                     " empty DATA frames in a row");
    }
    case NGHTTP2_RST_STREAM:
      if (take(resets_, settings_.reset_burst, settings_.reset_rate_per_second)) return "";
      return gw::cat("rapid reset: more than ", settings_.reset_burst, " stream resets (then ",
                     settings_.reset_rate_per_second, "/s) from the client");
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 ||
          take(control_frames_, settings_.control_frame_burst,
               settings_.control_frame_rate_per_second)) {
        return "";
      }
      return gw::cat("flood: more than ", settings_.control_frame_burst,
                     " SETTINGS/PING frames (then ", settings_.control_frame_rate_per_second,
                     "/s) from the client");
    default:
      return "";
  }
}

}  // namespace gw::http
