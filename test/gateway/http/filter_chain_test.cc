#include "gateway/http/filter_chain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gw::http {
namespace {

using Log = std::vector<std::string>;

// Records every event as "<name>:<event>" in a log shared by the chain.
class RecordingFilter : public PassThroughFilter {
 public:
  RecordingFilter(std::string name, Log& log) : name_(std::move(name)), log_(log) {}

  FilterStatus decodeHeaders(RequestHeaders& h, bool end_stream) override {
    log_.push_back(name_ + ":dh" + (end_stream ? " end" : ""));
    if (on_decode_headers) on_decode_headers(h);
    return decode_headers_status;
  }
  FilterStatus decodeData(std::string& data, bool end_stream) override {
    log_.push_back(name_ + ":dd '" + data + "'" + (end_stream ? " end" : ""));
    if (on_decode_data) on_decode_data(data);
    return decode_data_status;
  }
  FilterStatus decodeTrailers(HeaderMap&) override {
    log_.push_back(name_ + ":dt");
    return FilterStatus::Continue;
  }
  FilterStatus encodeHeaders(ResponseHeaders& h, bool end_stream) override {
    log_.push_back(name_ + ":eh " + std::to_string(h.status) + (end_stream ? " end" : ""));
    return encode_headers_status;
  }
  FilterStatus encodeData(std::string& data, bool end_stream) override {
    log_.push_back(name_ + ":ed '" + data + "'" + (end_stream ? " end" : ""));
    return encode_data_status;
  }
  FilterStatus encodeTrailers(HeaderMap&) override {
    log_.push_back(name_ + ":et");
    return FilterStatus::Continue;
  }
  void onDestroy() override {
    ++destroyed;
    log_.push_back(name_ + ":destroy");
  }

  DecoderFilterCallbacks& decoder() { return *decoder_callbacks_; }
  EncoderFilterCallbacks& encoder() { return *encoder_callbacks_; }

  FilterStatus decode_headers_status = FilterStatus::Continue;
  FilterStatus decode_data_status = FilterStatus::Continue;
  FilterStatus encode_headers_status = FilterStatus::Continue;
  FilterStatus encode_data_status = FilterStatus::Continue;
  std::function<void(RequestHeaders&)> on_decode_headers;
  std::function<void(std::string&)> on_decode_data;
  int destroyed = 0;

 private:
  std::string name_;
  Log& log_;
};

class FakeOwner : public FilterChainOwner {
 public:
  explicit FakeOwner(Log& log) : log_(log) {}

  void writeHeaders(ResponseHeaders& headers, bool end_stream) override {
    log_.push_back("owner:headers " + std::to_string(headers.status) + (end_stream ? " end" : ""));
    response_headers = headers;
  }
  void writeData(std::string& data, bool end_stream) override {
    log_.push_back("owner:data '" + data + "'" + (end_stream ? " end" : ""));
    body += data;
  }
  void writeTrailers(HeaderMap& trailers) override {
    log_.push_back("owner:trailers");
    this->trailers = trailers;
  }
  void resetStream(std::string_view reason) override {
    log_.push_back("owner:reset " + std::string(reason));
  }
  void readDisableDownstream(bool disable) override {
    log_.push_back(disable ? "owner:read-disable" : "owner:read-enable");
  }
  const router::RouteMatch* route() const override { return nullptr; }
  const std::string& downstreamAddress() const override { return address_; }
  bool downstreamTls() const override { return true; }
  // Not used by the chain itself; a test that reaches these is wrong.
  event::Dispatcher& dispatcher() override { std::abort(); }
  proxy::Connector& connector() override { std::abort(); }
  stats::Store& stats() override { std::abort(); }
  void setUpstreamDescription(std::string d) override { upstream = std::move(d); }

  ResponseHeaders response_headers;
  std::string body;
  HeaderMap trailers;
  std::string upstream;

 private:
  Log& log_;
  std::string address_ = "192.0.2.7";
};

class FilterChainTest : public ::testing::Test {
 protected:
  FilterChainTest() : owner_(log_) {}

  // Builds the chain a -> b -> c (c plays the router).
  void build(size_t n = 3) {
    std::vector<StreamFilterPtr> filters;
    const char* names[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < n; ++i) {
      auto f = std::make_unique<RecordingFilter>(names[i], log_);
      f_.push_back(f.get());
      filters.push_back(std::move(f));
    }
    chain_ = std::make_unique<FilterChain>(owner_, std::move(filters));
  }

