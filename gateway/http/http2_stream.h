#pragma once

// Http2ServerCodec's stream (internal to the codec; include only from
// http2_server_codec.cc and http2_stream.cc).

#include <event2/buffer.h>
#include <nghttp2/nghttp2.h>

#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/http2_server_codec.h"

namespace gw::http {

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
  // reaches the connection manager: `status` with the JSON error body HTTP/1
  // answers carry ({"code", "message", "description"}, localReplyBody).
  void refuse(int status, std::string_view message, std::string description) {
    if (refused_status_ == 0) {
      refused_status_ = status;
      refused_message_ = message;
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
  std::string_view refused_message_;  // a string literal
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

}  // namespace gw::http
