#include "gateway/http/http2_stream.h"

#include <string_view>

#include "absl/container/inlined_vector.h"
#include "gateway/http/filter_chain.h"

namespace gw::http {
namespace {

// RFC 9113 8.2.2: connection-specific fields have no place in HTTP/2.
// (By length first: this runs for every response field.)
bool isConnectionSpecific(std::string_view name) {
  switch (name.size()) {
    case 7:
      return iequals(name, "upgrade");
    case 10:
      return iequals(name, "connection") || iequals(name, "keep-alive");
    case 16:
      return iequals(name, "proxy-connection");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

bool statusHasNoContent(int status) {
  return status == 204 || status == 304 || (status >= 100 && status < 200);
}

// (A plain loop: string_view::find_first_of calls memchr once per byte.)
bool hasLineBreakOrNul(std::string_view v) {
  for (const char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

nghttp2_nv makeNv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Header fields for nghttp2, which copies them when a frame is submitted:
// lower-case names, connection-specific fields left out. The entries point
// into the HeaderMap (values) and into one buffer of lowered names, so a
// response's fields cost one allocation here, not two strings each.
class NvList {
 public:
  void add(std::string_view name, std::string_view value) { nva_.push_back(makeNv(name, value)); }

  void addHeaders(const HeaderMap& headers, bool drop_content_length) {
    size_t names = 0;
    for (const auto& entry : headers.entries()) names += entry.first.size();
    lowered_.resize(names);  // the entries point into it: it never grows
    char* out = lowered_.data();
    for (const auto& [name, value] : headers.entries()) {
      if (isConnectionSpecific(name)) continue;
      if (drop_content_length && iequals(name, "content-length")) continue;
      // RFC 9113 8.2.1: no leading or trailing whitespace, no CR, LF or NUL;
      // an HTTP/1 backend's "Server: x " would make clients reject the response.
      const std::string_view v = trimOws(value);
      if (hasLineBreakOrNul(v)) continue;
      for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
      }
      add(std::string_view(out, name.size()), v);
      out += name.size();
    }
  }

  nghttp2_nv* data() { return nva_.data(); }
  size_t size() const { return nva_.size(); }

 private:
  absl::InlinedVector<nghttp2_nv, 16> nva_;
  absl::InlinedVector<char, 256> lowered_;  // a typical response's names need no allocation
};

}  // namespace

void Http2ServerCodec::Stream::encodeHeaders(const ResponseHeaders& headers, bool end_stream) {
  // Interim (1xx) responses are not passed on: the final one follows.
  if (response_started_ || (headers.status < 200 && !end_stream)) return;
  response_started_ = true;
  const bool no_content = statusHasNoContent(headers.status);
  response_no_body_ = head_request_ || no_content;
  const std::string status = std::to_string(headers.status);
  NvList nva;
  nva.add(":status", status);
  nva.addHeaders(headers.headers, no_content);
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
  const std::string body = localReplyBody(refused_status_, refused_message_, refused_description_);
  const std::string status = std::to_string(refused_status_);
  const std::string length = std::to_string(body.size());
  const nghttp2_nv nva[] = {
      makeNv(":status", status),
      makeNv("content-type", "application/json"),
      makeNv("content-length", length),
  };
  response_started_ = true;
  response_end_ = true;
  detach();
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &Stream::readBody;
  const bool with_body = !head_request_ && request_.method != "HEAD";
  if (with_body) evbuffer_add(body_, body.data(), body.size());
  nghttp2_submit_response(codec_.session_, id_, nva, 3, with_body ? &provider : nullptr);
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
      NvList nva;
      nva.addHeaders(*s.response_trailers_, false);
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

}  // namespace gw::http
