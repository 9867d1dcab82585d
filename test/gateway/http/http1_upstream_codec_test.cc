// Http1UpstreamCodec: the HTTP/1 side of the stream-oriented upstream seam.

#include "gateway/http/http1_upstream_codec.h"

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "test/gateway/http/upstream_output.h"

namespace gw::http {
namespace {

class Events : public UpstreamStreamCallbacks {
 public:
  bool onResponseHeaders(ResponseHeaders&& h, bool) override {
    status = h.status;
    return true;
  }
  bool onResponseData(std::string_view data) override {
    body.append(data);
    return true;
  }
  void onResponseComplete(HeaderMap&& t, bool keep_alive) override {
    complete = true;
    trailers = std::move(t);
    this->keep_alive = keep_alive;
  }
  void onStreamReset(StreamResetReason r, std::string_view) override {
    reset = true;
    reason = r;
  }
  int status = 0;
  std::string body;
  bool complete = false, keep_alive = false, reset = false;
  HeaderMap trailers;
  StreamResetReason reason = StreamResetReason::Refused;
};

UpstreamRequestHead head(std::string method) {
  UpstreamRequestHead h;
  h.method = std::move(method);
  h.scheme = "http";
  h.authority = "backend:8080";
  h.path = "/pets?x=1";
  h.headers.add("Host", "client-host");
  h.headers.add("X-A", "1");
  return h;
}

bool feed(Http1UpstreamCodec& c, std::string_view bytes) {
  return c.decode(bytes.data(), bytes.size());
}

TEST(Http1UpstreamCodecTest, OneStreamAtATimeAndKeepAlive) {
  Http1UpstreamCodec c;
  Events e;
  ASSERT_NE(c.newStream(head("GET"), true, e), nullptr);
  EXPECT_EQ(testing::takeOutput(c),
            "GET /pets?x=1 HTTP/1.1\r\nHost: backend:8080\r\nX-A: 1\r\n\r\n");
  Events other;
  EXPECT_EQ(c.newStream(head("GET"), true, other), nullptr);
  EXPECT_EQ(c.activeStreams(), 1u);
  EXPECT_TRUE(feed(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(e.body, "ok");
  EXPECT_TRUE(e.complete);
  EXPECT_TRUE(c.reusable());
  EXPECT_TRUE(c.acceptsStreams());
  EXPECT_NE(c.newStream(head("GET"), true, other), nullptr);
}

TEST(Http1UpstreamCodecTest, StreamingBodyIsChunkedWithTrailers) {
  Http1UpstreamCodec c;
  Events e;
  UpstreamStream* s = c.newStream(head("POST"), false, e);
  ASSERT_NE(s, nullptr);
  s->sendData("abc", false);
  HeaderMap t;
  t.add("X-Sum", "9");
  s->sendTrailers(t);
  const std::string out = testing::takeOutput(c);
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n"), std::string::npos) << out;
}

// A SharedBody goes into the output by reference: the same bytes, moved into
// the owner's buffer without a copy, and the body is released only once
// those bytes are drained from there (written), not when the codec is done.
TEST(Http1UpstreamCodecTest, SharedBodyIsReferencedUntilWritten) {
  for (const bool chunked : {false, true}) {
    Http1UpstreamCodec c;
    Events e;
    UpstreamRequestHead h = head("POST");
    if (!chunked) h.headers.add("Content-Length", "5");
    UpstreamStream* s = c.newStream(h, false, e);
    ASSERT_NE(s, nullptr);
    bool released = false;
    std::string* text = new std::string("hello");
    const char* bytes = text->data();
    s->sendData(SharedBody(text,
                           [&released](std::string* t) {
                             released = true;
                             delete t;
                           }),
                true);
    std::unique_ptr<evbuffer, void (*)(evbuffer*)> socket(evbuffer_new(), &evbuffer_free);
    const size_t n = c.moveOutput(socket.get());
    EXPECT_EQ(n, evbuffer_get_length(socket.get()));
    EXPECT_EQ(c.moveOutput(socket.get()), 0u) << "moved, not copied: nothing stays behind";
    EXPECT_FALSE(released) << "the bytes are not written yet";
    std::string out(n, '\0');
    evbuffer_copyout(socket.get(), out.data(), n);
    const std::string want_tail = chunked ? "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" : "\r\n\r\nhello";
    ASSERT_GE(out.size(), want_tail.size());
    EXPECT_EQ(out.substr(out.size() - want_tail.size()), want_tail) << "chunked=" << chunked;
    // The body's own memory is in the buffer: referenced, not copied.
    bool referenced = false;
    evbuffer_iovec vecs[8];
    const int count = evbuffer_peek(socket.get(), -1, nullptr, vecs, 8);
    for (int i = 0; i < count && i < 8; ++i) referenced = referenced || vecs[i].iov_base == bytes;
    EXPECT_TRUE(referenced) << "chunked=" << chunked;
    evbuffer_drain(socket.get(), n);
    EXPECT_TRUE(released) << "chunked=" << chunked;
  }
}

// A body shared but never written (the connection is dropped) is released
// with the codec's output.
TEST(Http1UpstreamCodecTest, SharedBodyIsReleasedWithTheCodec) {
  bool released = false;
  {
    Http1UpstreamCodec c;
    Events e;
    UpstreamStream* s = c.newStream(head("POST"), false, e);
    ASSERT_NE(s, nullptr);
    s->sendData(SharedBody(new std::string("abc"),
                           [&released](std::string* t) {
                             released = true;
                             delete t;
                           }),
                true);
    EXPECT_FALSE(released);
  }
  EXPECT_TRUE(released);
}

TEST(Http1UpstreamCodecTest, MalformedResponseIsAProtocolError) {
  Http1UpstreamCodec c;
  Events e;
  c.newStream(head("GET"), true, e);
  EXPECT_FALSE(feed(c, "HTTP/1.1 999 Nope\r\n\r\n"));
  EXPECT_TRUE(e.reset);
  EXPECT_EQ(e.reason, StreamResetReason::ProtocolError);
  EXPECT_FALSE(c.reusable());
}

TEST(Http1UpstreamCodecTest, EofBeforeTheResponseIsAConnectionError) {
  Http1UpstreamCodec c;
  Events e;
  c.newStream(head("GET"), true, e);
  c.decodeEof();
  EXPECT_TRUE(e.reset);
  EXPECT_EQ(e.reason, StreamResetReason::ConnectionError);
}

TEST(Http1UpstreamCodecTest, EofEndsACloseDelimitedBody) {
  Http1UpstreamCodec c;
  Events e;
  c.newStream(head("GET"), true, e);
  EXPECT_TRUE(feed(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil eof"));
  c.decodeEof();
  EXPECT_TRUE(e.complete);
  EXPECT_FALSE(e.reset);
  EXPECT_EQ(e.body, "until eof");
  EXPECT_FALSE(c.reusable());
}

TEST(Http1UpstreamCodecTest, AbsoluteFormThroughAForwardingProxy) {
  Http1UpstreamOptions options;
  options.absolute_form = true;
  options.proxy_authorization = "Basic dTpw";
  Http1UpstreamCodec c(options);
  Events e;
  ASSERT_NE(c.newStream(head("GET"), true, e), nullptr);
  EXPECT_EQ(testing::takeOutput(c),
            "GET http://backend:8080/pets?x=1 HTTP/1.1\r\nHost: backend:8080\r\n"
            "Proxy-Authorization: Basic dTpw\r\nX-A: 1\r\n\r\n");
}

TEST(Http1UpstreamCodecTest, ProxyCredentialNeverOnAnOriginFormConnection) {
  Http1UpstreamOptions options;
  options.proxy_authorization = "Basic dTpw";
  Http1UpstreamCodec c(options);
  Events e;
  ASSERT_NE(c.newStream(head("GET"), true, e), nullptr);
  EXPECT_EQ(testing::takeOutput(c),
            "GET /pets?x=1 HTTP/1.1\r\nHost: backend:8080\r\nX-A: 1\r\n\r\n");
}

// A callback that returns false gives the stream up: nothing more reaches it,
// and the connection is not reused (the rest of that response is unread).
TEST(Http1UpstreamCodecTest, StoppingInACallbackEndsTheStreamSilently) {
  class Stopper : public Events {
   public:
    bool onResponseHeaders(ResponseHeaders&& h, bool no_body) override {
      Events::onResponseHeaders(std::move(h), no_body);
      return false;
    }
  };
  Http1UpstreamCodec c;
  Stopper e;
  c.newStream(head("GET"), true, e);
  EXPECT_TRUE(feed(c, "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy"));
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.body, "");
  EXPECT_FALSE(e.complete);
  EXPECT_FALSE(e.reset);
  EXPECT_EQ(c.activeStreams(), 0u);
  EXPECT_FALSE(c.reusable());
  c.decodeEof();
  EXPECT_FALSE(e.reset);
}

// The same 1xx rule as every upstream response: interim heads are their own.
TEST(Http1UpstreamCodecTest, InterimAnswersArriveApart) {
  class Interim : public Events {
   public:
    void onInterimHeaders(int status, HeaderMap&& h) override {
      interim.push_back(status);
      EXPECT_TRUE(h.has("link"));
    }
    std::vector<int> interim;
  };
  Http1UpstreamCodec c;
  Interim e;
  c.newStream(head("GET"), true, e);
  EXPECT_TRUE(feed(c,
                   "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  EXPECT_EQ(e.interim, std::vector<int>{103});
  EXPECT_EQ(e.status, 200);
  EXPECT_TRUE(e.complete);
  EXPECT_TRUE(c.reusable());
}

TEST(Http1UpstreamCodecTest, ResetGivesUpTheConnection) {
  Http1UpstreamCodec c;
  Events e;
  c.newStream(head("GET"), true, e)->reset();
  EXPECT_FALSE(c.reusable());
  EXPECT_FALSE(c.acceptsStreams());
  EXPECT_EQ(c.activeStreams(), 0u);
}

}  // namespace
}  // namespace gw::http
