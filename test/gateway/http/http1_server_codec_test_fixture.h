#pragma once

// Shared by the Http1ServerCodec tests: a recording ServerCodecCallbacks /
// RequestDecoder and a fixture that feeds bytes and collects the output.

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/http/http1_server_codec.h"

namespace gw::http {

// Records what the codec reports; one RequestDecoder for every stream.
class FakeCallbacks : public ServerCodecCallbacks, public RequestDecoder {
 public:
  RequestDecoder& newStream(ResponseEncoder& encoder) override {
    encoder_ = &encoder;
    ++streams;
    return *this;
  }
  void onProtocolError(int status, std::string_view message,
                       std::string_view description) override {
    error_status = status;
    error_message = std::string(message);
    error_description = std::string(description);
  }

  void decodeHeaders(RequestHeaders headers, bool end_stream) override {
    events.push_back("headers " + headers.method + " " + headers.path + (end_stream ? " end" : ""));
    requests.push_back(headers);
    if (on_headers) on_headers(requests.back(), end_stream);
  }
  void decodeData(std::string& data, bool end_stream) override {
    events.push_back("data '" + data + "'" + (end_stream ? " end" : ""));
    body += data;
    ++data_calls;
  }
  void decodeTrailers(HeaderMap t) override {
    events.push_back("trailers");
    trailers = std::move(t);
  }

  ResponseEncoder& encoder() { return *encoder_; }

  std::vector<std::string> events;
  std::vector<RequestHeaders> requests;
  std::string body;
  int data_calls = 0;
  HeaderMap trailers;
  int streams = 0;
  int error_status = 0;
  std::string error_message;
  std::string error_description;
  std::function<void(RequestHeaders&, bool)> on_headers;

 private:
  ResponseEncoder* encoder_ = nullptr;
};

class Http1ServerCodecTest : public ::testing::Test {
 protected:
  Http1ServerCodecTest() : input_(evbuffer_new()), output_(evbuffer_new()) {}
  ~Http1ServerCodecTest() override {
    codec_.reset();
    evbuffer_free(input_);
    evbuffer_free(output_);
  }

  Http1ServerCodec& codec() {
    if (!codec_) codec_ = std::make_unique<Http1ServerCodec>(cb_, output_, limits_);
    return *codec_;
  }

  void feed(std::string_view bytes) {
    evbuffer_add(input_, bytes.data(), bytes.size());
    codec().dispatch(input_);
  }

  void feedByteByByte(std::string_view bytes) {
    for (char c : bytes) {
      evbuffer_add(input_, &c, 1);
      codec().dispatch(input_);
    }
  }

  // Drains and returns everything the codec wrote.
  std::string output() {
    size_t n = evbuffer_get_length(output_);
    std::string s(n, '\0');
    evbuffer_remove(output_, s.data(), n);
    return s;
  }

  size_t pendingInput() const { return evbuffer_get_length(input_); }

  void respond(int status, std::vector<std::pair<std::string, std::string>> headers,
               std::string_view body, bool end_in_headers = false) {
    ResponseHeaders h;
    h.status = status;
    for (auto& [n, v] : headers) h.headers.add(n, v);
    cb_.encoder().encodeHeaders(h, end_in_headers);
    if (!end_in_headers) cb_.encoder().encodeData(body, true);
  }

  CodecLimits limits_;
  FakeCallbacks cb_;
  evbuffer* input_;
  evbuffer* output_;
  std::unique_ptr<Http1ServerCodec> codec_;
};

inline CodecLimits makeLimits(uint32_t uri, uint32_t header, uint64_t body) {
  CodecLimits l;
  l.max_uri_length = uri;
  l.max_header_size = header;
  l.max_entity_body_size = body;
  return l;
}

}  // namespace gw::http
