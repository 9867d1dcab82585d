#pragma once

// An HTTP/2 backend for unit tests: an nghttp2 server session that records
// each stream's request (headers, body, trailers, resets) and answers what
// the test submits. Bytes in through recv(), out through send(); the test
// moves them between it and the client under test. Single-threaded.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gw::http::test {

// The backend: records each stream's request and answers what the test submits.
class FakeH2Server {
 public:
  struct Request {
    std::map<std::string, std::string> headers;
    std::string body;
    std::map<std::string, std::string> trailers;
    bool ended = false;
    bool reset = false;
    uint32_t reset_code = 0;
    bool headers_done = false;
  };

  explicit FakeH2Server(std::vector<nghttp2_settings_entry> settings = {}) {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &onClose);
    nghttp2_session_server_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~FakeH2Server() { nghttp2_session_del(session_); }

  void recv(const std::string& bytes) {
    connections_bytes_ += bytes.size();
    ASSERT_GE(nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                       bytes.size()),
              0);
  }
  std::string send() {
    std::string out;
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session_, &data)) > 0) {
      out.append(reinterpret_cast<const char*>(data), n);
    }
    return out;
  }

  // Submits a response; `body` empty and no trailers = HEADERS with END_STREAM.
  void respond(int32_t id, const std::vector<std::pair<std::string, std::string>>& headers,
               std::string body = "",
               std::vector<std::pair<std::string, std::string>> trailers = {}) {
    bodies_[id] = std::move(body);
    trailers_[id] = std::move(trailers);
    std::vector<nghttp2_nv> nva = toNv(headers);
    const bool no_body = bodies_[id].empty() && trailers_[id].empty();
    nghttp2_data_provider prd;
    prd.source.ptr = this;
    prd.read_callback = &readBody;
    ASSERT_EQ(
        nghttp2_submit_response(session_, id, nva.data(), nva.size(), no_body ? nullptr : &prd), 0);
  }
  void headersOnly(int32_t id, const std::vector<std::pair<std::string, std::string>>& headers,
                   bool end_stream) {
    std::vector<nghttp2_nv> nva = toNv(headers);
    nghttp2_submit_headers(session_, end_stream ? NGHTTP2_FLAG_END_STREAM : NGHTTP2_FLAG_NONE, id,
                           nullptr, nva.data(), nva.size(), nullptr);
  }
  void rst(int32_t id, uint32_t code) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
  }
  void goaway(int32_t last_id) {
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_id, NGHTTP2_NO_ERROR, nullptr, 0);
  }

  std::map<int32_t, Request> requests;
  size_t connections_bytes_ = 0;

 private:
  static std::vector<nghttp2_nv> toNv(const std::vector<std::pair<std::string, std::string>>& h) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : h) {
      nva.push_back(
          {(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    return nva;
  }
  static FakeH2Server* self(void* u) { return static_cast<FakeH2Server*>(u); }
  static int onHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                      const uint8_t* v, size_t vl, uint8_t, void* u) {
    Request& r = self(u)->requests[f->hd.stream_id];
    (r.headers_done ? r.trailers : r.headers)[std::string((const char*)n, nl)] =
        std::string((const char*)v, vl);
    return 0;
  }
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* f, void* u) {
    if (f->hd.type == NGHTTP2_HEADERS) self(u)->requests[f->hd.stream_id].headers_done = true;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      self(u)->requests[f->hd.stream_id].ended = true;
    }
    if (f->hd.type == NGHTTP2_RST_STREAM) {
      self(u)->requests[f->hd.stream_id].reset = true;
      self(u)->requests[f->hd.stream_id].reset_code = f->rst_stream.error_code;
    }
    return 0;
  }
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len, void* u) {
    self(u)->requests[id].body.append((const char*)d, len);
    return 0;
  }
  static int onClose(nghttp2_session*, int32_t, uint32_t, void*) { return 0; }
  static ssize_t readBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t len,
                          uint32_t* flags, nghttp2_data_source*, void* u) {
    FakeH2Server* s = self(u);
    std::string& body = s->bodies_[id];
    size_t n = std::min(len, body.size());
    memcpy(buf, body.data(), n);
    body.erase(0, n);
    if (body.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      auto& t = s->trailers_[id];
      if (!t.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva = toNv(t);
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return n;
  }

  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::string> bodies_;
  std::map<int32_t, std::vector<std::pair<std::string, std::string>>> trailers_;
};

}  // namespace gw::http::test
