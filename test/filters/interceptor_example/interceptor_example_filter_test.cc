// The example filter that replaces a WSO2 interceptor: refuses, changes the
// request, changes the response.

#include "filters/interceptor_example/interceptor_example_filter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "conf/config.h"
#include "gateway/http/filter_registry.h"
#include "gateway/stats/stats.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::interceptor_example {
namespace {

using http::FilterStatus;

class InterceptorExampleTest : public ::testing::Test {
 protected:
  InterceptorExampleTest() {
    filter_.setDecoderFilterCallbacks(decoder_);
    filter_.setEncoderFilterCallbacks(encoder_);
  }
  test::FakeDecoderFilterCallbacks decoder_;
  test::FakeEncoderFilterCallbacks encoder_;
  InterceptorExampleFilter filter_{std::make_shared<InterceptorExampleConfig>()};
};

TEST_F(InterceptorExampleTest, RefusesWithoutTheHeader) {
  http::RequestHeaders request;
  request.method = "GET";
  request.path = "/x";
  EXPECT_EQ(filter_.decodeHeaders(request, true), FilterStatus::StopIteration);
  ASSERT_EQ(decoder_.replies.size(), 1u);
  EXPECT_EQ(decoder_.replies[0].status, 400);
  EXPECT_EQ(decoder_.replies[0].description, "send the X-Tenant header");
}

TEST_F(InterceptorExampleTest, ChangesRequestAndResponse) {
  http::RequestHeaders request;
  request.method = "GET";
  request.path = "/x";
  request.headers.add("X-Tenant", "acme");
  request.headers.add("X-Tenant-Id", "forged");
  EXPECT_EQ(filter_.decodeHeaders(request, true), FilterStatus::Continue);
  EXPECT_EQ(request.headers.count("X-Tenant-Id"), 1u);
  EXPECT_EQ(*request.headers.get("X-Tenant-Id"), "acme");
  http::ResponseHeaders response;
  EXPECT_EQ(filter_.encodeHeaders(response, false), FilterStatus::Continue);
  EXPECT_EQ(*response.headers.get("X-Tenant-Id"), "acme");
}

TEST(InterceptorExampleConfig, RegisteredAndChecksKeys) {
  const http::FilterConfigFactory* factory =
      http::FilterRegistry::instance().find("interceptor_example");
  ASSERT_NE(factory, nullptr);
  conf::Config config;
  stats::Store stats;
  http::FactoryContext ctx{config, stats};
  EXPECT_TRUE((*factory)(YAML::Load("{header: X-Org}"), ctx).ok());
  absl::StatusOr<http::FilterFactoryCb> bad = (*factory)(YAML::Load("{headr: X-Org}"), ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown key 'config.headr' (did you mean 'header'?)");
}

}  // namespace
}  // namespace gw::filters::interceptor_example
