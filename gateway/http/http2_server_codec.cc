#include "gateway/http/http2_server_codec.h"

#include <event2/buffer.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "gateway/common/log.h"
#include "gateway/common/strcat.h"
#include "gateway/stats/stats.h"

namespace gw::http {
namespace {

Http2ServerCodec* self(void* user) { return static_cast<Http2ServerCodec*>(user); }

std::string_view view(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// RFC 9113 8.2.2: connection-specific fields have no place in HTTP/2.
bool isConnectionSpecific(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection") || iequals(name, "transfer-encoding") ||
         iequals(name, "upgrade");
}

bool statusHasNoContent(int status) {
  return status == 204 || status == 304 || (status >= 100 && status < 200);
}

nghttp2_nv makeNv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Header fields for nghttp2: lower-case names, connection-specific ones left out.
// `storage` keeps the strings the returned entries point into.
std::vector<nghttp2_nv> toNva(const HeaderMap& headers, std::vector<std::string>& storage,
                              bool drop_content_length) {
  storage.reserve(storage.size() + headers.size() * 2);
  for (const auto& [name, value] : headers.entries()) {
    if (isConnectionSpecific(name)) continue;
    if (drop_content_length && iequals(name, "content-length")) continue;
    // RFC 9113 8.2.1: no leading or trailing whitespace, no CR, LF or NUL;
    // an HTTP/1 backend's "Server: x " would make clients reject the response.
    std::string_view v = value;
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) continue;
    storage.push_back(absl::AsciiStrToLower(name));
    storage.emplace_back(v);
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(storage.size() / 2);
  for (size_t i = 0; i + 1 < storage.size(); i += 2)
    nva.push_back(makeNv(storage[i], storage[i + 1]));
  return nva;
}

}  // namespace

// One HTTP/2 stream: the request being assembled from HEADERS/DATA frames and
// the response waiting to be framed. Owned by the codec until nghttp2 closes it.
class Http2ServerCodec::Stream : public ResponseEncoder {
 public:
  Stream(Http2ServerCodec& codec, int32_t id) : codec_(codec), id_(id), body_(evbuffer_new()) {}
  ~Stream() override { evbuffer_free(body_); }

  // ResponseEncoder
  void encode100Continue() override {}
  void encodeHeaders(const ResponseHeaders& headers, bool end_stream) override;
  void encodeData(std::string_view data, bool end_stream) override;
  void encodeTrailers(const HeaderMap& trailers) override;
  void setStreamCallbacks(StreamCallbacks* callbacks) override { callbacks_ = callbacks; }
  void resetStream() override;
  void readDisable(bool disable) override;

  // nghttp2's data source for the response body.
  static ssize_t readBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source* source, void* user);

  // A request the codec answers itself (over a limit, malformed), before it
  // reaches the connection manager: `status` with no body.
  void refuse(int status, std::string description) {
    if (refused_status_ == 0) {
      refused_status_ = status;
      refused_description_ = std::move(description);
    }
  }
  void sendRefusal();
  // The connection manager is done with the stream (response ended or reset).
  void detach() {
    decoder_ = nullptr;
    callbacks_ = nullptr;
  }
  // Request body bytes passed on (or dropped): let the client send more,
  // unless the stream's reader asked to wait.
  void consume(size_t n) {
    if (read_disabled_ > 0) {
      unconsumed_ += n;
    } else {
      nghttp2_session_consume(codec_.session_, id_, n);
    }
  }

  Http2ServerCodec& codec_;
  const int32_t id_;
  RequestHeaders request_;
  HeaderMap trailers_;
  bool in_trailers_ = false;
  size_t header_bytes_ = 0;
  uint32_t header_count_ = 0;
  std::string cookie_;
  int refused_status_ = 0;
  std::string refused_description_;
  uint64_t body_bytes_ = 0;
  RequestDecoder* decoder_ = nullptr;
  StreamCallbacks* callbacks_ = nullptr;
  bool head_request_ = false;