  static RequestHeaders request(std::string path = "/pets") {
    RequestHeaders h;
    h.method = "POST";
    h.path = std::move(path);
    h.headers.add("Host", "h");
    return h;
  }

  static RequestHeaders grpcRequest(std::string path, std::string content_type) {
    RequestHeaders h = request(std::move(path));
    h.headers.add("Content-Type", std::move(content_type));
    return h;
  }

  void data(std::string s, bool end) { chain_->decodeData(s, end); }
  HeaderMap trailers() {
    HeaderMap t;
    t.add("X-T", "1");
    return t;
  }

  Log takeLog() {
    Log out;
    out.swap(log_);
    return out;
  }

  Log log_;
  FakeOwner owner_;
  std::vector<RecordingFilter*> f_;
  std::unique_ptr<FilterChain> chain_;
};

TEST_F(FilterChainTest, DecodeRunsFirstToLast) {
  build();
  chain_->decodeHeaders(request(), false);
  data("xy", false);
  chain_->decodeTrailers(trailers());
  EXPECT_EQ(takeLog(), (Log{"a:dh", "b:dh", "c:dh", "a:dd 'xy'", "b:dd 'xy'", "c:dd 'xy'", "a:dt",
                            "b:dt", "c:dt"}));
  EXPECT_EQ(chain_->requestHeaders().path, "/pets");
}

TEST_F(FilterChainTest, FilterSeesEarlierFiltersHeaderChanges) {
  build();
  f_[0]->on_decode_headers = [](RequestHeaders& h) { h.headers.set("X-Added", "yes"); };
  std::string seen;
  f_[2]->on_decode_headers = [&](RequestHeaders& h) {
    if (const std::string* v = h.headers.get("x-added")) seen = *v;
  };
  chain_->decodeHeaders(request(), true);
  EXPECT_EQ(seen, "yes");
  EXPECT_EQ(takeLog(), (Log{"a:dh end", "b:dh end", "c:dh end"}));
}

TEST_F(FilterChainTest, EncodeRunsLastToFirst) {
  build();
  chain_->decodeHeaders(request(), true);
  takeLog();
  ResponseHeaders rh;
  rh.status = 201;
  f_[2]->decoder().encodeHeaders(rh, false);
  std::string body = "ok";
  f_[2]->decoder().encodeData(body, false);
  f_[2]->decoder().encodeTrailers(trailers());
  EXPECT_EQ(takeLog(),
            (Log{"c:eh 201", "b:eh 201", "a:eh 201", "owner:headers 201", "c:ed 'ok'", "b:ed 'ok'",
                 "a:ed 'ok'", "owner:data 'ok'", "c:et", "b:et", "a:et", "owner:trailers"}));
  EXPECT_TRUE(chain_->responseStarted());
  EXPECT_TRUE(chain_->responseComplete());
  EXPECT_EQ(chain_->responseStatus(), 201);
  EXPECT_EQ(owner_.trailers.size(), 1u);
}

TEST_F(FilterChainTest, StopOnDecodeHeadersHoldsBackDataAndTrailers) {
  build();
  f_[1]->decode_headers_status = FilterStatus::StopIteration;
  chain_->decodeHeaders(request(), false);
  data("he", false);
  data("llo", true);
  chain_->decodeTrailers(trailers());
  EXPECT_EQ(takeLog(), (Log{"a:dh", "b:dh"}));

  f_[1]->decoder().continueDecoding();
  // Headers go on from the next filter; the held-back body arrives as one chunk
  // (not end of stream, as trailers follow), then the trailers.
  EXPECT_EQ(takeLog(),
            (Log{"c:dh", "a:dd 'hello'", "b:dd 'hello'", "c:dd 'hello'", "a:dt", "b:dt", "c:dt"}));
  // A second continueDecoding is a no-op.
  f_[1]->decoder().continueDecoding();
  EXPECT_TRUE(takeLog().empty());
}

TEST_F(FilterChainTest, ContinueDecodingBeforeReturningStopActsAsContinue) {
  build();
  f_[1]->decode_headers_status = FilterStatus::StopIteration;
  f_[1]->on_decode_headers = [this](RequestHeaders&) { f_[1]->decoder().continueDecoding(); };
  chain_->decodeHeaders(request(), false);
  data("x", true);
  EXPECT_EQ(takeLog(),
            (Log{"a:dh", "b:dh", "c:dh", "a:dd 'x' end", "b:dd 'x' end", "c:dd 'x' end"}));
}

TEST_F(FilterChainTest, ContinueDecodingWithBufferedEndOfStream) {
  build();
  f_[0]->decode_headers_status = FilterStatus::StopIteration;
  chain_->decodeHeaders(request(), false);
  data("abc", true);
  takeLog();
  f_[0]->decode_headers_status = FilterStatus::Continue;
  f_[0]->decoder().continueDecoding();
  EXPECT_EQ(takeLog(), (Log{"b:dh", "c:dh", "a:dd 'abc' end", "b:dd 'abc' end", "c:dd 'abc' end"}));
}

TEST_F(FilterChainTest, LargeHeldBackBodyDisablesReadingUntilContinue) {
  build();
  f_[0]->decode_headers_status = FilterStatus::StopIteration;
  chain_->decodeHeaders(request(), false);
  data(std::string((1 << 20) + 1, 'x'), false);
  data("y", false);  // disables only once
  Log log = takeLog();
  EXPECT_EQ(std::count(log.begin(), log.end(), "owner:read-disable"), 1);
  f_[0]->decoder().continueDecoding();
  log = takeLog();
  // Reading resumes before the held-back body is passed on.
  auto enable = std::find(log.begin(), log.end(), "owner:read-enable");
  ASSERT_NE(enable, log.end());
  ASSERT_NE(enable + 1, log.end());
  EXPECT_EQ((enable + 1)->rfind("a:dd ", 0), 0u) << *(enable + 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "owner:read-enable"), 1);
}

