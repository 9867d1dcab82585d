// The shared fakes record what a filter does, and the fake clock plugs into
// the time seams filters take (jwt_authn's wall clock and JWKS steady clock).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>

#include "test/mocks/fake_clock.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::test {
namespace {

// Answers 401 without a token; resumes later otherwise.
class ExampleFilter : public http::PassThroughFilter {
 public:
  http::FilterStatus decodeHeaders(http::RequestHeaders& headers, bool) override {
    if (!headers.headers.has("authorization")) {
      http::LocalReply reply{401, "900902", "Missing Credentials", "send a token", {}};
      reply.headers.add("WWW-Authenticate", "Bearer");
      decoder_callbacks_->sendLocalReply(reply);
      return http::FilterStatus::StopIteration;
    }
    decoder_callbacks_->setAuthenticated("example");
    decoder_callbacks_->continueDecoding();
    return http::FilterStatus::StopIteration;
  }
  http::FilterStatus encodeHeaders(http::ResponseHeaders&, bool) override {
    encoder_callbacks_->continueEncoding();
    return http::FilterStatus::StopIteration;
  }
};

TEST(FilterMocks, RecordLocalRepliesAndContinues) {
  ExampleFilter filter;
  FakeDecoderFilterCallbacks decoder;
  FakeEncoderFilterCallbacks encoder;
  filter.setDecoderFilterCallbacks(decoder);
  filter.setEncoderFilterCallbacks(encoder);

  http::RequestHeaders anonymous;
  filter.decodeHeaders(anonymous, true);
  ASSERT_EQ(decoder.replies.size(), 1u);
  EXPECT_EQ(decoder.replies[0].status, 401);
  EXPECT_EQ(decoder.replies[0].code, "900902");
  ASSERT_NE(decoder.replies[0].headers.get("www-authenticate"), nullptr);
  EXPECT_FALSE(decoder.authenticated());
  EXPECT_EQ(decoder.continue_decoding_calls, 0);

  http::RequestHeaders with_token;
  with_token.headers.add("Authorization", "Bearer x");
  filter.decodeHeaders(with_token, true);
  EXPECT_EQ(decoder.replies.size(), 1u);
  EXPECT_EQ(decoder.continue_decoding_calls, 1);
  EXPECT_EQ(decoder.authenticated_by, "example");

  http::ResponseHeaders response;
  filter.encodeHeaders(response, true);
  EXPECT_EQ(encoder.continue_encoding_calls, 1);
}

TEST(FilterMocks, TwoArgumentLocalReplyKeepsMessageAndDescription) {
  FakeDecoderFilterCallbacks decoder;
  decoder.sendLocalReply(503, "Unavailable", "try later");
  ASSERT_EQ(decoder.replies.size(), 1u);
  EXPECT_EQ(decoder.replies[0].status, 503);
  EXPECT_EQ(decoder.replies[0].message, "Unavailable");
  EXPECT_EQ(decoder.replies[0].description, "try later");
}

TEST(FakeClock, AdvancesBothSeams) {
  FakeClock clock(1'800'000'000);
  // The seam types jwt_authn takes: JwtAuthnConfig::now_seconds and
  // JwksProvider::Options::clock (SteadyClock).
  std::function<int64_t()> wall = clock.wallSecondsFn();
  std::function<std::chrono::steady_clock::time_point()> steady = clock.steadyFn();
  const auto start = steady();
  EXPECT_EQ(wall(), 1'800'000'000);
  clock.advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(wall(), 1'800'000'001);
  EXPECT_EQ(steady() - start, std::chrono::milliseconds(1500));
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_EQ(clock.wallSeconds(), 1'800'000'002);
  EXPECT_EQ(clock.steadyNow() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace gw::test
