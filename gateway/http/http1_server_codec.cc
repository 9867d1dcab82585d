#include "gateway/http/http1_server_codec.h"

#include <event2/buffer.h>

#include <charconv>

#include "absl/strings/numbers.h"
#include "gateway/common/append_sized.h"
#include "gateway/common/strcat.h"
#include "gateway/stats/stats.h"

namespace gw::http {
namespace {

Http1ServerCodec* self(http_parser* p) { return static_cast<Http1ServerCodec*>(p->data); }

bool isHopByHopResponseHeader(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "transfer-encoding") ||
         iequals(name, "keep-alive");
}

// RFC 9110 6.4.1 / 15.3.5 / 15.4.5: these responses never have content, so
// they carry no framing headers either.
bool statusHasNoContent(int status) {
  return status == 204 || status == 304 || (status >= 100 && status < 200);
}

// http-parser lets TAB, form feed and bytes >= 0x80 into the request target;
// RFC 9112 3.2 allows only visible ASCII there (others are percent-encoded).
bool isTargetOctet(unsigned char c) { return c > 0x20 && c < 0x7f; }

}  // namespace

Http1ServerCodec::Http1ServerCodec(ServerCodecCallbacks& callbacks, evbuffer* output,
                                   const CodecLimits& limits)
    : callbacks_(callbacks),
      output_(output),
      limits_(limits),
      scanner_(FramingLimits{limits.max_header_size, limits.max_header_count}) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &Http1ServerCodec::onMessageBegin;
  settings_.on_url = &Http1ServerCodec::onUrl;
  settings_.on_header_field = &Http1ServerCodec::onHeaderField;
  settings_.on_header_value = &Http1ServerCodec::onHeaderValue;
  settings_.on_headers_complete = &Http1ServerCodec::onHeadersComplete;
  settings_.on_body = &Http1ServerCodec::onBody;
  settings_.on_message_complete = &Http1ServerCodec::onMessageComplete;
}

void Http1ServerCodec::dispatch(evbuffer* input) {
  if (closing_) {
    // The last response said Connection: close; what the client still sends is dropped.
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  while (!failed_ && evbuffer_get_length(input) > 0) {
    if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) return;  // waiting for resume()
    // Parse straight from libevent's buffer segments, no copy. The scanner
    // checks the framing first; the parser gets only the bytes it accepted.
    evbuffer_iovec vec;
    if (evbuffer_peek(input, -1, nullptr, &vec, 1) < 1) return;
    const char* data = static_cast<const char*>(vec.iov_base);
    size_t allowed = scanner_.scan(std::string_view(data, vec.iov_len));
    size_t consumed = allowed == 0 ? 0 : http_parser_execute(&parser_, &settings_, data, allowed);
    evbuffer_drain(input, consumed);
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (failed_) return;
    if (err != HPE_OK && err != HPE_PAUSED) {
      fail(400, "Malformed request", http_errno_description(err));
      return;
    }
    if (parser_.upgrade) {
      fail(501, "Protocol upgrade not supported",
           "this gateway does not support Upgrade or CONNECT");
      return;
    }
    if (scanner_.failed()) {
      failScanner();
      return;
    }
    if (consumed != allowed || allowed == 0) {
      // The parser and the scanner disagree on where the head or the message ends.
      fail(400, "Malformed request", "the request framing is ambiguous");
      return;
    }
    if (err == HPE_PAUSED) return;
  }
}

bool Http1ServerCodec::requestKeepsAlive() const {
  switch (limits_.keep_alive) {
    case KeepAlivePolicy::Never:
      return false;
    case KeepAlivePolicy::Always:
      return (parser_.flags & F_CONNECTION_CLOSE) == 0;
    case KeepAlivePolicy::Auto:
      break;
  }
  return http_should_keep_alive(&parser_) != 0;
}

int Http1ServerCodec::failScanner() {
  if (scanner_.errorStatus() == 431) {
    return fail(431, "Request header fields too large", scanner_.errorDescription());
  }
  return fail(scanner_.errorStatus(), "Malformed request", scanner_.errorDescription());
}

void Http1ServerCodec::resume() {
  stream_active_ = false;
  decoder_ = nullptr;
  if (!message_complete_) {
    // The response finished before the parser reached the end of the request
    // (a local reply from decodeHeaders): do not pause at its end.
    skip_pause_ = true;
    return;
  }
  request_complete_ = false;
  if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
}

int Http1ServerCodec::fail(int status, std::string_view message, std::string_view description) {
  failed_ = true;
  keep_alive_ = false;
  // After a final response with Connection: close, trailing garbage is dropped,
  // not answered: the client already has its one response.
  if (!closing_) callbacks_.onProtocolError(status, message, description);
  return -1;
}