TEST_F(FilterChainTest, StopOnDecodeDataConsumesChunk) {
  build();
  f_[1]->decode_data_status = FilterStatus::StopIteration;
  chain_->decodeHeaders(request(), false);
  data("one", false);
  f_[1]->decode_data_status = FilterStatus::Continue;
  data("two", true);
  EXPECT_EQ(takeLog(), (Log{"a:dh", "b:dh", "c:dh", "a:dd 'one'", "b:dd 'one'", "a:dd 'two' end",
                            "b:dd 'two' end", "c:dd 'two' end"}));
}

TEST_F(FilterChainTest, FilterMayRewriteData) {
  build();
  f_[0]->on_decode_data = [](std::string& d) { d = "[" + d + "]"; };
  chain_->decodeHeaders(request(), false);
  data("x", true);
  Log log = takeLog();
  EXPECT_EQ(log.back(), "c:dd '[x]' end");
}

TEST_F(FilterChainTest, LocalReplyFromDecodeHeaders) {
  build();
  f_[1]->decode_headers_status = FilterStatus::StopIteration;
  f_[1]->on_decode_headers = [this](RequestHeaders&) {
    f_[1]->decoder().sendLocalReply(401, "Invalid credentials", "send a \"valid\" token");
  };
  chain_->decodeHeaders(request(), false);
  // Later request events are dropped.
  data("late", true);
  chain_->decodeTrailers(trailers());

  const std::string body =
      "{\"code\":\"900401\",\"message\":\"Invalid credentials\","
      "\"description\":\"send a \\\"valid\\\" token\"}";
  EXPECT_EQ(owner_.response_headers.status, 401);
  ASSERT_NE(owner_.response_headers.headers.get("content-type"), nullptr);
  EXPECT_EQ(*owner_.response_headers.headers.get("content-type"), "application/json");
  ASSERT_NE(owner_.response_headers.headers.get("content-length"), nullptr);
  EXPECT_EQ(*owner_.response_headers.headers.get("content-length"), std::to_string(body.size()));
  EXPECT_EQ(owner_.body, body);
  EXPECT_TRUE(chain_->responseComplete());
  EXPECT_EQ(chain_->responseStatus(), 401);
  EXPECT_EQ(chain_->localReplyMessage(), "Invalid credentials");

  Log log = takeLog();
  // c never saw the request; nothing after the reply reached any decoder.
  for (const std::string& e : log) {
    EXPECT_NE(e, "c:dh");
    EXPECT_EQ(e.find(":dd"), std::string::npos) << e;
    EXPECT_EQ(e.find(":dt"), std::string::npos) << e;
  }
  // The reply ran through the encode path, last filter first, before the owner.
  auto pos = [&](const std::string& e) {
    return std::find(log.begin(), log.end(), e) - log.begin();
  };
  ASSERT_LT(pos("b:eh 401"), static_cast<long>(log.size()));
  EXPECT_LT(pos("b:eh 401"), pos("a:eh 401"));
  EXPECT_LT(pos("a:eh 401"), pos("owner:headers 401"));
  EXPECT_LT(pos("owner:headers 401"), pos("owner:data '" + body + "' end"));
  EXPECT_LT(pos("owner:data '" + body + "' end"), static_cast<long>(log.size()));
}

