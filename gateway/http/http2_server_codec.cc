#include "gateway/http/http2_server_codec.h"

#include <event2/buffer.h>

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/http/http2_stream.h"
#include "gateway/stats/stats.h"

namespace gw::http {
namespace {

Http2ServerCodec* self(void* user) { return static_cast<Http2ServerCodec*>(user); }

constexpr size_t kRequestFieldsReserved = 8;

std::string_view view(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

}  // namespace

Http2ServerCodec::Http2ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output,
                                   const CodecLimits& limits, const Http2Settings& settings)
    : callbacks_(callbacks),
      output_(output),
      limits_(limits),
      settings_(settings),
      flood_guard_(settings_) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onDataChunkRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onStreamClose);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, &onInvalidFrameRecv);

  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_outbound_ack(opt, settings_.max_outbound_ack);
  nghttp2_option_set_max_settings(opt, settings_.max_settings);
  nghttp2_option_set_max_continuations(opt, settings_.max_continuations);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, settings_.max_deflate_dynamic_table_size);
  // nghttp2's own reset limiter stays as a backstop behind ours (frameReceived).
  nghttp2_option_set_stream_reset_rate_limit(opt, settings_.reset_burst * 2,
                                             settings_.reset_rate_per_second * 2);
  // RFC 9113 deprecates the RFC 7540 priority tree, the only reason to keep
  // closed streams around.
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_session_server_new3(&session_, cbs, this, opt, memory_.mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);

  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
      // HPACK counts 32 bytes per field on top of name and value.
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       limits_.max_header_size + 32 * limits_.max_header_count},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries,
                          sizeof(entries) / sizeof(entries[0]));
  unacked_settings_ = 1;
  hpack_mirror_.emplace();
}

Http2ServerCodec::~Http2ServerCodec() {
  destroying_ = true;
  for (auto& [id, s] : streams_) s->detach();
  nghttp2_session_del(session_);
}

Http2ServerCodec::Stream* Http2ServerCodec::stream(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2ServerCodec::dispatch(evbuffer* input) {
  in_dispatch_ = true;
  while (!failed_ && evbuffer_get_length(input) > 0) {
    evbuffer_iovec vec;
    if (evbuffer_peek(input, -1, nullptr, &vec, 1) < 1) break;
    const ssize_t used =
        nghttp2_session_mem_recv(session_, static_cast<const uint8_t*>(vec.iov_base), vec.iov_len);
    if (used < 0) {
      evbuffer_drain(input, evbuffer_get_length(input));
      const int error = static_cast<int>(used);
      if (error == NGHTTP2_ERR_FLOODED) {
        enhanceYourCalm("flood: the client sent frames that need an answer faster than it reads");
      } else if (error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
        enhanceYourCalm(gw::cat("CONTINUATION flood: more than ", settings_.max_continuations,
                                " CONTINUATION frames after one HEADERS"));
      } else {
        fail(gw::cat("nghttp2: ", nghttp2_strerror(error)));
      }
      break;
    }
    hpack_mirror_->feed(static_cast<const uint8_t*>(vec.iov_base), static_cast<size_t>(used));
    evbuffer_drain(input, static_cast<size_t>(used));
  }
  if (failed_) evbuffer_drain(input, evbuffer_get_length(input));
  in_dispatch_ = false;
}

void Http2ServerCodec::fail(std::string_view description) {
  if (failed_) return;
  failed_ = true;
  callbacks_.onProtocolError(400, "HTTP/2 protocol error", description);
}

void Http2ServerCodec::sendProtocolError(int status, std::string_view body) {
  failed_ = true;
  if (terminated_) return;
  terminated_ = true;
  if (status == 408) {
    // A header block left open past headerReadTimeoutInMillis: no stream can
    // carry an answer, so the GOAWAY's debug data does (the JSON error body).
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, lastStreamId(), NGHTTP2_PROTOCOL_ERROR,
                          reinterpret_cast<const uint8_t*>(body.data()), body.size());
    return;
  }
  nghttp2_session_terminate_session2(session_, lastStreamId(), NGHTTP2_PROTOCOL_ERROR);
}

