#pragma once

// HTTP/1.1 ClientCodec on http-parser (see client_codec.h for the contract).
// One per upstream connection; reusable for the next exchange after
// newExchange(). Not thread-safe.

#include <http_parser.h>

#include <string>

#include "gateway/http/client_codec.h"

namespace gw::http {

class Http1ClientCodec : public ClientCodec {
 public:
  // `callbacks` must outlive the codec.
  explicit Http1ClientCodec(ResponseDecoderCallbacks& callbacks);

  void newExchange(std::string_view method) override;
  size_t decode(const char* data, size_t len) override;
  void decodeEof() override;
  DecodeState state() const override { return state_; }
  const std::string& error() const override { return error_; }
  bool headersDone() const override { return headers_done_; }

 private:
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);
  int headersComplete();
  int messageComplete();
  void finishHeaderPair();
  void afterExecute(size_t consumed, size_t len);

  ResponseDecoderCallbacks& callbacks_;
  http_parser parser_;
  http_parser_settings settings_;
  bool head_request_ = false;
  DecodeState state_ = DecodeState::Reading;
  std::string error_;
  HeaderMap fields_;  // the header (or trailer) section being read
  std::string field_, value_;
  bool last_was_value_ = false;
  bool headers_done_ = false;
};

}  // namespace gw::http