// A 204 local reply (a CORS preflight answer) has no JSON body, no
// Content-Type and ends the stream with its headers.
TEST_F(FilterChainTest, NoContentLocalReplyHasNoBody) {
  build();
  f_[1]->decode_headers_status = FilterStatus::StopIteration;
  f_[1]->on_decode_headers = [this](RequestHeaders&) {
    LocalReply reply;
    reply.status = 204;
    reply.message = "CORS preflight";
    reply.headers.add("Access-Control-Allow-Origin", "https://a.example");
    f_[1]->decoder().sendLocalReply(reply);
  };
  chain_->decodeHeaders(request(), true);
  EXPECT_EQ(owner_.response_headers.status, 204);
  EXPECT_FALSE(owner_.response_headers.headers.has("content-type"));
  EXPECT_FALSE(owner_.response_headers.headers.has("content-length"));
  EXPECT_TRUE(owner_.response_headers.headers.has("access-control-allow-origin"));
  EXPECT_EQ(owner_.body, "");
  EXPECT_TRUE(chain_->responseComplete());
  Log log = takeLog();
  EXPECT_NE(std::find(log.begin(), log.end(), "owner:headers 204 end"), log.end());
  EXPECT_EQ(std::find_if(log.begin(), log.end(),
                         [](const std::string& e) { return e.find(":ed") != std::string::npos; }),
            log.end());
}

TEST_F(FilterChainTest, LocalReplyFromDecodeData) {
  build();
  f_[0]->on_decode_data = [this](std::string&) {
    f_[0]->decoder().sendLocalReply(413, "Too big", "limit is 1 byte");
  };
  f_[0]->decode_data_status = FilterStatus::StopIteration;
  chain_->decodeHeaders(request(), false);
  data("ab", false);
  data("cd", true);
  EXPECT_EQ(owner_.response_headers.status, 413);
  Log log = takeLog();
  EXPECT_EQ(std::count(log.begin(), log.end(), "a:dd 'ab'"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "b:dd 'ab'"), 0);
  EXPECT_EQ(std::count(log.begin(), log.end(), "a:dd 'cd' end"), 0);
}

TEST_F(FilterChainTest, ChainLevelLocalReply) {
  build();
  chain_->decodeHeaders(request(), false);
  chain_->sendLocalReply(503, "Unavailable", "");
  EXPECT_EQ(owner_.response_headers.status, 503);
  EXPECT_EQ(owner_.body, "{\"code\":\"101503\",\"message\":\"Unavailable\",\"description\":\"\"}");
}

TEST_F(FilterChainTest, LocalReplyAfterResponseStartedResetsStream) {
  build();
  chain_->decodeHeaders(request(), true);
  ResponseHeaders rh;
  f_[2]->decoder().encodeHeaders(rh, false);
  std::string part = "par";
  f_[2]->decoder().encodeData(part, false);
  takeLog();
  f_[0]->decoder().sendLocalReply(502, "Upstream reset", "the backend closed mid-response");
  EXPECT_EQ(takeLog(), (Log{"owner:reset Upstream reset"}));
  EXPECT_EQ(owner_.response_headers.status, 200);
  EXPECT_EQ(owner_.body, "par");
}

// A gRPC client reads grpc-status, not the HTTP status: a local reply to a
// gRPC call is one header section that ends the stream (trailers-only).
TEST_F(FilterChainTest, LocalReplyToGrpcCallIsTrailersOnly) {
  build();
  chain_->decodeHeaders(grpcRequest("/pkg.Svc/Method", "application/grpc"), false);
  LocalReply reply;
  reply.status = 503;
  reply.message = "Endpoint circuit open";
  reply.description = "100% open";
  reply.headers.add("Retry-After", "5");
  f_[2]->decoder().sendLocalReply(reply);
  const HeaderMap& h = owner_.response_headers.headers;
  EXPECT_EQ(owner_.response_headers.status, 200);
  ASSERT_NE(h.get("grpc-status"), nullptr);
  EXPECT_EQ(*h.get("grpc-status"), "14");
  ASSERT_NE(h.get("grpc-message"), nullptr);
  EXPECT_EQ(*h.get("grpc-message"), "Endpoint circuit open: 100%25 open");
  EXPECT_EQ(*h.get("content-type"), "application/grpc");
  EXPECT_TRUE(h.has("retry-after"));
  EXPECT_FALSE(h.has("content-length"));
  EXPECT_EQ(owner_.body, "");
  EXPECT_EQ(chain_->localReplyStatus(), 503);
  Log log = takeLog();
  EXPECT_NE(std::find(log.begin(), log.end(), "owner:headers 200 end"), log.end());
}

