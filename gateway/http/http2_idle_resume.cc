// Parking an idle HTTP/2 connection (Http2ServerCodec::idleState,
// prepareIdle, resume, goAwayFrame): what a session must have reached before
// it can be deleted, and how a new session is brought back to that point by
// replaying, as if from the client, what the old one had received.

#include <algorithm>
#include <string>
#include <string_view>

#include "gateway/common/strcat.h"
#include "gateway/http/http2_server_codec.h"

namespace gw::http {

std::optional<Http2IdleState> Http2ServerCodec::idleState() {
  if (!streams_.empty() || in_dispatch_ || in_flush_ || failed_ || goaway_ || terminated_ ||
      open_header_block_ != 0 || unacked_settings_ != 0 ||
      nghttp2_session_want_read(session_) == 0 || nghttp2_session_want_write(session_) != 0 ||
      nghttp2_session_get_effective_recv_data_length(session_) != 0 || !hpack_mirror_.has_value() ||
      hpack_mirror_->broken() ||
      // The copy agrees with the session's table, at least in size.
      hpack_mirror_->tableSize() != nghttp2_session_get_hd_inflate_dynamic_table_size(session_)) {
    return std::nullopt;
  }
  const int32_t last = lastStreamId();
  const bool short_window =
      nghttp2_session_get_remote_window_size(session_) < NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE;
  if (short_window && last < 3 && hpack_mirror_->tableSize() > 0 &&
      !hpack_mirror_->entriesAreRequestFields()) {
    return std::nullopt;  // no stream to replay the table on apart from the window's (resume())
  }
  auto remote = [this](nghttp2_settings_id id) {
    return nghttp2_session_get_remote_settings(session_, id);
  };
  Http2IdleState state;
  state.header_table_size = remote(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE);
  state.max_concurrent_streams = remote(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  state.initial_window_size = remote(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE);
  state.max_frame_size = remote(NGHTTP2_SETTINGS_MAX_FRAME_SIZE);
  state.max_header_list_size = remote(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE);
  state.enable_push = remote(NGHTTP2_SETTINGS_ENABLE_PUSH) == 1;
  state.enable_connect_protocol = remote(NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) == 1;
  state.no_rfc7540_priorities = remote(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES) == 1;
  state.send_window = nghttp2_session_get_remote_window_size(session_);
  state.last_stream_id = last;
  state.tokens = flood_guard_.tokens();
  state.hpack_max_size = hpack_mirror_->maxSize();
  state.hpack_entries = hpack_mirror_->entries();
  return state;
}

bool Http2ServerCodec::prepareIdle() {
  if (!streams_.empty() || failed_ || goaway_ || terminated_ || open_header_block_ != 0) {
    return false;
  }
  const int32_t unacked = nghttp2_session_get_effective_recv_data_length(session_);
  if (unacked <= 0) return false;
  nghttp2_submit_window_update(session_, NGHTTP2_FLAG_NONE, 0, unacked);
  return true;
}

namespace {
void appendUint32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, sizeof(b));
}

void appendFrame(std::string& out, uint8_t type, uint8_t flags, int32_t stream,
                 std::string_view payload) {
  const size_t n = payload.size();
  const char head[5] = {static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n),
                        static_cast<char>(type), static_cast<char>(flags)};
  out.append(head, sizeof(head));
  appendUint32(out, static_cast<uint32_t>(stream));
  out.append(payload);
}

// The replayed request's header block: GET / over http (indexed static
// fields) to :authority "r" (a literal not indexed): nothing enters the
// dynamic table.
constexpr std::string_view kStaticGet = "\x82\x84\x86\x01\x01r";

// The replayed response's body: its bytes are never sent, so never written.
ssize_t unwrittenBody(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags,
                      nghttp2_data_source* source, void*) {
  auto& left = *static_cast<size_t*>(source->ptr);
  const size_t n = std::min(length, left);
  left -= n;
  if (left == 0) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void appendSetting(std::string& out, uint16_t id, uint32_t value) {
  out.push_back(static_cast<char>(id >> 8));
  out.push_back(static_cast<char>(id));
  appendUint32(out, value);
}
}  // namespace

void Http2ServerCodec::discardOutput() {
  const uint8_t* data = nullptr;
  while (nghttp2_session_mem_send(session_, &data) > 0) {
  }
}