  // Response side.
  evbuffer* body_;
  bool response_started_ = false;
  bool response_no_body_ = false;
  bool response_end_ = false;  // the encoder gave the last byte (or trailers)
  bool deferred_ = false;      // readBody found nothing and nghttp2 waits for resume
  bool above_watermark_ = false;
  std::optional<HeaderMap> response_trailers_;
  int read_disabled_ = 0;
  size_t unconsumed_ = 0;
};

void Http2ServerCodec::Stream::encodeHeaders(const ResponseHeaders& headers, bool end_stream) {
  // Interim (1xx) responses are not passed on: the final one follows.
  if (response_started_ || (headers.status < 200 && !end_stream)) return;
  response_started_ = true;
  const bool no_content = statusHasNoContent(headers.status);
  response_no_body_ = head_request_ || no_content;
  std::vector<std::string> storage{":status", std::to_string(headers.status)};
  std::vector<nghttp2_nv> nva = toNva(headers.headers, storage, no_content);
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &Stream::readBody;
  if (end_stream) {
    response_end_ = true;
    detach();
  }
  nghttp2_submit_response(codec_.session_, id_, nva.data(), nva.size(),
                          end_stream ? nullptr : &provider);
}

void Http2ServerCodec::Stream::encodeData(std::string_view data, bool end_stream) {
  if (response_end_) return;
  if (!response_no_body_ && !data.empty()) evbuffer_add(body_, data.data(), data.size());
  if (end_stream) {
    response_end_ = true;
    detach();
  } else if (!above_watermark_ &&
             evbuffer_get_length(body_) > codec_.settings_.stream_write_high_watermark) {
    above_watermark_ = true;
    if (callbacks_ != nullptr) callbacks_->onAboveWriteBufferHighWatermark();
  }
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(codec_.session_, id_);
  }
}

void Http2ServerCodec::Stream::encodeTrailers(const HeaderMap& trailers) {
  if (response_end_) return;
  if (!trailers.empty()) response_trailers_ = trailers;
  response_end_ = true;
  detach();
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(codec_.session_, id_);
  }
}