// After a gRPC response started, its trailers can still carry the failure.
TEST_F(FilterChainTest, LocalReplyAfterGrpcResponseStartedEndsWithTrailers) {
  build();
  chain_->decodeHeaders(grpcRequest("/pkg.Svc/Stream", "application/grpc+proto"), true);
  ResponseHeaders rh;
  rh.headers.add("Content-Type", "application/grpc");
  f_[2]->decoder().encodeHeaders(rh, false);
  std::string part = "message";
  f_[2]->decoder().encodeData(part, false);
  takeLog();
  f_[0]->decoder().sendLocalReply(504, "Upstream timeout", "silent for 1500 ms");
  Log log = takeLog();
  EXPECT_NE(std::find(log.begin(), log.end(), "owner:trailers"), log.end());
  EXPECT_EQ(std::find(log.begin(), log.end(), "owner:reset Upstream timeout"), log.end());
  ASSERT_NE(owner_.trailers.get("grpc-status"), nullptr);
  EXPECT_EQ(*owner_.trailers.get("grpc-status"), "14");
  EXPECT_EQ(*owner_.trailers.get("grpc-message"), "Upstream timeout: silent for 1500 ms");
  EXPECT_FALSE(owner_.trailers.has("content-type"));
  EXPECT_EQ(owner_.body, "message");
  EXPECT_TRUE(chain_->responseComplete());
}

// gRPC-Web is made for HTTP/1 hops: its errors stay the gateway's JSON ones.
TEST_F(FilterChainTest, GrpcWebGetsTheUsualLocalReply) {
  build();
  chain_->decodeHeaders(grpcRequest("/pets", "application/grpc-web+proto"), true);
  chain_->sendLocalReply(404, "Resource not found", "");
  EXPECT_EQ(owner_.response_headers.status, 404);
  EXPECT_FALSE(owner_.response_headers.headers.has("grpc-status"));
}

TEST_F(FilterChainTest, StopOnEncodeHeadersThenContinueEncoding) {
  build();
  chain_->decodeHeaders(request(), true);
  takeLog();
  f_[1]->encode_headers_status = FilterStatus::StopIteration;
  ResponseHeaders rh;
  rh.status = 200;
  f_[2]->decoder().encodeHeaders(rh, false);
  std::string body = "payload";
  f_[2]->decoder().encodeData(body, false);
  f_[2]->decoder().encodeTrailers(trailers());
  EXPECT_EQ(takeLog(), (Log{"c:eh 200", "b:eh 200"}));
  EXPECT_FALSE(chain_->responseStarted());

  f_[1]->encoder().continueEncoding();
  EXPECT_EQ(takeLog(), (Log{"a:eh 200", "owner:headers 200", "c:ed 'payload'", "b:ed 'payload'",
                            "a:ed 'payload'", "owner:data 'payload'", "c:et", "b:et", "a:et",
                            "owner:trailers"}));
  EXPECT_TRUE(chain_->responseComplete());
}

TEST_F(FilterChainTest, ContinueEncodingWithBufferedEndOfStream) {
  build();
  chain_->decodeHeaders(request(), true);
  f_[2]->encode_headers_status = FilterStatus::StopIteration;
  ResponseHeaders rh;
  f_[2]->decoder().encodeHeaders(rh, false);
  std::string body = "done";
  f_[2]->decoder().encodeData(body, true);
  takeLog();
  f_[2]->encoder().continueEncoding();
  EXPECT_EQ(takeLog(), (Log{"b:eh 200", "a:eh 200", "owner:headers 200", "c:ed 'done' end",
                            "b:ed 'done' end", "a:ed 'done' end", "owner:data 'done' end"}));
  EXPECT_TRUE(chain_->responseComplete());
}