void Http2ServerCodec::enhanceYourCalm(std::string_view what) {
  if (!terminated_) {
    terminated_ = true;
    nghttp2_session_terminate_session2(session_, lastStreamId(), NGHTTP2_ENHANCE_YOUR_CALM);
  }
  fail(gw::cat(what, "; sent GOAWAY ENHANCE_YOUR_CALM"));
}

void Http2ServerCodec::goAway() {
  if (goaway_ || terminated_) return;
  goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, lastStreamId(), NGHTTP2_NO_ERROR, nullptr, 0);
}

bool Http2ServerCodec::wantsClose() const {
  // After a graceful GOAWAY nghttp2 stops wanting to read once no stream is
  // open, and to write once all is sent.
  return failed_ || terminated_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

bool Http2ServerCodec::releaseIdleMemory() {
  if (!streams_.empty() || in_dispatch_ || in_flush_ || nghttp2_session_want_write(session_) != 0)
    return false;
  memory_.releaseLargeBuffers();
  memory_.releaseCachedBlocks();
  return true;
}

int32_t Http2ServerCodec::lastStreamId() const {
  return std::max(nghttp2_session_get_last_proc_stream_id(session_), resumed_last_stream_);
}

bool Http2ServerCodec::wantsWrite() const { return nghttp2_session_want_write(session_) != 0; }

void Http2ServerCodec::flushOutput() {
  // nghttp2 is not re-entrant: frames produced inside dispatch() wait for the
  // connection manager's flush after it.
  if (in_dispatch_ || in_flush_) return;
  in_flush_ = true;
  while (evbuffer_get_length(output_) < settings_.output_limit) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      in_flush_ = false;
      fail(gw::cat("nghttp2: ", nghttp2_strerror(static_cast<int>(n))));
      return;
    }
    if (n == 0) break;
    evbuffer_add(output_, data, static_cast<size_t>(n));
  }
  in_flush_ = false;
}

int Http2ServerCodec::onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                     void* user) {
  Http2ServerCodec* c = self(user);
  if (frame->hd.type != NGHTTP2_HEADERS || c->replaying_) return 0;
  c->open_header_block_ = frame->hd.stream_id;
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    auto s = std::make_unique<Stream>(*c, frame->hd.stream_id);
    s->request_.version_minor = 1;
    s->request_.scheme.clear();
    // Room for a typical request's fields and the Host added later: one
    // allocation instead of the vector's doublings.
    s->request_.headers.reserve(kRequestFieldsReserved);
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s.get());
    c->streams_[frame->hd.stream_id] = std::move(s);
  } else if (Stream* s = c->stream(frame->hd.stream_id)) {
    s->in_trailers_ = true;
    s->header_bytes_ = 0;
    s->header_count_ = 0;
  }
  return 0;
}

