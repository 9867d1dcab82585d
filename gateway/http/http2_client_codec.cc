#include "gateway/http/http2_client_codec.h"

#include <event2/buffer.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "gateway/common/strcat.h"
#include "gateway/http/http1_client_codec.h"

namespace gw::http {
namespace {

// Per-stream receive window: how much response body may wait unread in the
// gateway per stream before the backend must pause. The connection window is
// larger so one slow stream does not stall the others.
constexpr int32_t kStreamWindow = 256 << 10;
constexpr int32_t kConnectionWindow = 16 << 20;
// Drop sent request body from the front of the buffer past this much.
constexpr size_t kCompactAt = 64 << 10;

Http2ClientCodec* self(void* user) { return static_cast<Http2ClientCodec*>(user); }

// Fields that describe one HTTP/1 connection and are malformed in HTTP/2
// (RFC 9113 8.2.2); TE is allowed only as "trailers".
bool connectionSpecific(std::string_view name, std::string_view value) {
  if (name == "te") return !iequals(value, "trailers");
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

}  // namespace

class Http2ClientCodec::Stream : public UpstreamStream {
 public:
  Stream(Http2ClientCodec& codec, UpstreamStreamCallbacks& callbacks)
      : codec_(codec), callbacks_(&callbacks) {}

  void sendData(std::string_view data, bool end_stream) override {
    body_.append(data.data(), data.size());
    if (bufferedRequestBytes() > UpstreamStreamCallbacks::kBufferHighWatermark) above_ = true;
    body_end_ = body_end_ || end_stream;
    resume();
  }
  void sendTrailers(const HeaderMap& trailers) override {
    trailers_ = trailers;
    has_trailers_ = true;
    body_end_ = true;
    resume();
  }
  void reset() override {
    callbacks_ = nullptr;
    done_ = true;
    if (!codec_.failed_ && id_ > 0) {
      nghttp2_submit_rst_stream(codec_.session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
      codec_.flush();
    }
  }
  void consumed(size_t bytes) override {
    bytes = std::min(bytes, unconsumed_);
    if (bytes == 0 || codec_.failed_) return;
    unconsumed_ -= bytes;
    nghttp2_session_consume(codec_.session_, id_, bytes);
    codec_.flush();
  }
  size_t bufferedRequestBytes() const override { return body_.size() - body_offset_; }

  // Gives the connection window back for body the caller will never consume.
  void releaseWindow() {
    if (unconsumed_ > 0 && !codec_.failed_) {
      nghttp2_session_consume_connection(codec_.session_, unconsumed_);
    }
    unconsumed_ = 0;
  }

  void resume() {
    if (!deferred_ || codec_.failed_) return;
    deferred_ = false;
    nghttp2_session_resume_data(codec_.session_, id_);
    codec_.flush();
  }

  // nghttp2's data source: the buffered body, EOF (with trailers) once ended.
  ssize_t read(uint8_t* buf, size_t length, uint32_t* flags) {
    const size_t avail = body_.size() - body_offset_;
    const size_t n = std::min(avail, length);
    std::memcpy(buf, body_.data() + body_offset_, n);
    body_offset_ += n;
    if (body_offset_ == body_.size()) {
      body_.clear();
      body_offset_ = 0;
    } else if (body_offset_ > kCompactAt && body_offset_ * 2 > body_.size()) {
      body_.erase(0, body_offset_);
      body_offset_ = 0;
    }
    if (body_offset_ < body_.size()) return static_cast<ssize_t>(n);
    if (!body_end_) {
      if (n > 0) return static_cast<ssize_t>(n);
      deferred_ = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (has_trailers_) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> nva;
      std::vector<std::string> lower;
      lower.reserve(trailers_.size());
      for (const auto& [name, value] : trailers_.entries()) {
        lower.push_back(absl::AsciiStrToLower(name));
        nva.push_back({reinterpret_cast<uint8_t*>(lower.back().data()),
                       reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                       lower.back().size(), value.size(), NGHTTP2_NV_FLAG_NONE});
      }
      nghttp2_submit_trailer(codec_.session_, id_, nva.data(), nva.size());
    }
    return static_cast<ssize_t>(n);
  }

  Http2ClientCodec& codec_;
  UpstreamStreamCallbacks* callbacks_;  // null once the caller is done with the stream
  int32_t id_ = 0;
  std::string body_;
  size_t body_offset_ = 0;
  bool body_end_ = false;
  bool deferred_ = false;
  bool above_ = false;  // buffered body went above the high watermark
  HeaderMap trailers_;
  bool has_trailers_ = false;
  size_t unconsumed_ = 0;  // response body received, not yet consumed()
  // The response header section being read.
  HeaderMap fields_;
  int status_ = 0;
  std::string bad_;  // why the section is refused
  bool final_headers_ = false;
  bool done_ = false;
  uint32_t rst_code_ = 0;  // the backend's RST_STREAM error code
  bool rst_received_ = false;
};

Http2ClientCodec::Http2ClientCodec(size_t max_streams)
    : max_streams_(std::max<size_t>(1, max_streams)) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onStreamClose);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, &onFrameNotSent);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2ClientCodec::~Http2ClientCodec() { nghttp2_session_del(session_); }

bool Http2ClientCodec::acceptsStreams() const {
  if (goaway_ || failed_) return false;
  const size_t peer_limit =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return streams_.size() < std::min(max_streams_, peer_limit) &&
         nghttp2_session_get_next_stream_id(session_) < (1u << 31) - 1;
}

UpstreamStream* Http2ClientCodec::newStream(const UpstreamRequestHead& head, bool end_stream,
                                            UpstreamStreamCallbacks& callbacks) {
  if (!acceptsStreams()) return nullptr;
  std::vector<std::pair<std::string, std::string>> fields = {{":method", head.method},
                                                             {":scheme", head.scheme},
                                                             {":authority", head.authority},
                                                             {":path", head.path}};
  for (const auto& [name, value] : head.headers.entries()) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower == "host" || connectionSpecific(lower, value)) continue;
    fields.emplace_back(std::move(lower), value);
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<uint8_t*>(name.data()),
                   reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  }
  auto stream = std::make_unique<Stream>(*this, callbacks);
  Stream* s = stream.get();
  s->body_end_ = end_stream;
  nghttp2_data_provider provider;
  provider.source.ptr = s;
  provider.read_callback = &readBody;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                            end_stream ? nullptr : &provider, s);
  if (id < 0) {
    error_ = gw::cat("cannot start an HTTP/2 stream: ", nghttp2_strerror(id));
    return nullptr;
  }
  s->id_ = id;
  streams_.emplace(id, std::move(stream));
  flush();
  return s;
}