int Http1ServerCodec::onMessageBegin(http_parser* p) {
  Http1ServerCodec* c = self(p);
  c->request_ = RequestHeaders();
  c->request_.headers.reserve(16);
  c->trailers_.clear();
  c->bad_header_name_ = false;
  c->underscore_name_.clear();
  c->field_.clear();
  c->value_.clear();
  c->last_was_value_ = false;
  c->in_trailers_ = false;
  c->body_bytes_ = 0;
  c->stream_active_ = true;
  c->request_complete_ = false;
  c->message_complete_ = false;
  c->skip_pause_ = false;
  c->expect_continue_ = false;
  c->sent_continue_ = false;
  c->response_started_ = false;
  c->response_chunked_ = false;
  c->response_no_body_ = false;
  return 0;
}

int Http1ServerCodec::onUrl(http_parser* p, const char* at, size_t len) {
  Http1ServerCodec* c = self(p);
  for (size_t i = 0; i < len; ++i) {
    if (at[i] == '#') {
      // RFC 9112 3.2: a request target has no fragment. Refused here, as a
      // malformed request that closes the connection, not only at routing.
      return c->fail(400, "Bad request",
                     "the request target has a '#' (a request carries no fragment); "
                     "percent-encode it as %23 if it is data");
    }
    if (!isTargetOctet(static_cast<unsigned char>(at[i]))) {
      return c->fail(400, "Bad request",
                     "the request target has a control character, a space or a byte >= 0x80; "
                     "percent-encode it");
    }
  }
  c->request_.path.append(at, len);
  if (c->request_.path.size() > c->limits_.max_uri_length) {
    return c->fail(414, "URI too long",
                   gw::cat("the request URI exceeds listenerConfig.maxUriLength (",
                           c->limits_.max_uri_length, " bytes)"));
  }
  return 0;
}

void Http1ServerCodec::finishHeaderPair() {
  if (field_.empty()) return;
  // A name that is not a token (e.g. whitespace before the colon, which
  // http-parser tolerates) is refused: a backend could read the header
  // differently and be handed a smuggled request.
  if (!isParsedFieldNameToken(field_)) bad_header_name_ = true;
  bool keep = true;
  if (field_.find('_') != std::string::npos) {
    switch (limits_.headers_with_underscores) {
      case UnderscoreHeaders::Allow:
        break;
      case UnderscoreHeaders::Drop:
        keep = false;
        if (limits_.underscore_headers_dropped != nullptr)
          limits_.underscore_headers_dropped->inc();
        break;
      case UnderscoreHeaders::Reject:
        keep = false;
        if (underscore_name_.empty()) underscore_name_ = field_;
        break;
    }
  }
  // Header values have optional trailing whitespace; http-parser keeps it.
  while (!value_.empty() && (value_.back() == ' ' || value_.back() == '\t')) value_.pop_back();
  HeaderMap& target = in_trailers_ ? trailers_ : request_.headers;
  if (keep) target.add(std::move(field_), std::move(value_));
  field_.clear();
  value_.clear();
}

int Http1ServerCodec::checkHeaderNames(const char* section) {
  if (bad_header_name_) {
    return fail(400, "Bad request",
                gw::cat("a ", section,
                        " name contains characters not allowed in a token (e.g. a space before "
                        "the colon)"));
  }
  if (!underscore_name_.empty()) {
    return fail(400, "Bad request",
                gw::cat("the ", section, " name '", underscore_name_,
                        "' contains an underscore; use dashes, or set "
                        "listenerConfig.headersWithUnderscoresAction = \"allow\""));
  }
  return 0;
}

// The head has ended: tell the scanner how the body is framed.
void Http1ServerCodec::startBodyScan() {
  if (parser_.flags & F_CHUNKED) {
    scanner_.startChunkedBody();
  } else if (parser_.flags & F_CONTENTLENGTH) {
    scanner_.startLengthBody(parser_.content_length);
  } else {
    scanner_.startLengthBody(0);
  }
}

int Http1ServerCodec::onHeaderField(http_parser* p, const char* at, size_t len) {
  Http1ServerCodec* c = self(p);
  if (c->last_was_value_) {
    c->finishHeaderPair();
    c->last_was_value_ = false;
  }
  c->field_.append(at, len);
  return 0;
}

int Http1ServerCodec::onHeaderValue(http_parser* p, const char* at, size_t len) {
  Http1ServerCodec* c = self(p);
  c->last_was_value_ = true;
  c->value_.append(at, len);
  return 0;
}

