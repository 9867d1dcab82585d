// request_id: its config errors (through the registry, as the chain builder
// calls it) and what it does to a request and its response.

#include "filters/request_id/request_id_filter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "conf/config.h"
#include "gateway/http/filter_registry.h"
#include "gateway/stats/stats.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::request_id {
namespace {

absl::StatusOr<http::FilterFactoryCb> create(const std::string& yaml) {
  const http::FilterConfigFactory* factory = http::FilterRegistry::instance().find("request_id");
  EXPECT_NE(factory, nullptr);
  if (factory == nullptr) return absl::NotFoundError("request_id");
  static conf::Config config;
  static stats::Store stats;
  http::FactoryContext ctx{config, stats};
  return (*factory)(yaml.empty() ? YAML::Node() : YAML::Load(yaml), ctx);
}

struct ErrorCase {
  const char* yaml;
  std::vector<std::string> expected_parts;  // every one must appear in the message
};

// A value of the wrong type used to escape as a yaml-cpp exception and abort
// `microgw --check` (exit 134).
TEST(RequestIdConfig, WrongTypesAreErrorsNamingTheKey) {
  const ErrorCase cases[] = {
      {"header: [a, b]", {"config.header", "expected a string, got a list"}},
      {"header: {a: b}", {"config.header", "expected a string, got a map"}},
      {"header: ''", {"config.header", "must name a header"}},
      {"[header]", {"config", "expected a map, got a list"}},
      {"heder: X-Id", {"unknown key 'config.heder'", "did you mean 'header'?"}},
      {"{[a]: b}", {"config", "expected string keys"}},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<http::FilterFactoryCb> cb = create(c.yaml);
    ASSERT_FALSE(cb.ok()) << c.yaml;
    EXPECT_EQ(cb.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    const std::string msg(cb.status().message());
    for (const std::string& part : c.expected_parts) {
      EXPECT_NE(msg.find(part), std::string::npos) << c.yaml << " -> " << msg;
    }
  }
}

TEST(RequestIdFilter, SetsAnIdAndEchoesItOnTheResponse) {
  absl::StatusOr<http::FilterFactoryCb> cb = create("header: X-Trace");
  ASSERT_TRUE(cb.ok()) << cb.status();
  http::StreamFilterPtr filter = (*cb)();
  test::FakeDecoderFilterCallbacks decoder;
  test::FakeEncoderFilterCallbacks encoder;
  filter->setDecoderFilterCallbacks(decoder);
  filter->setEncoderFilterCallbacks(encoder);

  http::RequestHeaders req;
  req.headers.add("X-Trace", "bad id with blanks");
  EXPECT_EQ(filter->decodeHeaders(req, true), http::FilterStatus::Continue);
  const std::string* id = req.headers.get("x-trace");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_TRUE(isAcceptableId(*id));

  http::ResponseHeaders resp;
  EXPECT_EQ(filter->encodeHeaders(resp, true), http::FilterStatus::Continue);
  ASSERT_NE(resp.headers.get("X-Trace"), nullptr);
  EXPECT_EQ(*resp.headers.get("X-Trace"), *id);
  // Never stops or answers the stream itself.
  EXPECT_TRUE(decoder.replies.empty());
  EXPECT_EQ(decoder.continue_decoding_calls, 0);
  EXPECT_EQ(encoder.continue_encoding_calls, 0);
}

TEST(RequestIdFilter, KeepsAValidClientIdUnderTheDefaultHeader) {
  absl::StatusOr<http::FilterFactoryCb> cb = create("");
  ASSERT_TRUE(cb.ok()) << cb.status();
  http::StreamFilterPtr filter = (*cb)();
  test::FakeDecoderFilterCallbacks decoder;
  filter->setDecoderFilterCallbacks(decoder);
  http::RequestHeaders req;
  req.headers.add("x-request-id", "abc-123");
  filter->decodeHeaders(req, true);
  ASSERT_NE(req.headers.get("X-Request-Id"), nullptr);
  EXPECT_EQ(*req.headers.get("X-Request-Id"), "abc-123");
}

}  // namespace
}  // namespace gw::filters::request_id
