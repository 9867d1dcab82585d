#include "gateway/http/http1_client_codec.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace gw::http {
namespace {

Http1ClientCodec* self(http_parser* p) { return static_cast<Http1ClientCodec*>(p->data); }

constexpr size_t kTypicalFieldCount = 16;

}  // namespace

Http1ClientCodec::Http1ClientCodec(ResponseDecoderCallbacks& callbacks) : callbacks_(callbacks) {
  http_parser_settings_init(&settings_);
  settings_.on_header_field = &Http1ClientCodec::onHeaderField;
  settings_.on_header_value = &Http1ClientCodec::onHeaderValue;
  settings_.on_headers_complete = &Http1ClientCodec::onHeadersComplete;
  settings_.on_body = &Http1ClientCodec::onBody;
  settings_.on_message_complete = &Http1ClientCodec::onMessageComplete;
  newExchange("GET");
}

void Http1ClientCodec::newExchange(std::string_view method) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  head_request_ = method == "HEAD";
  state_ = DecodeState::Reading;
  error_.clear();
  fields_.clear();
  // Room for a typical response head: the section is moved out whole to
  // onResponseHeaders(), so growing it here would copy every field on the way.
  fields_.reserve(kTypicalFieldCount);
  field_.clear();
  value_.clear();
  last_was_value_ = false;
  headers_done_ = false;
}

size_t Http1ClientCodec::decode(const char* data, size_t len) {
  if (state_ != DecodeState::Reading) return 0;
  const size_t n = http_parser_execute(&parser_, &settings_, data, len);
  afterExecute(n, len);
  return n;
}

void Http1ClientCodec::decodeEof() {
  if (state_ != DecodeState::Reading) return;
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  afterExecute(0, 0);
}

void Http1ClientCodec::afterExecute(size_t, size_t) {
  if (state_ != DecodeState::Reading) return;  // completed, stopped or refused in a callback
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK && err != HPE_PAUSED) {
    state_ = DecodeState::Error;
    error_ = http_errno_description(err);
  }
}

void Http1ClientCodec::finishHeaderPair() {
  if (field_.empty()) return;
  if (!isParsedFieldNameToken(field_)) {
    if (!headers_done_) {
      // Refused once the section is complete (the first bad name is reported).
      if (error_.empty())
        error_ = absl::StrCat("header name '", absl::CEscape(absl::string_view(field_)),
                              "' is not a token");
    } else {
      callbacks_.onTrailerDropped(field_);
    }
  } else {
    fields_.add(std::move(field_), std::move(value_));
  }
  field_.clear();
  value_.clear();
}

int Http1ClientCodec::onHeaderField(http_parser* p, const char* at, size_t len) {
  Http1ClientCodec* c = self(p);
  if (c->last_was_value_) {
    c->finishHeaderPair();
    c->last_was_value_ = false;
  }
  c->field_.append(at, len);
  return 0;
}

int Http1ClientCodec::onHeaderValue(http_parser* p, const char* at, size_t len) {
  Http1ClientCodec* c = self(p);
  c->last_was_value_ = true;
  c->value_.append(at, len);
  return 0;
}

int Http1ClientCodec::onHeadersComplete(http_parser* p) { return self(p)->headersComplete(); }

int Http1ClientCodec::headersComplete() {
  finishHeaderPair();
  last_was_value_ = false;
  const int status = parser_.status_code;
  if (error_.empty() && (status < 100 || status > 599)) {
    error_ = absl::StrCat("status code ", status, " is outside 100-599");
  }
  if (!error_.empty()) {
    state_ = DecodeState::Error;
    return -1;
  }
  // Interim: no body, whatever its headers say; delivered in message_complete.
  if (status < 200) return 1;
  ResponseHeaders head;
  head.status = status;
  head.headers = std::move(fields_);
  fields_.clear();
  headers_done_ = true;
  const bool no_body = head_request_ || status == 204 || status == 304 ||
                       ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length == 0);
  if (!callbacks_.onResponseHeaders(std::move(head), no_body)) {
    state_ = DecodeState::Stopped;
    return -1;
  }
  // 1 = skip the body: http-parser cannot know the request was a HEAD.
  return no_body ? 1 : 0;
}

int Http1ClientCodec::onBody(http_parser* p, const char* at, size_t len) {
  Http1ClientCodec* c = self(p);
  if (!c->callbacks_.onResponseData(std::string_view(at, len))) {
    c->state_ = DecodeState::Stopped;
    return -1;
  }
  return 0;
}

int Http1ClientCodec::onMessageComplete(http_parser* p) { return self(p)->messageComplete(); }

int Http1ClientCodec::messageComplete() {
  if (parser_.status_code < 200) {
    // The real response follows on the same connection; this one's headers stay its own.
    HeaderMap interim = std::move(fields_);
    fields_.clear();
    callbacks_.onInterimHeaders(parser_.status_code, std::move(interim));
    return 0;
  }
  finishHeaderPair();
  state_ = DecodeState::Complete;
  const bool keep_alive = http_should_keep_alive(&parser_) != 0;
  HeaderMap trailers = std::move(fields_);
  fields_.clear();
  // Stop here: bytes after this response belong to the next one.
  http_parser_pause(&parser_, 1);
  callbacks_.onResponseComplete(std::move(trailers), keep_alive);
  return 0;
}

}  // namespace gw::http