int Http1ServerCodec::onHeadersComplete(http_parser* p) { return self(p)->headersComplete(); }

int Http1ServerCodec::headersComplete() {
  finishHeaderPair();
  last_was_value_ = false;
  if (!scanner_.headComplete()) {
    return fail(400, "Malformed request", "the request head ends in an ambiguous way");
  }
  if (checkHeaderNames("header") != 0) return -1;
  request_.method = http_method_str(static_cast<http_method>(parser_.method));
  request_.version_minor = parser_.http_minor;
  if (parser_.http_major != 1 || parser_.http_minor > 1) {
    return fail(505, "HTTP version not supported", "only HTTP/1.0 and HTTP/1.1 are accepted here");
  }
  if (parser_.upgrade) {
    return fail(501, "Protocol upgrade not supported",
                "this gateway does not support Upgrade (e.g. WebSocket) or CONNECT requests");
  }
  const HeaderMap& h = request_.headers;
  // Request smuggling guards (RFC 9112 6.3): never guess between two framings.
  if (h.has("transfer-encoding") && h.has("content-length")) {
    return fail(400, "Bad request",
                "both Content-Length and Transfer-Encoding are present; send only one");
  }
  if (h.count("content-length") > 1) {
    return fail(400, "Bad request", "more than one Content-Length header");
  }
  if (const std::string* te = h.get("transfer-encoding"); te && !iequals(*te, "chunked")) {
    return fail(501, "Transfer-Encoding not supported",
                "only 'chunked' transfer coding is accepted");
  }
  if (request_.version_minor == 1 && !h.has("host")) {
    return fail(400, "Bad request", "HTTP/1.1 requests must carry a Host header");
  }
  if (const std::string* host = h.get("host")) request_.authority = *host;
  if (limits_.max_entity_body_size > 0 && (parser_.flags & F_CONTENTLENGTH) &&
      parser_.content_length > limits_.max_entity_body_size) {
    return fail(413, "Request entity too large",
                gw::cat("the body exceeds listenerConfig.maxEntityBodySize (",
                        limits_.max_entity_body_size, " bytes)"));
  }
  if (!requestKeepsAlive()) keep_alive_ = false;
  head_request_ = parser_.method == HTTP_HEAD;
  if (const std::string* expect = h.get("expect"); expect && iequals(*expect, "100-continue")) {
    expect_continue_ = request_.version_minor >= 1;
    request_.headers.remove("expect");
  }
  bool has_body = (parser_.flags & F_CHUNKED) ||
                  ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > 0);
  startBodyScan();
  in_trailers_ = true;  // any header callbacks from now on are chunked trailers
  decoder_ = &callbacks_.newStream(*this);
  if (!has_body) request_complete_ = true;
  decoder_->decodeHeaders(std::move(request_), !has_body);
  if (failed_) return -1;
  return 0;
}

int Http1ServerCodec::onBody(http_parser* p, const char* at, size_t len) {
  Http1ServerCodec* c = self(p);
  c->body_bytes_ += len;
  if (c->limits_.max_entity_body_size > 0 && c->body_bytes_ > c->limits_.max_entity_body_size) {
    return c->fail(413, "Request entity too large",
                   gw::cat("the body exceeds listenerConfig.maxEntityBodySize (",
                           c->limits_.max_entity_body_size, " bytes)"));
  }
  if (c->decoder_ == nullptr) return 0;
  std::string chunk(at, len);
  c->decoder_->decodeData(chunk, false);
  return c->failed_ ? -1 : 0;
}

int Http1ServerCodec::onMessageComplete(http_parser* p) {
  Http1ServerCodec* c = self(p);
  c->finishHeaderPair();
  if (c->checkHeaderNames("trailer") != 0) return -1;
  if (!c->scanner_.messageComplete()) {
    return c->fail(400, "Malformed request", "the request body ends in an ambiguous way");
  }
  c->scanner_.reset();
  bool had_body = !c->request_complete_;
  c->request_complete_ = true;
  if (c->decoder_ != nullptr && had_body) {
    if (!c->trailers_.empty()) {
      c->decoder_->decodeTrailers(std::move(c->trailers_));
    } else {
      std::string empty;
      c->decoder_->decodeData(empty, true);
    }
  }
  c->message_complete_ = true;
  if (c->skip_pause_) {
    c->skip_pause_ = false;
    c->request_complete_ = false;
    return 0;
  }
  // One request at a time: the next pipelined request waits for resume().
  http_parser_pause(p, 1);
  return 0;
}

