#pragma once

// Shared fakes of the filter callbacks for filter unit tests. They record
// what a filter does to its stream so a test can assert on it:
//
//   gw::test::FakeDecoderFilterCallbacks decoder;
//   filter.setDecoderFilterCallbacks(decoder);
//   EXPECT_EQ(filter.decodeHeaders(headers, true), FilterStatus::StopIteration);
//   ASSERT_EQ(decoder.replies.size(), 1u);
//   EXPECT_EQ(decoder.replies[0].status, 401);
//
// dispatcher(), connector() and stats() return what the test set
// (dispatcher_, connector_, stats_); a filter that asks for one the test did
// not set fails the test with the member's name, then aborts.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/filter.h"

namespace gw::test {

class FakeDecoderFilterCallbacks : public http::DecoderFilterCallbacks {
 public:
  // StreamContext.
  void readDisableDownstream(bool disable) override { read_disabled = disable; }
  const router::RouteMatch* route() const override { return route_; }
  const std::string& downstreamAddress() const override { return address_; }
  bool downstreamTls() const override { return tls_; }
  event::Dispatcher& dispatcher() override { return required(dispatcher_, "dispatcher_"); }
  proxy::Connector& connector() override { return required(connector_, "connector_"); }
  stats::Store& stats() override { return required(stats_, "stats_"); }
  void setUpstreamDescription(std::string description) override {
    upstream_description = std::move(description);
  }

  // DecoderFilterCallbacks.
  void setAuthenticated(std::string_view by) override { authenticated_by = std::string(by); }
  bool authenticated() const override { return !authenticated_by.empty(); }
  void setIdentity(http::AuthIdentity id) override { identity_ = std::move(id); }
  const http::AuthIdentity& identity() const override { return identity_; }
  void continueDecoding() override { ++continue_decoding_calls; }
  void sendLocalReply(int status, std::string_view message, std::string_view description) override {
    replies.push_back(
        http::LocalReply{status, "", std::string(message), std::string(description), {}});
  }
  void sendLocalReply(const http::LocalReply& reply) override { replies.push_back(reply); }
  void encodeHeaders(http::ResponseHeaders headers, bool end_stream) override {
    encoded_headers.push_back(std::move(headers));
    encode_end_stream = end_stream;
  }
  void encodeData(std::string& data, bool end_stream) override {
    encoded_body += data;
    encode_end_stream = end_stream;
  }
  void encodeTrailers(http::HeaderMap trailers) override {
    encoded_trailers.push_back(std::move(trailers));
    encode_end_stream = true;
  }

  // Set by the test.
  const router::RouteMatch* route_ = nullptr;
  std::string address_ = "127.0.0.1";
  bool tls_ = false;
  http::AuthIdentity identity_;  // set by the test or by the filter (setIdentity)
  event::Dispatcher* dispatcher_ = nullptr;
  proxy::Connector* connector_ = nullptr;
  stats::Store* stats_ = nullptr;

  // Recorded.
  std::vector<http::LocalReply> replies;
  int continue_decoding_calls = 0;
  std::string authenticated_by;
  bool read_disabled = false;
  std::string upstream_description;
  std::vector<http::ResponseHeaders> encoded_headers;
  std::string encoded_body;
  std::vector<http::HeaderMap> encoded_trailers;
  bool encode_end_stream = false;

 private:
  template <typename T>
  static T& required(T* value, const char* member) {
    if (value == nullptr) {
      ADD_FAILURE() << "the filter asked for " << member << ", which the test did not set";
      std::abort();  // no object to return
    }
    return *value;
  }
};

class FakeEncoderFilterCallbacks : public http::EncoderFilterCallbacks {
 public:
  void continueEncoding() override { ++continue_encoding_calls; }
  const router::RouteMatch* route() const override { return route_; }

  const router::RouteMatch* route_ = nullptr;
  int continue_encoding_calls = 0;
};

}  // namespace gw::test