int Http2ServerCodec::onHeader(nghttp2_session* session, const nghttp2_frame* frame,
                               const uint8_t* name, size_t namelen, const uint8_t* value,
                               size_t valuelen, uint8_t, void* user) {
  Http2ServerCodec* c = self(user);
  // The stream set as nghttp2's user data in onBeginHeaders (one lookup in
  // nghttp2's hash map rather than a walk down streams_ per field).
  auto* s =
      static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (s == nullptr || s->refused_status_ != 0) return 0;
  const std::string_view n = view(name, namelen);
  const std::string_view v = view(value, valuelen);
  const char* section = s->in_trailers_ ? "trailer" : "header";
  // Counted as on the HTTP/1 wire ("name: value\r\n"), against the same limits.
  s->header_bytes_ += namelen + valuelen + 4;
  if (s->header_bytes_ > c->limits_.max_header_size) {
    s->refuse(431, "Request header fields too large",
              gw::cat("the request ", section, " section exceeds listenerConfig.maxHeaderSize (",
                      c->limits_.max_header_size, " bytes)"));
    return 0;
  }
  if (++s->header_count_ > c->limits_.max_header_count) {
    s->refuse(431, "Request header fields too large",
              gw::cat("the request has more than listenerConfig.maxHeaderCount (",
                      c->limits_.max_header_count, ") ", section, " fields"));
    return 0;
  }
  if (!n.empty() && n[0] == ':') {
    RequestHeaders& r = s->request_;
    if (n == ":method") {
      r.method = std::string(v);
    } else if (n == ":path") {
      if (v.size() > c->limits_.max_uri_length) {
        s->refuse(414, "URI too long",
                  gw::cat("the request URI exceeds listenerConfig.maxUriLength (",
                          c->limits_.max_uri_length, " bytes)"));
        return 0;
      }
      for (unsigned char ch : v) {
        if (ch <= 0x20 || ch >= 0x7f || ch == '#') {
          s->refuse(400, "Bad request",
                    "the :path has a '#', a control character, a space or a byte >= 0x80");
          return 0;
        }
      }
      r.path = std::string(v);
    } else if (n == ":authority") {
      r.authority = std::string(v);
    } else if (n == ":scheme") {
      r.scheme = std::string(v);
    }
    return 0;
  }
  if (n.find('_') != std::string_view::npos) {
    switch (c->limits_.headers_with_underscores) {
      case UnderscoreHeaders::Allow:
        break;
      case UnderscoreHeaders::Drop:
        if (c->limits_.underscore_headers_dropped != nullptr)
          c->limits_.underscore_headers_dropped->inc();
        return 0;
      case UnderscoreHeaders::Reject:
        s->refuse(400, "Bad request",
                  gw::cat("the ", section, " name '", n,
                          "' contains an underscore; use dashes, or set "
                          "listenerConfig.headersWithUnderscoresAction = \"allow\""));
        return 0;
    }
  }
  if (s->in_trailers_) {
    s->trailers_.add(std::string(n), std::string(v));
  } else if (n == "cookie") {
    // RFC 9113 8.2.3: split cookies are joined for an HTTP/1 hop.
    if (!s->cookie_.empty()) s->cookie_ += "; ";
    s->cookie_.append(v);
  } else {
    s->request_.headers.add(std::string(n), std::string(v));
  }
  return 0;
}

int Http2ServerCodec::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  return self(user)->frameReceived(*frame);
}

int Http2ServerCodec::frameReceived(const nghttp2_frame& frame) {
  if (frame.hd.type == NGHTTP2_SETTINGS && (frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 &&
      unacked_settings_ > 0) {
    --unacked_settings_;
  }
  if (std::string flood = flood_guard_.check(frame); !flood.empty()) {
    enhanceYourCalm(flood);
    return 0;
  }
  open_header_block_ = 0;  // a whole frame arrived: no header block is open (RFC 9113 6.10)
  Stream* s = stream(frame.hd.stream_id);
  if (s == nullptr) return 0;
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS:
      if (s->refused_status_ != 0) {
        if (s->decoder_ == nullptr && !s->response_started_) {
          s->sendRefusal();
        } else if (StreamCallbacks* cb = s->callbacks_) {
          // Trailers over a limit: the stream the manager holds is reset.
          s->detach();
          cb->onResetStream(s->refused_description_);
          nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id_, NGHTTP2_PROTOCOL_ERROR);
        }
        return 0;
      }
      return headersReceived(*s, frame);
    case NGHTTP2_DATA:
      if (end_stream && s->decoder_ != nullptr) {
        std::string empty;
        s->decoder_->decodeData(empty, true);
      }
      return 0;
    default:
      return 0;
  }
}