Http2ClientCodec::Stream* Http2ClientCodec::find(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

bool Http2ClientCodec::decode(const char* data, size_t len) {
  if (failed_) return false;
  ++depth_;
  const ssize_t rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), len);
  --depth_;
  if (rv < 0) {
    error_ = gw::cat("the backend broke the HTTP/2 protocol: ", nghttp2_strerror(rv));
    failAll(StreamResetReason::ProtocolError, error_);
    return false;
  }
  flush();
  if (!failed_ && nghttp2_session_want_read(session_) == 0 &&
      nghttp2_session_want_write(session_) == 0) {
    // nghttp2 ended the session: it sent GOAWAY for a connection error, or the
    // backend's GOAWAY left nothing open.
    error_ = goaway_ ? std::string("the backend ended the HTTP/2 connection (GOAWAY)")
                     : std::string("the backend broke the HTTP/2 protocol (connection error)");
    failAll(goaway_ ? StreamResetReason::ConnectionError : StreamResetReason::ProtocolError,
            error_);
  }
  collectGarbage();
  return !failed_;
}

void Http2ClientCodec::decodeEof() {
  if (failed_) return;
  error_ = "the backend closed the HTTP/2 connection";
  failAll(StreamResetReason::ConnectionError, error_);
}

void Http2ClientCodec::failAll(StreamResetReason reason, std::string_view detail) {
  failed_ = true;
  std::map<int32_t, std::unique_ptr<Stream>> streams;
  streams.swap(streams_);
  for (auto& [id, s] : streams) {
    // Above a GOAWAY's last id the backend never saw it: safe to send again.
    const bool refused = goaway_ && id > goaway_last_id_;
    failStream(*s, refused ? StreamResetReason::Refused : reason, detail);
    dead_.push_back(std::move(s));
  }
  if (depth_ == 0) collectGarbage();
}

void Http2ClientCodec::failStream(Stream& s, StreamResetReason reason, std::string_view detail) {
  if (s.done_) return;
  s.done_ = true;
  UpstreamStreamCallbacks* cb = s.callbacks_;
  s.callbacks_ = nullptr;
  if (cb != nullptr) cb->onStreamReset(reason, detail);
}

