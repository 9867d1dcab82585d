#pragma once

// HTTP/1.1 UpstreamCodec (see upstream_codec.h): one stream at a time over
// Http1ClientCodec, so HTTP/1 backends fit the same stream-oriented seam as
// HTTP/2 ones. A request without end_stream and without Content-Length is
// sent chunked; trailers go out only on a chunked body. A stream reset or a
// response that does not keep the connection alive makes the connection
// unusable (reusable() false), and so does a callback that returns false
// (the stream ends there, silently, as if reset). Flow control is the
// owner's (TCP): consumed() does nothing and no request body is buffered here.
// The output is an evbuffer that moveOutput() empties into the owner's by
// moving its chains; a SharedBody goes in by reference, never copied.
//
// Through a forwarding proxy (no tunnel) the request line carries the
// absolute-form target ("GET http://backend:8080/pets HTTP/1.1") and the
// proxy's credential follows Host (Http1UpstreamOptions).
//
// Threading: one connection on one thread; not thread-safe.

#include <memory>
#include <string>

#include "gateway/http/http1_client_codec.h"
#include "gateway/http/upstream_codec.h"

namespace gw::http {

// Per connection: how requests on it are addressed.
struct Http1UpstreamOptions {
  // The connection goes to a forwarding proxy: absolute-form targets.
  bool absolute_form = false;
  // With absolute_form: the Proxy-Authorization value ("" = none). Never sent
  // on an origin-form (direct or tunnelled) connection.
  std::string proxy_authorization;
};

class Http1UpstreamCodec : public UpstreamCodec, private ResponseDecoderCallbacks {
 public:
  explicit Http1UpstreamCodec(Http1UpstreamOptions options = {});

  UpstreamStream* newStream(const UpstreamRequestHead& head, bool end_stream,
                            UpstreamStreamCallbacks& callbacks) override;
  bool acceptsStreams() const override { return !active_ && reusable_; }
  size_t activeStreams() const override { return active_ ? 1 : 0; }
  bool decode(const char* data, size_t len) override;
  void decodeEof() override;
  size_t moveOutput(evbuffer* out) override;
  bool reusable() const override { return reusable_; }
  const std::string& error() const override { return error_; }

 private:
  class Stream : public UpstreamStream {
   public:
    explicit Stream(Http1UpstreamCodec& codec) : codec_(codec) {}
    void sendData(std::string_view data, bool end_stream) override;
    void sendData(SharedBody body, bool end_stream) override;
    void sendTrailers(const HeaderMap& trailers) override;
    void reset() override;
    void consumed(size_t) override {}
    size_t bufferedRequestBytes() const override { return 0; }

   private:
    Http1UpstreamCodec& codec_;
  };

  // ResponseDecoderCallbacks: from codec_, forwarded to the stream's callbacks.
  void onInterimHeaders(int status, HeaderMap&& headers) override;
  bool onResponseHeaders(ResponseHeaders&& headers, bool no_body) override;
  bool onResponseData(std::string_view data) override;
  void onResponseComplete(HeaderMap&& trailers, bool keep_alive) override;
  void onTrailerDropped(std::string_view name) override;
  // Ends the stream with onStreamReset; the connection is not reused.
  void fail(StreamResetReason reason, std::string_view detail);
  // A chunk's size line ("1a\r\n") before `size` bytes of a chunked body.
  void addChunkSize(size_t size);
  void add(std::string_view bytes);

  const Http1UpstreamOptions options_;
  Http1ClientCodec codec_;
  Stream stream_{*this};
  UpstreamStreamCallbacks* callbacks_ = nullptr;  // the active stream's
  bool active_ = false;
  bool chunked_ = false;
  bool reusable_ = true;
  std::unique_ptr<evbuffer, void (*)(evbuffer*)> output_;
  std::string error_;
};

}  // namespace gw::http