void Http2ServerCodec::Stream::resetStream() {
  detach();
  response_end_ = true;
  nghttp2_submit_rst_stream(codec_.session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
}

void Http2ServerCodec::Stream::readDisable(bool disable) {
  if (disable) {
    ++read_disabled_;
    return;
  }
  if (read_disabled_ == 0 || --read_disabled_ > 0) return;
  if (unconsumed_ > 0) {
    nghttp2_session_consume(codec_.session_, id_, unconsumed_);
    unconsumed_ = 0;
  }
}

void Http2ServerCodec::Stream::sendRefusal() {
  codec_.callbacks_.onStreamRefused(refused_status_, refused_description_);
  std::vector<std::string> storage{":status", std::to_string(refused_status_)};
  std::vector<nghttp2_nv> nva = toNva(HeaderMap(), storage, false);
  response_started_ = true;
  response_end_ = true;
  nghttp2_submit_response(codec_.session_, id_, nva.data(), nva.size(), nullptr);
}

ssize_t Http2ServerCodec::Stream::readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                           uint32_t* data_flags, nghttp2_data_source* source,
                                           void*) {
  Stream& s = *static_cast<Stream*>(source->ptr);
  const int n = evbuffer_remove(s.body_, buf, length);
  const size_t left = evbuffer_get_length(s.body_);
  if (s.above_watermark_ && left < s.codec_.settings_.stream_write_low_watermark) {
    s.above_watermark_ = false;
    if (s.callbacks_ != nullptr) s.callbacks_->onBelowWriteBufferLowWatermark();
  }
  if (left == 0 && s.response_end_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s.response_trailers_) {
      std::vector<std::string> storage;
      std::vector<nghttp2_nv> nva = toNva(*s.response_trailers_, storage, false);
      if (nghttp2_submit_trailer(s.codec_.session_, s.id_, nva.data(), nva.size()) == 0) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
    return n > 0 ? n : 0;
  }
  if (n <= 0) {
    s.deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return n;
}

Http2ServerCodec::Http2ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output,
                                   const CodecLimits& limits, const Http2Settings& settings)
    : callbacks_(callbacks), output_(output), limits_(limits), settings_(settings) {
  const auto now = std::chrono::steady_clock::now();
  resets_ = Bucket{static_cast<double>(settings_.reset_burst), now};
  control_frames_ = Bucket{static_cast<double>(settings_.control_frame_burst), now};

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
  nghttp2_session_server_new2(&session_, cbs, this, opt);
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

void Http2ServerCodec::sendProtocolError(int, std::string_view) {
  failed_ = true;
  if (!terminated_) {
    terminated_ = true;
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
}

void Http2ServerCodec::enhanceYourCalm(std::string_view what) {
  if (!terminated_) {
    terminated_ = true;
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
  }
  fail(gw::cat(what, "; sent GOAWAY ENHANCE_YOUR_CALM"));
}

void Http2ServerCodec::goAway() {
  if (goaway_ || terminated_) return;
  goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

bool Http2ServerCodec::wantsClose() const {
  // After a graceful GOAWAY nghttp2 stops wanting to read once no stream is
  // open, and to write once all is sent.
  return failed_ || terminated_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
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

bool Http2ServerCodec::take(Bucket& bucket, uint32_t burst, uint32_t rate) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.last = now;
  bucket.tokens = std::min<double>(burst, bucket.tokens + elapsed * rate);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

bool Http2ServerCodec::checkFlood(const nghttp2_frame& frame) {
  const bool empty = frame.hd.length == 0 && (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0;
  switch (frame.hd.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS:
      empty_frames_ = empty && frame.hd.type == NGHTTP2_DATA ? empty_frames_ + 1 : 0;
      if (empty_frames_ > settings_.max_consecutive_empty_frames) {
        enhanceYourCalm(gw::cat("flood: more than ", settings_.max_consecutive_empty_frames,
                                " empty DATA frames in a row"));
        return false;
      }
      return true;
    case NGHTTP2_RST_STREAM:
      if (!take(resets_, settings_.reset_burst, settings_.reset_rate_per_second)) {
        enhanceYourCalm(gw::cat("rapid reset: more than ", settings_.reset_burst,
                                " stream resets (then ", settings_.reset_rate_per_second,
                                "/s) from the client"));
        return false;
      }
      return true;
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) return true;
      if (!take(control_frames_, settings_.control_frame_burst,
                settings_.control_frame_rate_per_second)) {
        enhanceYourCalm(gw::cat("flood: more than ", settings_.control_frame_burst,
                                " SETTINGS/PING frames (then ",
                                settings_.control_frame_rate_per_second, "/s) from the client"));
        return false;
      }
      return true;
    default:
      return true;
  }
}

int Http2ServerCodec::onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                     void* user) {
  Http2ServerCodec* c = self(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    auto s = std::make_unique<Stream>(*c, frame->hd.stream_id);
    s->request_.version_minor = 1;
    s->request_.scheme.clear();
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s.get());
    c->streams_[frame->hd.stream_id] = std::move(s);
  } else if (Stream* s = c->stream(frame->hd.stream_id)) {
    s->in_trailers_ = true;
    s->header_bytes_ = 0;
    s->header_count_ = 0;
  }
  return 0;
}

int Http2ServerCodec::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                               size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                               void* user) {
  Http2ServerCodec* c = self(user);
  Stream* s = c->stream(frame->hd.stream_id);
  if (s == nullptr || s->refused_status_ != 0) return 0;
  const std::string_view n = view(name, namelen);
  const std::string_view v = view(value, valuelen);
  const char* section = s->in_trailers_ ? "trailer" : "header";
  // Counted as on the HTTP/1 wire ("name: value\r\n"), against the same limits.
  s->header_bytes_ += namelen + valuelen + 4;
  if (s->header_bytes_ > c->limits_.max_header_size) {
    s->refuse(431,
              gw::cat("the request ", section, " section exceeds listenerConfig.maxHeaderSize (",
                      c->limits_.max_header_size, " bytes)"));
    return 0;
  }
  if (++s->header_count_ > c->limits_.max_header_count) {
    s->refuse(431, gw::cat("the request has more than listenerConfig.maxHeaderCount (",
                           c->limits_.max_header_count, ") ", section, " fields"));
    return 0;
  }
  if (!n.empty() && n[0] == ':') {
    RequestHeaders& r = s->request_;
    if (n == ":method") {
      r.method = std::string(v);
    } else if (n == ":path") {
      if (v.size() > c->limits_.max_uri_length) {
        s->refuse(414, gw::cat("the request URI exceeds listenerConfig.maxUriLength (",
                               c->limits_.max_uri_length, " bytes)"));
        return 0;
      }
      for (unsigned char ch : v) {
        if (ch <= 0x20 || ch >= 0x7f || ch == '#') {
          s->refuse(400, "the :path has a '#', a control character, a space or a byte >= 0x80");
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
        s->refuse(400, gw::cat("the ", section, " name '", n,
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
  if (!checkFlood(frame)) return 0;
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
    s.refuse(501, "this gateway does not support CONNECT requests");
    s.sendRefusal();
    return 0;
  }
  if (!s.cookie_.empty()) r.headers.add("cookie", std::move(s.cookie_));
  if (!r.authority.empty()) r.headers.set("host", r.authority);
  if (const std::string* length = r.headers.get("content-length")) {
    uint64_t n = 0;
    if (limits_.max_entity_body_size > 0 && absl::SimpleAtoi(*length, &n) &&
        n > limits_.max_entity_body_size) {
      s.refuse(413, gw::cat("the body exceeds listenerConfig.maxEntityBodySize (",
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
      s->refuse(413, why);
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
                                         void*) {
  GW_LOG_DEBUG("HTTP/2 stream ", frame->hd.stream_id, ": invalid frame type ",
               static_cast<int>(frame->hd.type), ": ", nghttp2_strerror(error));
  return 0;
}

}  // namespace gw::http