int Http2ServerCodec::headersReceived(Stream& s, const nghttp2_frame& frame) {
  const bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (s.in_trailers_) {
    if (s.decoder_ != nullptr) s.decoder_->decodeTrailers(std::move(s.trailers_));
    return 0;
  }
  RequestHeaders& r = s.request_;
  if (r.method == "CONNECT") {
    s.refuse(501, "Protocol upgrade not supported",
             "this gateway does not support CONNECT requests");
    s.sendRefusal();
    return 0;
  }
  if (!s.cookie_.empty()) r.headers.add("cookie", std::move(s.cookie_));
  if (!r.authority.empty()) r.headers.set("host", r.authority);
  if (const std::string* length = r.headers.get("content-length")) {
    uint64_t n = 0;
    if (limits_.max_entity_body_size > 0 && absl::SimpleAtoi(*length, &n) &&
        n > limits_.max_entity_body_size) {
      s.refuse(413, "Request entity too large",
               gw::cat("the body exceeds listenerConfig.maxEntityBodySize (",
                       limits_.max_entity_body_size, " bytes)"));
      s.sendRefusal();
      return 0;
    }
  }
  // A body of unknown length is framed as an HTTP/1 chunked body would be,
  // which is how the router and HTTP/1 backends read it.
  if (!end_stream && !r.headers.has("content-length"))
    r.headers.set("transfer-encoding", "chunked");
  s.head_request_ = r.method == "HEAD";
  s.decoder_ = &callbacks_.newStream(s);
  s.decoder_->decodeHeaders(std::move(r), end_stream);
  return 0;
}

int Http2ServerCodec::onDataChunkRecv(nghttp2_session* session, uint8_t, int32_t stream_id,
                                      const uint8_t* data, size_t len, void* user) {
  Http2ServerCodec* c = self(user);
  Stream* s = c->stream(stream_id);
  if (s == nullptr) {
    nghttp2_session_consume_connection(session, len);
    return 0;
  }
  s->body_bytes_ += len;
  const uint64_t limit = c->limits_.max_entity_body_size;
  if (limit > 0 && s->body_bytes_ > limit && s->decoder_ != nullptr) {
    const std::string why =
        gw::cat("the body exceeds listenerConfig.maxEntityBodySize (", limit, " bytes)");
    StreamCallbacks* cb = s->callbacks_;
    const bool started = s->response_started_;
    s->detach();
    if (cb != nullptr) cb->onResetStream(why);
    if (started) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    } else {
      s->refuse(413, "Request entity too large", why);
      s->sendRefusal();
    }
  }
  if (s->decoder_ == nullptr) {
    nghttp2_session_consume(session, stream_id, len);
    return 0;
  }
  std::string chunk(reinterpret_cast<const char*>(data), len);
  s->decoder_->decodeData(chunk, false);
  s->consume(len);
  return 0;
}

int Http2ServerCodec::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                    void* user) {
  return self(user)->streamClosed(stream_id, error_code);
}

int Http2ServerCodec::streamClosed(int32_t stream_id, uint32_t error_code) {
  if (stream_id == open_header_block_) open_header_block_ = 0;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  std::unique_ptr<Stream> s = std::move(it->second);
  streams_.erase(it);
  if (destroying_) return 0;
  StreamCallbacks* cb = s->callbacks_;
  s->detach();
  if (cb != nullptr) {
    cb->onResetStream(
        error_code == NGHTTP2_NO_ERROR
            ? std::string("the client closed the stream before the response ended")
            : gw::cat("the client reset the stream (", nghttp2_http2_strerror(error_code), ")"));
  }
  return 0;
}

int Http2ServerCodec::onInvalidFrameRecv(nghttp2_session*, const nghttp2_frame* frame, int error,
                                         void* user) {
  if (frame->hd.stream_id == self(user)->open_header_block_) self(user)->open_header_block_ = 0;
  GW_LOG_DEBUG("HTTP/2 stream ", frame->hd.stream_id, ": invalid frame type ",
               static_cast<int>(frame->hd.type), ": ", nghttp2_strerror(error));
  return 0;
}

}  // namespace gw::http