void Http2ServerCodec::resume(const Http2IdleState& state, std::chrono::milliseconds parked_for) {
  discardOutput();  // our SETTINGS, which the client acknowledged long ago
  // The session is fed, as if from the client, what brings it to `state`:
  // the preface, the client's SETTINGS, the acknowledgement of ours, and the
  // window the client had granted beyond the initial one; then the client's
  // last stream again, which the session answers with as many DATA bytes as
  // the client's window lacks, and whose header block rebuilds the client's
  // HPACK table (Http2HpackMirror::entries). Entries that are not valid
  // request fields (a pseudo-header the client indexed, say) make the
  // session reset the stream that carries them, so they go on the stream
  // before (idleState() does not park when there is none and the window
  // needs the last one). What the session sends is dropped.
  hpack_mirror_.emplace(state.hpack_max_size, state.hpack_entries);

  std::string settings;
  appendSetting(settings, NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, state.header_table_size);
  appendSetting(settings, NGHTTP2_SETTINGS_ENABLE_PUSH, state.enable_push ? 1 : 0);
  appendSetting(settings, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, state.max_concurrent_streams);
  appendSetting(settings, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, state.initial_window_size);
  appendSetting(settings, NGHTTP2_SETTINGS_MAX_FRAME_SIZE, state.max_frame_size);
  appendSetting(settings, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, state.max_header_list_size);
  if (state.enable_connect_protocol)
    appendSetting(settings, NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1);
  if (state.no_rfc7540_priorities)
    appendSetting(settings, NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1);
  std::string in(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  appendFrame(in, NGHTTP2_SETTINGS, NGHTTP2_FLAG_NONE, 0, settings);
  appendFrame(in, NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0, {});
  constexpr int32_t kInitialWindow = NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE;
  if (state.send_window > kInitialWindow) {
    std::string increment;
    appendUint32(increment, static_cast<uint32_t>(state.send_window - kInitialWindow));
    appendFrame(in, NGHTTP2_WINDOW_UPDATE, NGHTTP2_FLAG_NONE, 0, increment);
  }
  const int32_t last = state.last_stream_id;
  size_t deficit = state.send_window < kInitialWindow
                       ? static_cast<size_t>(kInitialWindow - state.send_window)
                       : 0;
  std::string table;
  Http2HpackMirror::appendSizeUpdate(table, state.hpack_max_size);
  const bool table_alone = !hpack_mirror_->entriesAreRequestFields();
  constexpr uint8_t kWholeRequest = NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS;
  bool window_stream = last > 0;
  if (table_alone && last >= 3) {
    appendFrame(in, NGHTTP2_HEADERS, kWholeRequest, last - 2, table + state.hpack_entries);
  } else if (table_alone && last > 0) {
    appendFrame(in, NGHTTP2_HEADERS, kWholeRequest, last, table + state.hpack_entries);
    window_stream = false;  // the send window is whole (idleState())
  }
  if (window_stream) {
    appendFrame(in, NGHTTP2_HEADERS, kWholeRequest, last,
                table_alone ? std::string(kStaticGet)
                            : table + std::string(kStaticGet) + state.hpack_entries);
    if (deficit > state.initial_window_size) {
      std::string increment;
      appendUint32(increment, static_cast<uint32_t>(deficit - state.initial_window_size));
      appendFrame(in, NGHTTP2_WINDOW_UPDATE, NGHTTP2_FLAG_NONE, last, increment);
    }
  }
  replaying_ = true;
  in_dispatch_ = true;
  const ssize_t used =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(in.data()), in.size());
  in_dispatch_ = false;
  const bool replayed = used == static_cast<ssize_t>(in.size());
  if (replayed && window_stream) {
    // :status 200 is in the static table too: the encoder adds nothing.
    static uint8_t kStatusName[] = ":status";
    static uint8_t kStatusValue[] = "200";
    const nghttp2_nv status[] = {{kStatusName, kStatusValue, sizeof(kStatusName) - 1,
                                  sizeof(kStatusValue) - 1, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider body;
    body.source.ptr = &deficit;
    body.read_callback = &unwrittenBody;
    nghttp2_submit_response(session_, last, status, 1, deficit > 0 ? &body : nullptr);
  }
  discardOutput();  // acknowledgements, the replayed response
  replaying_ = false;
  if (!replayed || deficit != 0 ||
      nghttp2_session_get_remote_window_size(session_) != state.send_window ||
      nghttp2_session_get_hd_inflate_dynamic_table_size(session_) != hpack_mirror_->tableSize() ||
      (last > 0 && nghttp2_session_find_stream(session_, last) != nullptr)) {
    // Only what nghttp2 once accepted from this client is replayed.
    fail(gw::cat("resuming an idle connection: ",
                 used < 0 ? nghttp2_strerror(static_cast<int>(used)) : "session state differs"));
    return;
  }
  resumed_last_stream_ = last;
  flood_guard_.restore(state.tokens, parked_for);
}

std::array<uint8_t, 17> Http2ServerCodec::goAwayFrame(int32_t last_stream_id) {
  // Length 8, type GOAWAY, no flags, stream 0; the last stream id; NO_ERROR.
  std::array<uint8_t, 17> frame{0, 0, 8, NGHTTP2_GOAWAY};
  const auto id = static_cast<uint32_t>(last_stream_id);
  for (int i = 0; i < 4; ++i) frame[9 + i] = static_cast<uint8_t>(id >> (24 - 8 * i));
  frame[16] = NGHTTP2_NO_ERROR;
  return frame;
}

}  // namespace gw::http
