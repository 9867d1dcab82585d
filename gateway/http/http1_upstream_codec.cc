#include "gateway/http/http1_upstream_codec.h"

#include <event2/buffer.h>

#include <cstdio>
#include <cstdlib>

#include "gateway/common/append_sized.h"
#include "gateway/common/strcat.h"

namespace gw::http {

namespace {

void releaseSharedBody(const void*, size_t, void* body) { delete static_cast<SharedBody*>(body); }

}  // namespace

Http1UpstreamCodec::Http1UpstreamCodec(Http1UpstreamOptions options)
    : options_(std::move(options)), codec_(*this), output_(evbuffer_new(), &evbuffer_free) {
  if (!output_) std::abort();  // out of memory
}

// The head is sized, then written straight into output_ (no appends): this
// runs for every request the router sends to an HTTP/1 backend.
UpstreamStream* Http1UpstreamCodec::newStream(const UpstreamRequestHead& head, bool end_stream,
                                              UpstreamStreamCallbacks& callbacks) {
  if (!acceptsStreams()) return nullptr;
  // string_view on both sides: a std::string one would make a temporary.
  const std::string_view scheme =
      head.scheme.empty() ? std::string_view("http") : std::string_view(head.scheme);
  const bool absolute = options_.absolute_form;
  const std::string_view proxy_authorization =
      absolute ? std::string_view(options_.proxy_authorization) : std::string_view();
  bool has_length = false;
  gw::appendSized<gw::PieceSizer, gw::PieceWriter>(output_.get(), [&](auto& w) {
    w.put(head.method);
    w.put(" ");
    if (absolute) {
      w.put(scheme);
      w.put("://");
      w.put(head.authority);
    }
    w.put(head.path);
    w.put(" HTTP/1.1\r\nHost: ");
    w.put(head.authority);
    w.put("\r\n");
    if (!proxy_authorization.empty()) {
      w.put("Proxy-Authorization: ");
      w.put(proxy_authorization);
      w.put("\r\n");
    }
    has_length = false;
    for (const auto& [name, value] : head.headers.entries()) {
      if (iequals(name, "host") || iequals(name, "transfer-encoding")) continue;
      has_length = has_length || iequals(name, "content-length");
      w.put(name);
      w.put(": ");
      w.put(value);
      w.put("\r\n");
    }
    if (!end_stream && !has_length) w.put("Transfer-Encoding: chunked\r\n");
    w.put("\r\n");
  });
  chunked_ = !end_stream && !has_length;
  codec_.newExchange(head.method);
  callbacks_ = &callbacks;
  active_ = true;
  return &stream_;
}

void Http1UpstreamCodec::add(std::string_view bytes) {
  evbuffer_add(output_.get(), bytes.data(), bytes.size());
}

void Http1UpstreamCodec::addChunkSize(size_t size) {
  char line[20];
  const int n = std::snprintf(line, sizeof(line), "%zx\r\n", size);
  add(std::string_view(line, static_cast<size_t>(n)));
}

void Http1UpstreamCodec::Stream::sendData(std::string_view data, bool end_stream) {
  if (!codec_.active_) return;
  if (!codec_.chunked_) {
    codec_.add(data);
    return;
  }
  if (!data.empty()) {
    codec_.addChunkSize(data.size());
    codec_.add(data);
    codec_.add("\r\n");
  }
  if (end_stream) codec_.add("0\r\n\r\n");
}

// By reference: the evbuffer holds a copy of the pointer until the bytes are
// written (or the buffer is freed), then releaseSharedBody drops it.
void Http1UpstreamCodec::Stream::sendData(SharedBody body, bool end_stream) {
  if (!codec_.active_) return;
  const size_t size = body->size();
  if (size == 0) {
    sendData(std::string_view(), end_stream);
    return;
  }
  if (codec_.chunked_) codec_.addChunkSize(size);
  const char* data = body->data();
  auto* ref = new SharedBody(body);
  if (evbuffer_add_reference(codec_.output_.get(), data, size, &releaseSharedBody, ref) != 0) {
    delete ref;  // not taken (out of memory): copy instead
    codec_.add(*body);
  }
  if (codec_.chunked_) codec_.add(end_stream ? "\r\n0\r\n\r\n" : "\r\n");
}

void Http1UpstreamCodec::Stream::sendTrailers(const HeaderMap& trailers) {
  if (!codec_.active_) return;
  if (!codec_.chunked_) return;  // a Content-Length body has no trailer section
  std::string text = "0\r\n";
  for (const auto& [name, value] : trailers.entries()) {
    gw::catAppend(&text, name, ": ", value, "\r\n");
  }
  text += "\r\n";
  codec_.add(text);
}

void Http1UpstreamCodec::Stream::reset() {
  // HTTP/1 cannot cancel one exchange: the connection goes.
  codec_.callbacks_ = nullptr;
  codec_.active_ = false;
  codec_.reusable_ = false;
}

bool Http1UpstreamCodec::decode(const char* data, size_t len) {
  if (!active_) {
    if (len > 0) {
      error_ = "the backend sent bytes with no request outstanding";
      reusable_ = false;
      return false;
    }
    return true;
  }
  const size_t used = codec_.decode(data, len);
  if (codec_.state() == DecodeState::Stopped) {
    // The stream's owner gave it up inside a callback: no further event.
    callbacks_ = nullptr;
    active_ = false;
    reusable_ = false;
    return true;
  }
  if (codec_.state() == DecodeState::Error) {
    error_ = codec_.error();
    fail(StreamResetReason::ProtocolError, error_);
    return false;
  }
  if (codec_.state() == DecodeState::Complete && used < len) {
    error_ = "the backend sent bytes after the response";
    reusable_ = false;
    return false;
  }
  return true;
}

void Http1UpstreamCodec::decodeEof() {
  reusable_ = false;
  if (!active_) return;
  codec_.decodeEof();  // may end a body delimited by the close
  if (active_) fail(StreamResetReason::ConnectionError, "the backend closed the connection");
}

size_t Http1UpstreamCodec::moveOutput(evbuffer* out) {
  const size_t n = evbuffer_get_length(output_.get());
  if (n > 0) evbuffer_add_buffer(out, output_.get());
  return n;
}

void Http1UpstreamCodec::fail(StreamResetReason reason, std::string_view detail) {
  reusable_ = false;
  active_ = false;
  UpstreamStreamCallbacks* cb = callbacks_;
  callbacks_ = nullptr;
  if (cb != nullptr) cb->onStreamReset(reason, detail);
}

void Http1UpstreamCodec::onInterimHeaders(int status, HeaderMap&& headers) {
  if (callbacks_ != nullptr) callbacks_->onInterimHeaders(status, std::move(headers));
}

bool Http1UpstreamCodec::onResponseHeaders(ResponseHeaders&& headers, bool no_body) {
  return callbacks_ != nullptr && callbacks_->onResponseHeaders(std::move(headers), no_body);
}

bool Http1UpstreamCodec::onResponseData(std::string_view data) {
  return callbacks_ != nullptr && callbacks_->onResponseData(data);
}

void Http1UpstreamCodec::onResponseComplete(HeaderMap&& trailers, bool keep_alive) {
  reusable_ = reusable_ && keep_alive;
  active_ = false;
  UpstreamStreamCallbacks* cb = callbacks_;
  callbacks_ = nullptr;
  if (cb != nullptr) cb->onResponseComplete(std::move(trailers), keep_alive);
}

void Http1UpstreamCodec::onTrailerDropped(std::string_view name) {
  if (callbacks_ != nullptr) callbacks_->onTrailerDropped(name);
}

}  // namespace gw::http
