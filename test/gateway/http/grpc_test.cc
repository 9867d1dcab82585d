#include "gateway/http/grpc.h"

#include <gtest/gtest.h>

namespace gw::http {
namespace {

TEST(IsGrpc, ContentTypes) {
  struct Case {
    const char* content_type;
    bool grpc;
  } cases[] = {
      {"application/grpc", true},
      {"application/grpc+proto", true},
      {"application/grpc+json", true},
      {"Application/GRPC", true},
      {"application/grpc;charset=utf-8", true},
      {"application/grpc-web", false},
      {"application/grpc-web+proto", false},
      {"application/grpc-web-text", false},
      {"application/grpcx", false},
      {"application/json", false},
      {"", false},
  };
  for (const Case& c : cases) {
    HeaderMap h;
    h.add("Content-Type", c.content_type);
    EXPECT_EQ(isGrpc(h), c.grpc) << c.content_type;
  }
  EXPECT_FALSE(isGrpc(HeaderMap()));
}

TEST(GrpcStatusForHttp, Mapping) {
  struct Case {
    int http;
    GrpcStatus grpc;
  } cases[] = {
      {400, GrpcStatus::Internal},          {401, GrpcStatus::Unauthenticated},
      {403, GrpcStatus::PermissionDenied},  {404, GrpcStatus::Unimplemented},
      {405, GrpcStatus::Unimplemented},     {501, GrpcStatus::Unimplemented},
      {413, GrpcStatus::ResourceExhausted}, {414, GrpcStatus::ResourceExhausted},
      {429, GrpcStatus::ResourceExhausted}, {431, GrpcStatus::ResourceExhausted},
      {502, GrpcStatus::Unavailable},       {503, GrpcStatus::Unavailable},
      {504, GrpcStatus::Unavailable},       {408, GrpcStatus::Unknown},
      {500, GrpcStatus::Unknown},           {200, GrpcStatus::Unknown},
  };
  for (const Case& c : cases) EXPECT_EQ(grpcStatusForHttp(c.http), c.grpc) << c.http;
}

TEST(GrpcPercentEncode, OnlyPrintableAsciiPassesAsIs) {
  EXPECT_EQ(grpcPercentEncode("plain text: ok (1/2)"), "plain text: ok (1/2)");
  EXPECT_EQ(grpcPercentEncode("100%"), "100%25");
  EXPECT_EQ(grpcPercentEncode("a\r\nb\t"), "a%0D%0Ab%09");
  EXPECT_EQ(grpcPercentEncode("caf\xc3\xa9"), "caf%C3%A9");
  EXPECT_EQ(grpcPercentEncode(std::string_view("\0\x7f", 2)), "%00%7F");
}

TEST(GrpcLocalReply, TrailersOnly) {
  ResponseHeaders r = grpcLocalReply(503, "Endpoint circuit open", "retry in 5 s");
  EXPECT_EQ(r.status, 200);
  ASSERT_NE(r.headers.get("content-type"), nullptr);
  EXPECT_EQ(*r.headers.get("content-type"), "application/grpc");
  ASSERT_NE(r.headers.get("grpc-status"), nullptr);
  EXPECT_EQ(*r.headers.get("grpc-status"), "14");
  ASSERT_NE(r.headers.get("grpc-message"), nullptr);
  EXPECT_EQ(*r.headers.get("grpc-message"), "Endpoint circuit open: retry in 5 s");
  EXPECT_EQ(*grpcLocalReply(404, "Resource not found", "").headers.get("grpc-message"),
            "Resource not found");
}

}  // namespace
}  // namespace gw::http