void Http2ClientCodec::flush() {
  if (depth_ > 0 || failed_) return;
  ++depth_;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) {
      if (n < 0) {
        --depth_;
        error_ = gw::cat("HTTP/2 session failed: ", nghttp2_strerror(n));
        failAll(StreamResetReason::ConnectionError, error_);
        return;
      }
      break;
    }
    output_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    if (output_.size() >= kOutputChunk) break;  // the rest when the owner takes this
  }
  --depth_;
  notifyDrained();
  collectGarbage();
}

void Http2ClientCodec::notifyDrained() {
  std::vector<Stream*> drained;
  for (auto& [id, s] : streams_) {
    if (s->above_ && s->callbacks_ != nullptr &&
        s->bufferedRequestBytes() < UpstreamStreamCallbacks::kBufferLowWatermark) {
      s->above_ = false;
      drained.push_back(s.get());
    }
  }
  ++depth_;  // a callback may start or reset streams; none is freed before we return
  for (Stream* s : drained) {
    if (s->callbacks_ != nullptr) s->callbacks_->onRequestBodyDrained();
  }
  --depth_;
  if (!drained.empty()) flush();
}

size_t Http2ClientCodec::moveOutput(evbuffer* out) {
  flush();
  const size_t n = output_.size();
  evbuffer_add(out, output_.data(), n);
  // Keeps the capacity for the next frames, unless a large upload grew it.
  if (output_.capacity() > kKeptOutputCapacity) {
    std::string().swap(output_);
  } else {
    output_.clear();
  }
  return n;
}

void Http2ClientCodec::collectGarbage() {
  if (depth_ == 0) dead_.clear();
}

int Http2ClientCodec::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  Stream* s = self(user)->find(frame->hd.stream_id);
  if (s != nullptr) {
    s->fields_.clear();
    s->bad_.clear();
    if (!s->final_headers_) s->status_ = 0;
  }
  return 0;
}

int Http2ClientCodec::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* n,
                               size_t namelen, const uint8_t* v, size_t valuelen, uint8_t,
                               void* user) {
  Stream* s = self(user)->find(frame->hd.stream_id);
  if (s == nullptr || s->done_) return 0;
  std::string_view name(reinterpret_cast<const char*>(n), namelen);
  std::string_view value(reinterpret_cast<const char*>(v), valuelen);
  if (!s->bad_.empty()) return 0;
  if (!name.empty() && name[0] == ':') {
    int status = 0;
    if (name != ":status" || s->final_headers_) {
      s->bad_ = gw::cat("unexpected pseudo-header '",
                        absl::CEscape(absl::string_view(name.data(), name.size())), "'");
    } else if (!absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &status) ||
               status < 100 || status > 599) {
      s->bad_ =
          gw::cat("invalid status '", absl::CEscape(absl::string_view(value.data(), value.size())),
                  "' (expected 100-599)");
    } else {
      s->status_ = status;
    }
    return 0;
  }
  if (!s->final_headers_ && !isToken(name)) {
    s->bad_ = gw::cat("header name '", absl::CEscape(absl::string_view(name.data(), name.size())),
                      "' is not a token");
  } else if (!s->final_headers_ && connectionSpecific(name, value)) {
    s->bad_ = gw::cat("connection-specific header '", name, "' in an HTTP/2 response");
  } else {
    s->fields_.add(std::string(name), std::string(value));
  }
  return 0;
}

int Http2ClientCodec::onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame,
                                  void* user) {
  Http2ClientCodec* codec = self(user);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_GOAWAY:
      codec->goaway_ = true;
      codec->goaway_last_id_ = frame->goaway.last_stream_id;
      return 0;
    case NGHTTP2_RST_STREAM:
      if (Stream* s = codec->find(frame->hd.stream_id)) {
        s->rst_received_ = true;
        s->rst_code_ = frame->rst_stream.error_code;
      }
      return 0;
    case NGHTTP2_HEADERS:
      if (Stream* s = codec->find(frame->hd.stream_id); s != nullptr && !s->done_) {
        return codec->headersDone(*s, end_stream);
      }
      return 0;
    case NGHTTP2_DATA:
      if (Stream* s = codec->find(frame->hd.stream_id); s != nullptr && end_stream && !s->done_) {
        s->done_ = true;
        s->releaseWindow();
        if (UpstreamStreamCallbacks* cb = std::exchange(s->callbacks_, nullptr)) {
          cb->onResponseComplete(HeaderMap(), true);
        }
      }
      (void)session;
      return 0;
    default:
      return 0;
  }
}

