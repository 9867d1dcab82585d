#pragma once

// A scripted in-process etcd (v2 keys API, v3 JSON gateway) on loopback, for
// unit tests of the etcd watchers: the protocol steps a real etcd rarely shows
// on demand (a cleared index, a compaction, an error answer, an expired token).
//
// Each request is put in a queue by its kind (its URI unless the test gives a
// classifier) and answered with the next scripted reply of that kind. With no
// reply left, or a reply of status 0, the request is held open until the fake
// is destroyed (a watch with nothing to report). Every request is recorded.
//
// Example:
//   FakeEtcd etcd(dispatcher->base());
//   etcd.replies["/v3/kv/range"] = {{200, R"({"header":{"revision":"1"}})"}};
//   ... run the watcher against etcd.url() ...
//   EXPECT_EQ(etcd.count("/v3/watch"), 1);
//
// Threading: runs on the event_base it is given; use from that thread.

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gw::testing {

class FakeEtcd {
 public:
  struct Reply {
    int status = 200;  // 0: hold the request open
    std::string body;
    std::string etcd_index;  // X-Etcd-Index (v2), when not empty
  };
  struct Seen {
    std::string kind, uri, body, authorization;
  };
  using Classifier = std::function<std::string(const std::string& uri)>;

  explicit FakeEtcd(event_base* base, Classifier kind = nullptr)
      : http_(evhttp_new(base)), kind_(std::move(kind)) {
    evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    sockaddr_in sin{};
    socklen_t len = sizeof(sin);
    getsockname(evhttp_bound_socket_get_fd(s), reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_gencb(http_, &FakeEtcd::handle, this);
  }
  ~FakeEtcd() { evhttp_free(http_); }
  FakeEtcd(const FakeEtcd&) = delete;
  FakeEtcd& operator=(const FakeEtcd&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::map<std::string, std::vector<Reply>> replies;  // by kind, consumed in order
  std::vector<Seen> seen;                             // every request, in order

  // The requests of one kind.
  std::vector<Seen> of(const std::string& kind) const {
    std::vector<Seen> out;
    for (const Seen& s : seen) {
      if (s.kind == kind) out.push_back(s);
    }
    return out;
  }
  int count(const std::string& kind) const { return static_cast<int>(of(kind).size()); }

 private:
  static void handle(evhttp_request* req, void* arg) {
    auto* self = static_cast<FakeEtcd*>(arg);
    evbuffer* in = evhttp_request_get_input_buffer(req);
    Seen s;
    s.uri = evhttp_request_get_uri(req);
    s.kind = self->kind_ ? self->kind_(s.uri) : s.uri;
    s.body.resize(evbuffer_get_length(in));
    evbuffer_remove(in, s.body.data(), s.body.size());
    const char* auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    s.authorization = auth != nullptr ? auth : "";
    self->seen.push_back(s);
    std::vector<Reply>& queue = self->replies[s.kind];
    if (queue.empty()) return;  // held open until the fake is destroyed
    Reply r = queue.front();
    queue.erase(queue.begin());
    if (r.status == 0) return;
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, r.body.data(), r.body.size());
    if (!r.etcd_index.empty()) {
      evhttp_add_header(evhttp_request_get_output_headers(req), "X-Etcd-Index",
                        r.etcd_index.c_str());
    }
    evhttp_send_reply(req, r.status, "x", out);
    evbuffer_free(out);
  }

  evhttp* http_;
  Classifier kind_;
  uint16_t port_ = 0;
};

}  // namespace gw::testing