void Http1ServerCodec::encode100Continue() {
  if (!expect_continue_ || sent_continue_ || response_started_) return;
  sent_continue_ = true;
  evbuffer_add(output_, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

void Http1ServerCodec::encodeHeaders(const ResponseHeaders& headers, bool end_stream) {
  response_started_ = true;
  const int status = headers.status;
  const bool no_content = statusHasNoContent(status);
  response_no_body_ = head_request_ || no_content;
  // A client that sent a body we have not read must not reuse the connection:
  // its leftover bytes would be taken for the next request.
  if (!request_complete_) keep_alive_ = false;
  // Which fields go out (a HEAD response keeps Content-Length: it describes
  // the GET), decided once per field: the writer below runs twice (size, write).
  const auto& entries = headers.headers.entries();
  auto sent = [no_content](std::string_view name) {
    return !isHopByHopResponseHeader(name) && !(no_content && iequals(name, "content-length"));
  };
  constexpr size_t kMaskBits = 64;
  uint64_t dropped = 0;  // bit i: entries[i] stays here (the first 64 fields)
  bool has_length = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].first;
    if (!sent(name)) {
      if (i < kMaskBits) dropped |= uint64_t{1} << i;
      continue;
    }
    has_length = has_length || iequals(name, "content-length");
  }
  auto sentAt = [&](size_t i) {
    return i < kMaskBits ? (dropped & (uint64_t{1} << i)) == 0 : sent(entries[i].first);
  };
  std::string_view framing;
  response_chunked_ = false;
  if (!has_length && !response_no_body_) {
    if (end_stream) {
      framing = "Content-Length: 0\r\n";
    } else if (request_.version_minor >= 1) {
      response_chunked_ = true;
      framing = "Transfer-Encoding: chunked\r\n";
    } else {
      keep_alive_ = false;  // body delimited by close
    }
  }
  std::string_view connection;
  if (!keep_alive_) {
    connection = "Connection: close\r\n";
  } else if (request_.version_minor == 0) {
    connection = "Connection: keep-alive\r\n";
  }
  char code[16];
  const std::string_view code_text(code,
                                   std::to_chars(code, code + sizeof(code), status).ptr - code);
  // Sized, then written straight into the output buffer: this runs for every response.
  gw::appendSized<gw::PieceSizer, gw::PieceWriter>(output_, [&](auto& w) {
    w.put("HTTP/1.1 ");
    w.put(code_text);
    w.put(" ");
    w.put(reasonPhrase(status));
    w.put("\r\n");
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!sentAt(i)) continue;
      w.put(entries[i].first);
      w.put(": ");
      w.put(entries[i].second);
      w.put("\r\n");
    }
    w.put(framing);
    w.put(connection);
    w.put("\r\n");
  });
  if (end_stream) endResponse();
}

void Http1ServerCodec::encodeData(std::string_view data, bool end_stream) {
  if (!response_no_body_ && !data.empty()) {
    if (response_chunked_) {
      char head[24];
      int n = snprintf(head, sizeof(head), "%zx\r\n", data.size());
      evbuffer_add(output_, head, n);
      evbuffer_add(output_, data.data(), data.size());
      evbuffer_add(output_, "\r\n", 2);
    } else {
      evbuffer_add(output_, data.data(), data.size());
    }
  }
  if (end_stream) {
    if (response_chunked_ && !response_no_body_) evbuffer_add(output_, "0\r\n\r\n", 5);
    endResponse();
  }
}

void Http1ServerCodec::encodeTrailers(const HeaderMap& trailers) {
  if (response_chunked_ && !response_no_body_) {
    std::string out = "0\r\n";
    for (const auto& [name, value] : trailers.entries())
      gw::catAppend(&out, name, ": ", value, "\r\n");
    out += "\r\n";
    evbuffer_add(output_, out.data(), out.size());
  }
  endResponse();
}

void Http1ServerCodec::sendProtocolError(int status, std::string_view body) {
  keep_alive_ = false;
  if (response_started_) return;
  std::string out = gw::cat("HTTP/1.1 ", status, " ", reasonPhrase(status),
                            "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                            "\r\nConnection: close\r\n\r\n", body);
  evbuffer_add(output_, out.data(), out.size());
  closing_ = true;
}

void Http1ServerCodec::resetStream() {
  keep_alive_ = false;
  closing_ = true;
  decoder_ = nullptr;
}

void Http1ServerCodec::endResponse() {
  response_started_ = false;
  // A response that ended before its request did closes the connection; the
  // rest of the request is read and dropped, never handed to the finished stream.
  if (!request_complete_) decoder_ = nullptr;
  if (!keep_alive_) closing_ = true;
}

}  // namespace gw::http