int Http2ClientCodec::headersDone(Stream& s, bool end_stream) {
  if (!s.bad_.empty() || (!s.final_headers_ && s.status_ == 0)) {
    std::string why = s.bad_.empty() ? std::string("response without :status") : std::move(s.bad_);
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id_, NGHTTP2_PROTOCOL_ERROR);
    failStream(s, StreamResetReason::ProtocolError, why);
    return 0;
  }
  if (!s.final_headers_) {
    if (s.status_ < 200) {
      if (s.callbacks_ != nullptr) s.callbacks_->onInterimHeaders(s.status_, std::move(s.fields_));
      s.fields_.clear();
      return 0;
    }
    s.final_headers_ = true;
    ResponseHeaders response;
    response.status = s.status_;
    response.headers = std::move(s.fields_);
    s.fields_.clear();
    if (s.callbacks_ != nullptr &&
        !s.callbacks_->onResponseHeaders(std::move(response), end_stream)) {
      if (!s.done_) s.reset();
      return 0;
    }
    if (!end_stream) return 0;
  }
  // Trailers (or a response without a body): the stream ends here.
  HeaderMap trailers;
  for (auto& [name, value] : s.fields_.entries()) {
    if (!isToken(name)) {
      if (s.callbacks_ != nullptr) s.callbacks_->onTrailerDropped(name);
      continue;
    }
    trailers.add(name, value);
  }
  s.fields_.clear();
  if (s.done_) return 0;
  s.done_ = true;
  s.releaseWindow();
  if (UpstreamStreamCallbacks* cb = std::exchange(s.callbacks_, nullptr)) {
    cb->onResponseComplete(std::move(trailers), true);
  }
  return 0;
}

int Http2ClientCodec::onDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                                  const uint8_t* data, size_t len, void* user) {
  Http2ClientCodec* codec = self(user);
  Stream* s = codec->find(stream_id);
  if (s == nullptr || s->callbacks_ == nullptr || s->done_) {
    // Nobody reads it: give the window back at once.
    nghttp2_session_consume(session, stream_id, len);
    return 0;
  }
  s->unconsumed_ += len;
  if (!s->callbacks_->onResponseData(std::string_view(reinterpret_cast<const char*>(data), len))) {
    if (!s->done_) {
      s->releaseWindow();
      s->reset();
    }
  }
  return 0;
}

int Http2ClientCodec::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                    void* user) {
  Http2ClientCodec* codec = self(user);
  auto it = codec->streams_.find(stream_id);
  if (it == codec->streams_.end()) return 0;
  std::unique_ptr<Stream> s = std::move(it->second);
  codec->streams_.erase(it);
  s->releaseWindow();
  if (!s->done_) {
    const bool refused = error_code == NGHTTP2_REFUSED_STREAM ||
                         (codec->goaway_ && stream_id > codec->goaway_last_id_);
    if (refused) {
      codec->failStream(*s, StreamResetReason::Refused,
                        codec->goaway_ ? gw::cat("the backend is shutting down (GOAWAY, last "
                                                 "stream ",
                                                 codec->goaway_last_id_, ") before stream ",
                                                 stream_id, " was processed")
                                       : std::string("the backend refused the stream"));
    } else if (s->rst_received_) {
      codec->failStream(*s, StreamResetReason::Reset,
                        gw::cat("the backend reset the stream (RST_STREAM ",
                                nghttp2_http2_strerror(s->rst_code_), ")"));
    } else {
      codec->failStream(*s, StreamResetReason::ProtocolError,
                        gw::cat("the stream closed without a complete response (",
                                nghttp2_http2_strerror(error_code), ")"));
    }
  }
  codec->dead_.push_back(std::move(s));
  return 0;
}

int Http2ClientCodec::onFrameNotSent(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                                     void* user) {
  Http2ClientCodec* codec = self(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Stream* s = codec->find(frame->hd.stream_id)) {
    codec->failStream(*s, StreamResetReason::Refused,
                      gw::cat("the request was not sent: ", nghttp2_strerror(lib_error)));
  }
  return 0;
}

ssize_t Http2ClientCodec::readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                   uint32_t* data_flags, nghttp2_data_source* source, void*) {
  return static_cast<Stream*>(source->ptr)->read(buf, length, data_flags);
}

}  // namespace gw::http