TEST_F(FilterChainTest, StopOnEncodeDataConsumesChunk) {
  build();
  chain_->decodeHeaders(request(), true);
  ResponseHeaders rh;
  f_[2]->decoder().encodeHeaders(rh, false);
  takeLog();
  f_[1]->encode_data_status = FilterStatus::StopIteration;
  std::string one = "one";
  f_[2]->decoder().encodeData(one, false);
  f_[1]->encode_data_status = FilterStatus::Continue;
  std::string two = "two";
  f_[2]->decoder().encodeData(two, true);
  EXPECT_EQ(takeLog(), (Log{"c:ed 'one'", "b:ed 'one'", "c:ed 'two' end", "b:ed 'two' end",
                            "a:ed 'two' end", "owner:data 'two' end"}));
  EXPECT_EQ(owner_.body, "two");
}

TEST_F(FilterChainTest, OnDestroyCalledExactlyOnce) {
  build(4);
  chain_->decodeHeaders(request(), true);
  chain_->destroy();
  chain_->destroy();
  for (RecordingFilter* f : f_) EXPECT_EQ(f->destroyed, 1);
  takeLog();
  // Nothing reaches a filter after onDestroy().
  data("x", true);
  ResponseHeaders rh;
  f_[3]->decoder().encodeHeaders(rh, true);
  EXPECT_TRUE(takeLog().empty());
  // The destructor does not destroy again. (Filters are deleted with the chain,
  // so count through the shared log instead.)
  chain_.reset();
  EXPECT_TRUE(takeLog().empty());
}

TEST_F(FilterChainTest, DestructorCallsOnDestroy) {
  build();
  chain_.reset();
  EXPECT_EQ(takeLog(), (Log{"a:destroy", "b:destroy", "c:destroy"}));
}

TEST_F(FilterChainTest, CallbacksReachOwner) {
  build();
  DecoderFilterCallbacks& cb = f_[0]->decoder();
  EXPECT_EQ(cb.downstreamAddress(), "192.0.2.7");
  EXPECT_TRUE(cb.downstreamTls());
  EXPECT_EQ(cb.route(), nullptr);
  cb.setUpstreamDescription("127.0.0.1:8080");
  EXPECT_EQ(owner_.upstream, "127.0.0.1:8080");
  cb.readDisableDownstream(true);
  EXPECT_EQ(takeLog(), (Log{"owner:read-disable"}));
}

// The analytics filter runs first and reads the caller on the response: an
// identity a later (auth) filter published is visible to every filter's
// callbacks, on the encode side too.
TEST_F(FilterChainTest, IdentityFromALaterFilterReachesAnEarlierOneOnTheResponse) {
  build();
  f_[1]->on_decode_headers = [this](RequestHeaders&) {
    AuthIdentity id;
    id.subject = "alice";
    f_[1]->decoder().setAuthenticated("jwt_authn");
    f_[1]->decoder().setIdentity(id);
  };
  chain_->decodeHeaders(request(), true);
  EXPECT_TRUE(f_[0]->decoder().authenticated());
  ResponseHeaders rh;
  rh.status = 200;
  f_[2]->decoder().encodeHeaders(rh, true);
  EXPECT_EQ(f_[0]->decoder().identity().subject, "alice");
}

struct BodyCase {
  int status;
  std::string message;
  std::string description;
  std::string expected;
};

TEST(LocalReplyBody, EscapesAndCodes) {
  const BodyCase cases[] = {
      {404, "Not found", "no API matches",
       R"({"code":"900404","message":"Not found","description":"no API matches"})"},
      {502, "Bad gateway", "", R"({"code":"101502","message":"Bad gateway","description":""})"},
      {400, "q\"uote", "back\\slash",
       R"({"code":"900400","message":"q\"uote","description":"back\\slash"})"},
      {400, "a\nb\rc\td", "", R"({"code":"900400","message":"a\nb\rc\td","description":""})"},
      {400, std::string("ctl\x01\x1f", 5), "",
       R"({"code":"900400","message":"ctl\u0001\u001f","description":""})"},
      {400, "caf\xc3\xa9", "",
       "{\"code\":\"900400\",\"message\":\"caf\xc3\xa9\",\"description\":\"\"}"},
  };
  for (const BodyCase& c : cases) {
    EXPECT_EQ(localReplyBody(c.status, c.message, c.description), c.expected) << c.message;
  }
}

}  // namespace
}  // namespace gw::http
