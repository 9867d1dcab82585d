#pragma once

// HTTP/2 server codec on nghttp2: many concurrent streams on one connection.
// Each stream is a ResponseEncoder the codec owns until nghttp2 closes it;
// response bodies wait in a per-stream buffer that nghttp2 pulls from as the
// client's flow-control window and the socket allow (above a watermark the
// stream tells its StreamCallbacks to stop producing). Request bodies are
// acknowledged (WINDOW_UPDATE) only once passed on, so a slow upstream slows
// the client. Flood limits (Http2Settings) end an abusive connection with
// GOAWAY ENHANCE_YOUR_CALM. Single-threaded, owned by one downstream
// connection; decoder callbacks run inside dispatch() and flushOutput().

#include <nghttp2/nghttp2.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gateway/http/codec.h"
#include "gateway/http/http2_flood_guard.h"
#include "gateway/http/http2_hpack_mirror.h"
#include "gateway/http/http2_session_memory.h"
#include "gateway/http/http2_settings.h"

namespace gw::http {

// What a new codec needs to take up an idle HTTP/2 connection whose codec was
// deleted while its socket waited (gateway/server/idle_parking.h): ~70 bytes,
// plus the client's HPACK table when it holds entries, where an idle nghttp2
// session holds ~6 kB. The client's SETTINGS, the connection's send window,
// the last stream the client opened, the flood guard's tokens and the HPACK
// decoder table (Http2HpackMirror); everything else of an idle session is the
// same as a fresh one's (see Http2ServerCodec::idleState).
struct Http2IdleState {
  uint32_t header_table_size = 0;
  uint32_t max_concurrent_streams = 0;
  uint32_t initial_window_size = 0;
  uint32_t max_frame_size = 0;
  uint32_t max_header_list_size = 0;
  int32_t send_window = 0;  // connection level
  int32_t last_stream_id = 0;
  Http2FloodGuard::Tokens tokens{};
  bool enable_push = false;
  bool enable_connect_protocol = false;
  bool no_rfc7540_priorities = false;
  // The decoder table: its maximum size and its entries (Http2HpackMirror).
  uint32_t hpack_max_size = NGHTTP2_DEFAULT_HEADER_TABLE_SIZE;
  std::string hpack_entries;
};

class Http2ServerCodec : public ServerCodec {
 public:
  // `output` is the client socket's output buffer; `callbacks` must outlive the codec.
  Http2ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output, const CodecLimits& limits,
                   const Http2Settings& settings);
  ~Http2ServerCodec() override;

  // ServerCodec
  Protocol protocol() const override { return Protocol::Http2; }
  void dispatch(evbuffer* input) override;
  void sendProtocolError(int status, std::string_view body) override;
  void goAway() override;
  bool wantsClose() const override;
  void flushOutput() override;
  bool wantsWrite() const override;
  bool headerBlockOpen() const override { return open_header_block_ != 0; }

  // Streams nghttp2 has open (for tests).
  size_t openStreams() const { return streams_.size(); }
  // The connection's send window: DATA bytes the client accepts now (for tests).
  int32_t sendWindow() const { return nghttp2_session_get_remote_window_size(session_); }

  // The connection is idle: with no stream open and nothing to send, the
  // session's frame buffer pages go back to the kernel and its cached free
  // blocks to malloc. False if it is busy.
  bool releaseIdleMemory();
  // What the nghttp2 session holds (its allocator's count).
  const Http2SessionMemory& sessionMemory() const { return memory_; }

  // Parking an idle connection. The state a new codec resumes from, when
  // deleting this one loses nothing: no stream open, nothing to send, every
  // SETTINGS of ours acknowledged, every DATA byte acknowledged
  // (WINDOW_UPDATE), and the client's HPACK table known: nghttp2 does not
  // let a session's decoder table be read, so Http2HpackMirror decodes the
  // client's header blocks a second time to have a copy. The gateway's own
  // encoder table need not be kept: what a new encoder adds goes in front of
  // the old entries in the client's table, and those are evicted before any
  // new one.
  std::optional<Http2IdleState> idleState();
  // Acknowledges the DATA bytes not yet acknowledged, which idleState()
  // needs; true when it did (parking can follow once that is sent).
  //
  // Asking the client to empty its HPACK table (SETTINGS_HEADER_TABLE_SIZE
  // 0, then 4096 again, RFC 7541 4.2) is not done: tried, it made gRPC's
  // C-core client (grpc_test) lose its connection ("Socket closed").
  bool prepareIdle();
  // Called on a new codec, before dispatch(): takes up the connection that
  // `state` describes, `parked_for` after it was taken. What the session
  // would send the client now (its SETTINGS, the acknowledgement of the
  // client's) was sent long ago, and is dropped.
  void resume(const Http2IdleState& state, std::chrono::milliseconds parked_for);
  // GOAWAY NO_ERROR naming `last_stream_id`: what a parked connection's
  // client is told before its socket closes.
  static std::array<uint8_t, 17> goAwayFrame(int32_t last_stream_id);

 private:
  class Stream;
  friend class Stream;

  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onDataChunkRecv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                             const uint8_t* data, size_t len, void* user);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static int onInvalidFrameRecv(nghttp2_session*, const nghttp2_frame* frame, int error,
                                void* user);

  int frameReceived(const nghttp2_frame& frame);
  int headersReceived(Stream& stream, const nghttp2_frame& frame);
  int streamClosed(int32_t stream_id, uint32_t error_code);
  void enhanceYourCalm(std::string_view what);
  void fail(std::string_view description);
  Stream* stream(int32_t id);
  // The last stream a GOAWAY names: this session's, or the one before a resume.
  int32_t lastStreamId() const;
  // Drops what the session wants to send (resume()).
  void discardOutput();

  ServerCodecCallbacks& callbacks_;
  evbuffer* output_;
  CodecLimits limits_;
  Http2Settings settings_;
  Http2SessionMemory memory_;  // nghttp2's allocator; outlives session_
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  Http2FloodGuard flood_guard_;                   // after settings_, which it points into
  std::optional<Http2HpackMirror> hpack_mirror_;  // the client's HPACK table, for idleState()
  int32_t open_header_block_ = 0;                 // the stream whose HEADERS lack END_HEADERS, or 0
  int32_t resumed_last_stream_ = 0;               // the client's last stream before resume()
  int unacked_settings_ = 0;                      // our SETTINGS frames not yet acknowledged
  bool replaying_ = false;                        // resume() is feeding the session
  bool failed_ = false;
  bool goaway_ = false;      // a graceful GOAWAY went out (draining)
  bool terminated_ = false;  // a GOAWAY with an error went out
  bool in_dispatch_ = false;
  bool in_flush_ = false;
  bool destroying_ = false;
};

}  // namespace gw::http
