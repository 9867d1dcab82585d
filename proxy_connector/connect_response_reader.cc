#include "proxy_connector/connect_response_reader.h"

#include <event2/buffer.h>
#include <strings.h>

#include <algorithm>

namespace gw::proxy {
namespace {

ConnectResponseReader* self(http_parser* p) { return static_cast<ConnectResponseReader*>(p->data); }

}  // namespace

ConnectResponseReader::ConnectResponseReader() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_status = &ConnectResponseReader::onStatus;
  settings_.on_header_field = &ConnectResponseReader::onHeaderField;
  settings_.on_header_value = &ConnectResponseReader::onHeaderValue;
  settings_.on_headers_complete = &ConnectResponseReader::onHeadersComplete;
  settings_.on_body = &ConnectResponseReader::onBody;
  settings_.on_message_complete = &ConnectResponseReader::onMessageComplete;
}

int ConnectResponseReader::onStatus(http_parser* p, const char* at, size_t len) {
  self(p)->reason_.append(at, len);
  return 0;
}

int ConnectResponseReader::onHeaderField(http_parser* p, const char* at, size_t len) {
  ConnectResponseReader* r = self(p);
  if (r->in_value_) r->endHeader();
  r->field_.append(at, len);
  return 0;
}

int ConnectResponseReader::onHeaderValue(http_parser* p, const char* at, size_t len) {
  ConnectResponseReader* r = self(p);
  r->in_value_ = true;
  r->value_.append(at, len);
  return 0;
}

void ConnectResponseReader::endHeader() {
  if (strcasecmp(field_.c_str(), "proxy-authenticate") == 0) {
    if (!proxy_authenticate_.empty()) proxy_authenticate_ += ", ";
    proxy_authenticate_ += value_;
  }
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int ConnectResponseReader::onHeadersComplete(http_parser* p) {
  ConnectResponseReader* r = self(p);
  if (r->in_value_) r->endHeader();
  r->status_ = p->status_code;
  if (r->status_ / 100 == 1) {
    // Interim answer (100 Continue): ignore it and wait for the final one.
    r->reason_.clear();
    r->proxy_authenticate_.clear();
    return 0;
  }
  r->headers_done_ = true;
  // 2: no body and nothing after this message is HTTP (http_parser.h's CONNECT
  // convention); the parser then returns exactly the header block's length.
  return r->status_ / 100 == 2 ? 2 : 0;
}

int ConnectResponseReader::onBody(http_parser* p, const char*, size_t len) {
  ConnectResponseReader* r = self(p);
  r->body_bytes_ += len;
  // Stop draining a huge rejection body; the connection is closed anyway.
  return r->body_bytes_ > kMaxBodyBytes ? 1 : 0;
}

int ConnectResponseReader::onMessageComplete(http_parser* p) {
  ConnectResponseReader* r = self(p);
  if (!r->headers_done_) return 0;  // end of an interim 1xx answer
  if (r->status_ / 100 != 2) {
    r->state_ = State::Rejected;
    http_parser_pause(p, 1);  // anything after the answer is not ours to parse
  }
  return 0;
}

ConnectResponseReader::State ConnectResponseReader::fail(std::string why) {
  error_ = std::move(why);
  state_ = State::Error;
  return state_;
}

ConnectResponseReader::State ConnectResponseReader::feed(const char* data, size_t len,
                                                         size_t* consumed) {
  *consumed = 0;
  while (state_ == State::NeedMore && *consumed < len) {
    size_t chunk = len - *consumed;
    if (!headers_done_) chunk = std::min(chunk, kMaxHeaderBytes - fed_);
    const size_t n = http_parser_execute(&parser_, &settings_, data + *consumed, chunk);
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    *consumed += n;
    fed_ += n;
    if (headers_done_ && status_ / 100 == 2) {
      header_bytes_ = fed_;
      state_ = State::Established;
      break;
    }
    if (err == HPE_CB_body) {
      state_ = State::Rejected;  // body over kMaxBodyBytes: stop draining
      *consumed = len;
    } else if (err != HPE_OK && err != HPE_PAUSED) {
      if (headers_done_) {
        state_ = State::Rejected;  // a malformed rejection body changes nothing
        *consumed = len;
      } else {
        return fail(std::string("invalid HTTP response from proxy: ") +
                    http_errno_description(err));
      }
    } else if (!headers_done_ && fed_ >= kMaxHeaderBytes) {
      return fail("proxy answer's header block is over " + std::to_string(kMaxHeaderBytes) +
                  " bytes");
    }
  }
  return state_;
}

ConnectResponseReader::State ConnectResponseReader::read(evbuffer* in) {
  while (state_ == State::NeedMore && evbuffer_get_length(in) > 0) {
    evbuffer_iovec v;
    if (evbuffer_peek(in, -1, nullptr, &v, 1) < 1) break;
    size_t consumed = 0;
    feed(static_cast<const char*>(v.iov_base), v.iov_len, &consumed);
    evbuffer_drain(in, consumed);
    if (consumed == 0) break;
  }
  return state_;
}

ConnectResponseReader::State ConnectResponseReader::finish() {
  if (state_ != State::NeedMore) return state_;
  if (headers_done_) {
    // Body delimited by EOF, or cut short: either way the answer is known.
    state_ = State::Rejected;
    return state_;
  }
  return fail("proxy closed the connection before its answer to CONNECT was complete");
}

}  // namespace gw::proxy
