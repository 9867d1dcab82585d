// The etcd v3 JSON-gateway bodies and answers shared by the gateway's etcd clients.

#include "gateway/etcd/v3_protocol.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "gateway/etcd/backoff.h"

namespace gw::etcd {
namespace {

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

TEST(V3ProtocolTest, Ranges) {
  EXPECT_EQ(prefixEnd("/a/"), "/a0");
  EXPECT_EQ(prefixEnd("a\xff"), "b");
  EXPECT_EQ(prefixEnd("\xff"), std::string(1, '\0'));
  EXPECT_EQ(rangeRequest(exactKey("petstore")), R"({"key":")" + b64("petstore") + R"("})");
  EXPECT_EQ(rangeRequest(keyPrefix("/p/")),
            R"({"key":")" + b64("/p/") + R"(","range_end":")" + b64("/p0") + R"("})");
}

TEST(V3ProtocolTest, OneWatchCreatePerKeyOnePerLine) {
  EXPECT_EQ(watchRequest({exactKey("a"), exactKey("b")}, 12),
            R"({"create_request":{"key":")" + b64("a") +
                R"(","start_revision":"12"}})"
                "\n"
                R"({"create_request":{"key":")" +
                b64("b") + R"(","start_revision":"12"}})");
  EXPECT_EQ(watchRequest({exactKey("a")}, 0),
            R"({"create_request":{"key":")" + b64("a") + R"("}})");
}

TEST(V3ProtocolTest, Auth) {
  EXPECT_EQ(authRequest("root", "pw\""), R"({"name":"root","password":"pw\""})");
  absl::StatusOr<std::string> token = parseAuthToken(R"({"header":{},"token":"tok.9"})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "tok.9");
  absl::StatusOr<std::string> refused = parseAuthToken(
      R"({"error":"etcdserver: authentication failed, invalid user ID or password","code":3})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("invalid user ID or password"), std::string::npos);
}

TEST(V3ProtocolTest, RangeAnswerKeysValuesRevision) {
  absl::StatusOr<RangeAnswer> a = parseRange(
      R"({"header":{"revision":"42"},"kvs":[{"key":")" + b64("petstore") + R"(","value":")" +
      b64("http://10.0.0.5:8080/") + R"(","mod_revision":"40"},{"key":"%%%"}],"count":"1"})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->revision, 42);
  ASSERT_EQ(a->kvs.size(), 1u);  // the key that is not base64 is skipped
  EXPECT_EQ(a->kvs[0].key, "petstore");
  EXPECT_EQ(a->kvs[0].value, "http://10.0.0.5:8080/");
  EXPECT_EQ(a->kvs[0].mod_revision, 40);

  a = parseRange(R"({"header":{"revision":"3"}})");  // the key is absent
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->kvs.empty());
  absl::StatusOr<RangeAnswer> denied =
      parseRange(R"({"error":"etcdserver: permission denied","code":7,"message":"denied"})");
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("denied"), std::string::npos);
  EXPECT_FALSE(parseRange("<html>").ok());
  EXPECT_FALSE(parseRange("[1]").ok());
}

TEST(V3ProtocolTest, WatchLines) {
  absl::StatusOr<WatchMessage> m =
      parseWatchLine(R"({"result":{"header":{"revision":"5"},"created":true}})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->created);
  EXPECT_EQ(m->revision, 5);
  EXPECT_TRUE(m->events.empty());

  m = parseWatchLine(R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":")" + b64("a") +
                     R"(","value":")" + b64("http://b/") +
                     R"(","mod_revision":"7"}},{"type":"DELETE","kv":{"key":")" + b64("c") +
                     R"(","mod_revision":"7"}}]}})");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->events.size(), 2u);
  EXPECT_EQ(m->events[0].type, WatchEvent::Type::Put);
  EXPECT_EQ(m->events[0].kv.key, "a");
  EXPECT_EQ(m->events[0].kv.value, "http://b/");
  EXPECT_EQ(m->events[1].type, WatchEvent::Type::Delete);
  EXPECT_EQ(m->events[1].kv.key, "c");
  EXPECT_EQ(m->events[1].kv.value, "");

  m = parseWatchLine(R"({"result":{"compact_revision":"3","canceled":true}})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->resync);
  absl::StatusOr<WatchMessage> err =
      parseWatchLine(R"({"error":{"grpc_code":16,"message":"invalid auth token"}})");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("invalid auth token"), std::string::npos);
  EXPECT_FALSE(parseWatchLine("{\"result\":").ok());
  EXPECT_FALSE(parseWatchLine(R"({"other":1})").ok());
}

TEST(BackoffTest, DoublesToTheCapAndResets) {
  Backoff b(std::chrono::milliseconds(100), std::chrono::milliseconds(300));
  EXPECT_EQ(b.next().count(), 100);
  EXPECT_EQ(b.next().count(), 200);
  EXPECT_EQ(b.next().count(), 300);
  EXPECT_EQ(b.next().count(), 300);
  b.reset();
  EXPECT_EQ(b.next().count(), 100);
}

}  // namespace
}  // namespace gw::etcd
