#include "filters/headers/headers_filter.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "filters/headers/config.h"
#include "gateway/http/filter_registry.h"
#include "gateway/stats/stats.h"
#include "test/mocks/filter_callbacks.h"

namespace gw::filters::headers {
namespace {

using http::FilterStatus;
using http::HeaderMap;
using Entries = std::vector<HeaderMap::Entry>;

HeadersConfig parse(const std::string& yaml) {
  absl::StatusOr<HeadersConfig> c = parseConfig(YAML::Load(yaml));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : HeadersConfig();
}

std::unique_ptr<HeadersFilter> filterFor(const std::string& yaml) {
  return std::make_unique<HeadersFilter>(std::make_shared<const HeadersConfig>(parse(yaml)));
}

TEST(HeadersConfig, ParsesBothSides) {
  HeadersConfig c = parse(R"(
request:
  add: {X-Gateway: microgw, X-Env: prod}
  remove: [X-Debug, Cookie]
response:
  remove: [Server]
)");
  EXPECT_EQ(c.request.add, (std::vector<std::pair<std::string, std::string>>{
                               {"X-Gateway", "microgw"}, {"X-Env", "prod"}}));
  EXPECT_EQ(c.request.remove, (std::vector<std::string>{"X-Debug", "Cookie"}));
  EXPECT_TRUE(c.response.add.empty());
  EXPECT_EQ(c.response.remove, (std::vector<std::string>{"Server"}));
}

TEST(HeadersConfig, AbsentOrNullIsEmpty) {
  for (const char* yaml : {"", "~", "request:", "request: {add: ~, remove: ~}"}) {
    HeadersConfig c = parse(yaml);
    EXPECT_TRUE(c.request.add.empty()) << yaml;
    EXPECT_TRUE(c.request.remove.empty()) << yaml;
    EXPECT_TRUE(c.response.add.empty()) << yaml;
    EXPECT_TRUE(c.response.remove.empty()) << yaml;
  }
  absl::StatusOr<HeadersConfig> undefined = parseConfig(YAML::Node());
  EXPECT_TRUE(undefined.ok());
}

struct ErrorCase {
  const char* yaml;
  std::vector<std::string> expected_parts;  // every one must appear in the message
};

TEST(HeadersConfig, ErrorsNameTheKey) {
  const ErrorCase cases[] = {
      {"reqest: {add: {A: b}}", {"'config.reqest'", "did you mean 'request'?"}},
      {"respnse: {}", {"'config.respnse'", "did you mean 'response'?"}},
      {"request: {ad: {A: b}}", {"'config.request.ad'", "did you mean 'add'?"}},
      {"response: {remov: [A]}", {"'config.response.remov'", "did you mean 'remove'?"}},
      {"unrelated: 1", {"unknown key 'config.unrelated'"}},
      {"add: 5", {"unknown key 'config.add'"}},
      {"request: [add]", {"config.request: expected a map, got a list"}},
      {"request: {add: [A]}", {"config.request.add: expected a map", "got a list"}},
      {"request: {add: 5}", {"config.request.add: expected a map", "got a scalar"}},
      {"response: {add: X-A}", {"config.response.add: expected a map"}},
      {"request: {remove: X-A}", {"config.request.remove: expected a list"}},
      {"request: {remove: [[a, b]]}", {"config.request.remove[0]: expected a string"}},
      {"request: {add: {[a]: b}}", {"config.request.add: expected string keys"}},
      {"{[request]: {}}", {"config: expected string keys"}},
      {"[request]", {"config: expected a map, got a list"}},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<HeadersConfig> parsed = parseConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(parsed.ok()) << c.yaml;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    std::string msg(parsed.status().message());
    for (const std::string& part : c.expected_parts) {
      EXPECT_NE(msg.find(part), std::string::npos) << c.yaml << " -> " << msg;
    }
  }
}

TEST(HeadersConfig, NoHintForUnrelatedKey) {
  absl::StatusOr<HeadersConfig> parsed = parseConfig(YAML::Load("zzzzzzzz: 1"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).find("did you mean"), std::string::npos)
      << parsed.status();
}

TEST(HeadersConfig, NonScalarValueIsAnErrorNotAThrow) {
  absl::StatusOr<HeadersConfig> parsed = parseConfig(YAML::Load("request: {add: {X-A: [1, 2]}}"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

// BUG (filters/headers/config.cc:86,90 and 109-110): a value of the wrong type
// inside `add` / `remove` surfaces yaml-cpp's "bad conversion" text without
// naming the key, though config.h promises "Errors name the key".
TEST(HeadersConfig, NonScalarValueErrorNamesTheKey) {
  absl::StatusOr<HeadersConfig> parsed = parseConfig(YAML::Load("request: {add: {X-A: [1, 2]}}"));
  ASSERT_FALSE(parsed.ok());
  std::string msg(parsed.status().message());
  EXPECT_NE(msg.find("request.add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("X-A"), std::string::npos) << msg;
}

TEST(HeadersFilter, RequestAddReplacesAndRemoves) {
  auto f = filterFor(R"(
request:
  add: {X-Gateway: microgw, X-New: "1"}
  remove: [x-debug]
)");
  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/";
  req.headers.add("Host", "h");
  req.headers.add("x-gateway", "client-sent");
  req.headers.add("X-Gateway", "second copy");
  req.headers.add("X-Debug", "1");
  req.headers.add("X-DEBUG", "2");
  EXPECT_EQ(f->decodeHeaders(req, true), FilterStatus::Continue);
  EXPECT_EQ(req.headers.entries(),
            (Entries{{"Host", "h"}, {"X-Gateway", "microgw"}, {"X-New", "1"}}));
}

TEST(HeadersFilter, ResponseSide) {
  auto f = filterFor(R"(
request:
  add: {X-Req: r}
response:
  add: {X-Served-By: microgw}
  remove: [Server, X-Powered-By]
)");
  http::ResponseHeaders resp;
  resp.status = 200;
  resp.headers.add("Server", "nginx");
  resp.headers.add("Content-Type", "text/plain");
  resp.headers.add("x-powered-by", "php");
  resp.headers.add("X-Served-By", "backend");
  EXPECT_EQ(f->encodeHeaders(resp, false), FilterStatus::Continue);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.entries(),
            (Entries{{"Content-Type", "text/plain"}, {"X-Served-By", "microgw"}}));
}

TEST(HeadersFilter, SidesDoNotMix) {
  auto f = filterFor(R"(
request:
  remove: [Content-Type]
response:
  add: {X-Resp: "1"}
)");
  http::RequestHeaders req;
  req.headers.add("Content-Type", "a/b");
  f->decodeHeaders(req, false);
  EXPECT_FALSE(req.headers.has("x-resp"));
  EXPECT_FALSE(req.headers.has("content-type"));

  http::ResponseHeaders resp;
  resp.headers.add("Content-Type", "c/d");
  f->encodeHeaders(resp, true);
  EXPECT_EQ(resp.headers.entries(), (Entries{{"Content-Type", "c/d"}, {"X-Resp", "1"}}));
}

TEST(HeadersFilter, AddWinsOverRemoveOfSameName) {
  auto f = filterFor("request: {add: {X-A: new}, remove: [X-A]}");
  http::RequestHeaders req;
  req.headers.add("X-A", "old");
  f->decodeHeaders(req, true);
  EXPECT_EQ(req.headers.entries(), (Entries{{"X-A", "new"}}));
}

TEST(HeadersFilter, BodyAndTrailersPassThrough) {
  auto f = filterFor("request: {add: {X-A: b}}");
  std::string data = "body";
  HeaderMap trailers;
  trailers.add("X-A", "trailer");
  EXPECT_EQ(f->decodeData(data, false), FilterStatus::Continue);
  EXPECT_EQ(f->decodeTrailers(trailers), FilterStatus::Continue);
  EXPECT_EQ(data, "body");
  EXPECT_EQ(trailers.entries(), (Entries{{"X-A", "trailer"}}));
}

TEST(HeadersFilter, NeverStopsOrAnswersTheStream) {
  auto f = filterFor("request: {add: {X-A: b}}\nresponse: {remove: [Server]}");
  test::FakeDecoderFilterCallbacks decoder;
  test::FakeEncoderFilterCallbacks encoder;
  f->setDecoderFilterCallbacks(decoder);
  f->setEncoderFilterCallbacks(encoder);
  http::RequestHeaders req;
  http::ResponseHeaders resp;
  EXPECT_EQ(f->decodeHeaders(req, true), FilterStatus::Continue);
  EXPECT_EQ(f->encodeHeaders(resp, true), FilterStatus::Continue);
  EXPECT_TRUE(decoder.replies.empty());
  EXPECT_EQ(decoder.continue_decoding_calls, 0);
  EXPECT_EQ(encoder.continue_encoding_calls, 0);
}

TEST(HeadersFilter, RegisteredByName) {
  const http::FilterConfigFactory* factory = http::FilterRegistry::instance().find("headers");
  ASSERT_NE(factory, nullptr);
  conf::Config config;
  stats::Store stats;
  http::FactoryContext ctx{config, stats};

  absl::StatusOr<http::FilterFactoryCb> cb =
      (*factory)(YAML::Load("response: {add: {X-Via: gw}}"), ctx);
  ASSERT_TRUE(cb.ok()) << cb.status();
  http::StreamFilterPtr filter = (*cb)();
  ASSERT_NE(filter, nullptr);
  http::ResponseHeaders resp;
  filter->encodeHeaders(resp, true);
  EXPECT_EQ(resp.headers.entries(), (Entries{{"X-Via", "gw"}}));

  absl::StatusOr<http::FilterFactoryCb> bad = (*factory)(YAML::Load("reqest: {}"), ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("did you mean 'request'?"), std::string::npos)
      << bad.status();
}

}  // namespace
}  // namespace gw::filters::headers
