#include "filters/token_revocation/etcd_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"

namespace gw::filters::token_revocation {
namespace {

std::string b64(const std::string& s) { return absl::Base64Escape(s); }

TEST(EtcdProtocolTest, IdIsTheLastPathSegment) {
  EXPECT_EQ(idFromKey("/wso2/revoked/abc"), "abc");
  EXPECT_EQ(idFromKey("abc"), "abc");
  EXPECT_EQ(idFromKey("/a/b/"), "b");
  EXPECT_EQ(idFromKey(""), "");
}

TEST(EtcdProtocolTest, V2Listing) {
  const std::string body = R"({"action":"get","node":{"key":"/wso2/revoked","dir":true,"nodes":[
    {"key":"/wso2/revoked/jti-1","value":"true","expiration":"2030-01-01T00:00:00Z","ttl":60,
     "modifiedIndex":8,"createdIndex":8},
    {"key":"/wso2/revoked/sig-2","value":"true","modifiedIndex":9,"createdIndex":9},
    {"key":"/wso2/revoked/sub","dir":true,"nodes":[{"key":"/wso2/revoked/sub/x","value":"true"}]}
  ],"modifiedIndex":7,"createdIndex":7}})";
  absl::StatusOr<V2Listing> l = parseV2Listing(200, body, "12");
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->entries.size(), 3u);
  EXPECT_EQ(l->entries[0].id, "jti-1");
  ASSERT_TRUE(l->entries[0].ttl.has_value());
  EXPECT_EQ(l->entries[0].ttl->count(), 60);
  EXPECT_EQ(l->entries[1].id, "sig-2");
  EXPECT_FALSE(l->entries[1].ttl.has_value());
  EXPECT_EQ(l->entries[2].id, "x");
  EXPECT_EQ(l->index, 12u);
}

TEST(EtcdProtocolTest, V2MissingDirectoryIsEmpty) {
  absl::StatusOr<V2Listing> l = parseV2Listing(
      404, R"({"errorCode":100,"message":"Key not found","cause":"/wso2","index":5})", "");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_TRUE(l->entries.empty());
  EXPECT_EQ(l->index, 5u);
}

TEST(EtcdProtocolTest, V2ListingErrors) {
  EXPECT_FALSE(parseV2Listing(200, "not json", "").ok());
  EXPECT_FALSE(
      parseV2Listing(401, R"({"message":"The request requires user authentication"})", "").ok());
  EXPECT_FALSE(parseV2Listing(200, R"([1,2])", "").ok());
}

struct V2WatchCase {
  int status;
  const char* body;
  V2Event::Kind kind;
  const char* id;
  uint64_t next;
};

TEST(EtcdProtocolTest, V2Watch) {
  const V2WatchCase cases[] = {
      {200, R"({"action":"set","node":{"key":"/r/a","value":"true","ttl":5,"modifiedIndex":20}})",
       V2Event::Kind::Put, "a", 21},
      {200, R"({"action":"create","node":{"key":"/r/b","value":"true","modifiedIndex":21}})",
       V2Event::Kind::Put, "b", 22},
      {200, R"({"action":"expire","node":{"key":"/r/a","modifiedIndex":22},"prevNode":{}})",
       V2Event::Kind::Remove, "a", 23},
      {200, R"({"action":"delete","node":{"key":"/r/b","modifiedIndex":23}})",
       V2Event::Kind::Remove, "b", 24},
      {200, R"({"action":"delete","node":{"key":"/r","dir":true,"modifiedIndex":24}})",
       V2Event::Kind::Resync, "", 25},
      {400, R"({"errorCode":401,"message":"The event in requested index is outdated and cleared"})",
       V2Event::Kind::Resync, "", 0},
  };
  for (const V2WatchCase& c : cases) {
    absl::StatusOr<V2Event> ev = parseV2Watch(c.status, c.body);
    ASSERT_TRUE(ev.ok()) << c.body << ": " << ev.status();
    EXPECT_EQ(ev->kind, c.kind) << c.body;
    EXPECT_EQ(ev->entry.id, c.id) << c.body;
    EXPECT_EQ(ev->next_index, c.next) << c.body;
  }
  EXPECT_FALSE(parseV2Watch(200, R"({"action":"set"})").ok());
  EXPECT_FALSE(parseV2Watch(500, R"({"errorCode":300,"message":"Raft Internal Error"})").ok());
}

TEST(EtcdProtocolTest, V3Requests) {
  EXPECT_EQ(v3RangeRequest("/mgw/r/"),
            R"({"key":")" + b64("/mgw/r/") + R"(","range_end":")" + b64("/mgw/r0") + R"("})");
  EXPECT_EQ(v3WatchRequest("/a", 7), R"({"create_request":{"key":")" + b64("/a") +
                                         R"(","range_end":")" + b64("/b") +
                                         R"(","start_revision":"7"}})");
}

TEST(EtcdProtocolTest, V3RangeAndAuth) {
  const std::string body = R"({"header":{"revision":"42"},"kvs":[{"key":")" + b64("/mgw/r/j1") +
                           R"(","value":")" + b64("true") +
                           R"(","mod_revision":"40"}],"count":"1"})";
  absl::StatusOr<V3Listing> l = parseV3Range(body);
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->entries[0].id, "j1");
  EXPECT_EQ(l->revision, 42);
  l = parseV3Range(R"({"header":{"revision":"3"}})");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->entries.empty());
  EXPECT_FALSE(
      parseV3Range(R"({"error":"etcdserver: user name is empty","code":3,"message":"x"})").ok());

  absl::StatusOr<std::string> token = parseV3AuthToken(R"({"header":{},"token":"tok.1"})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "tok.1");
  EXPECT_FALSE(parseV3AuthToken(R"({"error":"authentication failed","code":3})").ok());
}

TEST(EtcdProtocolTest, V3WatchLines) {
  absl::StatusOr<V3WatchMessage> m =
      parseV3WatchLine(R"({"result":{"header":{"revision":"5"},"created":true}})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->created);
  EXPECT_EQ(m->revision, 5);

  m = parseV3WatchLine(R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":")" +
                       b64("/p/a") + R"(","value":")" + b64("true") +
                       R"("}},{"type":"DELETE","kv":{"key":")" + b64("/p/b") + R"("}}]}})");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->puts.size(), 1u);
  EXPECT_EQ(m->puts[0].id, "a");
  ASSERT_EQ(m->deletes.size(), 1u);
  EXPECT_EQ(m->deletes[0], "b");
  EXPECT_EQ(m->revision, 7);

  m = parseV3WatchLine(R"({"result":{"compact_revision":"3","canceled":true}})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->resync);
  EXPECT_FALSE(
      parseV3WatchLine(R"({"error":{"grpc_code":16,"message":"invalid auth token"}})").ok());
  EXPECT_FALSE(parseV3WatchLine("{\"result\":").ok());
}

}  // namespace
}  // namespace gw::filters::token_revocation
