#pragma once

// The HTTP/2 server's settings and flood limits, set deliberately rather than
// left to nghttp2's defaults. Plain values, copied into each codec.

#include <cstdint>

namespace gw::http {

struct Http2Settings {
  // SETTINGS_MAX_CONCURRENT_STREAMS sent to the client.
  uint32_t max_concurrent_streams = 100;
  // SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a client may send on one
  // stream before the gateway passes them on (flow control towards upstreams).
  uint32_t initial_window_size = 65535;
  // Response bytes held per stream (waiting for the client's window or the
  // socket) above which the stream stops reading from its upstream, and
  // below which it starts again.
  uint32_t stream_write_high_watermark = 256 * 1024;
  uint32_t stream_write_low_watermark = 64 * 1024;
  // Bytes of frames placed in the socket's output buffer before the codec
  // waits for the client to read.
  uint32_t output_limit = 512 * 1024;
  // Rapid reset (CVE-2023-44487): streams the client may cancel (RST_STREAM
  // before the response ended) in a burst, refilled at this rate per second;
  // beyond it, GOAWAY ENHANCE_YOUR_CALM and the connection closes.
  uint32_t reset_burst = 200;
  uint32_t reset_rate_per_second = 50;
  // Control frames (SETTINGS, PING) the client may send in a burst, refilled
  // per second, and acknowledgements queued for a client that does not read.
  uint32_t control_frame_burst = 1000;
  uint32_t control_frame_rate_per_second = 100;
  uint32_t max_outbound_ack = 100;
  // Frames in a row with no payload and no end of stream (empty DATA,
  // CONTINUATION) before the connection counts as a flood.
  uint32_t max_consecutive_empty_frames = 16;
  // CONTINUATION frames after one HEADERS (CVE-2024-27316).
  uint32_t max_continuations = 8;
  // SETTINGS entries in one frame.
  uint32_t max_settings = 32;
  // HPACK dynamic table size of the gateway's response header encoder.
  uint32_t max_deflate_dynamic_table_size = 4096;
};

}  // namespace gw::http
