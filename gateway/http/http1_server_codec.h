#pragma once

// HTTP/1.x server codec on http-parser. One request at a time: after a
// request's last byte the parser pauses, so pipelined requests wait in the
// input buffer and are answered in order. Single-threaded, owned by one
// downstream connection.

#include <http_parser.h>

#include <memory>
#include <string>

#include "gateway/http/codec.h"
#include "gateway/http/framing_scanner.h"

namespace gw::http {

class Http1ServerCodec : public ServerCodec, private ResponseEncoder {
 public:
  // `output` is the client socket's output buffer; `callbacks` must outlive the codec.
  Http1ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output, const CodecLimits& limits);

  // ServerCodec
  Protocol protocol() const override { return Protocol::Http1; }
  void dispatch(evbuffer* input) override;
  void sendProtocolError(int status, std::string_view body) override;
  void goAway() override { keep_alive_ = false; }
  bool wantsClose() const override { return !keep_alive_; }
  void flushOutput() override {}
  bool wantsWrite() const override { return false; }

  // HTTP/1 only (one stream at a time).
  // The current response is complete: parsing may go on with the next
  // pipelined request. Call dispatch() again afterwards.
  void resume();
  // False once the connection must close after the current response
  // (Connection: close, HTTP/1.0 without keep-alive, a protocol error, ...).
  bool keepAlive() const { return keep_alive_; }
  // Ends keep-alive after the current response.
  void disableKeepAlive() { keep_alive_ = false; }
  // True while a request is in progress (between its first byte and the end of its response).
  bool streamActive() const { return stream_active_; }
  // True when the current request has been read to its end.
  bool requestComplete() const { return request_complete_; }

 private:
  // ResponseEncoder
  void encode100Continue() override;
  void encodeHeaders(const ResponseHeaders& headers, bool end_stream) override;
  void encodeData(std::string_view data, bool end_stream) override;
  void encodeTrailers(const HeaderMap& trailers) override;
  void setStreamCallbacks(StreamCallbacks*) override {}
  void resetStream() override;
  void readDisable(bool) override {}

  // http-parser callbacks.
  static int onMessageBegin(http_parser* p);
  static int onUrl(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);

  int headersComplete();
  int fail(int status, std::string_view message, std::string_view description);
  int failScanner();
  bool requestKeepsAlive() const;  // listenerConfig.keepAlive applied to the request
  int checkHeaderNames(const char* section);
  void startBodyScan();
  void finishHeaderPair();
  void endResponse();

  ServerCodecCallbacks& callbacks_;
  evbuffer* output_;
  CodecLimits limits_;
  FramingScanner scanner_;  // checks the raw bytes before http-parser sees them
  http_parser parser_;
  http_parser_settings settings_;

  // Per-request parse state.
  RequestHeaders request_;
  HeaderMap trailers_;
  std::string field_;
  std::string value_;
  bool last_was_value_ = false;
  bool bad_header_name_ = false;
  std::string underscore_name_;  // first name refused for its underscore
  bool in_trailers_ = false;
  uint64_t body_bytes_ = 0;
  RequestDecoder* decoder_ = nullptr;
  bool stream_active_ = false;
  bool request_complete_ = false;
  bool message_complete_ = false;
  bool skip_pause_ = false;
  bool failed_ = false;
  bool closing_ = false;  // a response with Connection: close went out
  bool expect_continue_ = false;
  bool sent_continue_ = false;
  bool keep_alive_ = true;

  // Per-response encode state.
  bool head_request_ = false;
  bool response_chunked_ = false;
  bool response_no_body_ = false;
  bool response_started_ = false;
};

}  // namespace gw::http
