#include "gateway/http/filter_chain.h"

#include "gateway/common/strcat.h"
#include "gateway/http/grpc.h"

namespace gw::http {
namespace {

// Above this much held-back request body, stop reading from the client until
// the stopped filter continues.
constexpr size_t kDecodeBufferLimit = 1 << 20;

void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string localReplyBody(int status, std::string_view message, std::string_view description) {
  // WSO2 microgateway style numeric codes: 101xxx for gateway/backend errors,
  // 900xxx for auth/throttling; we keep the HTTP status recognisable in it.
  std::string code = gw::cat(status >= 500 ? 101000 + status : 900000 + status);
  return localReplyBodyWithCode(code, message, description);
}

std::string localReplyBodyWithCode(std::string_view code, std::string_view message,
                                   std::string_view description) {
  std::string out = "{\"code\":";
  appendJsonString(out, code);
  out += ",\"message\":";
  appendJsonString(out, message);
  out += ",\"description\":";
  appendJsonString(out, description);
  out += "}";
  return out;
}

// One filter's position in the chain, and the callbacks it sees.
class FilterChain::FilterSlot : public DecoderFilterCallbacks, public EncoderFilterCallbacks {
 public:
  FilterSlot(FilterChain& chain, size_t index, StreamFilterPtr filter)
      : chain_(chain), index_(index), filter_(std::move(filter)) {}

  StreamFilter& filter() { return *filter_; }

  void continueDecoding() override { chain_.continueDecoding(index_ + 1); }
  void sendLocalReply(int status, std::string_view message, std::string_view description) override {
    chain_.localReply(status, message, description);
  }
  void sendLocalReply(const LocalReply& reply) override { chain_.localReply(reply); }
  void setAuthenticated(std::string_view by) override { chain_.authenticated_by_ = by; }
  bool authenticated() const override { return !chain_.authenticated_by_.empty(); }
  void setIdentity(AuthIdentity identity) override { chain_.identity_ = std::move(identity); }
  const AuthIdentity& identity() const override { return chain_.identity_; }
  void encodeHeaders(ResponseHeaders headers, bool end_stream) override {
    chain_.encodeHeaders(std::move(headers), end_stream);
  }
  void encodeData(std::string& data, bool end_stream) override {
    chain_.encodeData(data, end_stream);
  }
  void encodeTrailers(HeaderMap trailers) override { chain_.encodeTrailers(std::move(trailers)); }
  void readDisableDownstream(bool disable) override {
    chain_.owner_.readDisableDownstream(disable);
  }
  const router::RouteMatch* route() const override { return chain_.owner_.route(); }
  const std::string& downstreamAddress() const override {
    return chain_.owner_.downstreamAddress();
  }
  bool downstreamTls() const override { return chain_.owner_.downstreamTls(); }
  event::Dispatcher& dispatcher() override { return chain_.owner_.dispatcher(); }
  proxy::Connector& connector() override { return chain_.owner_.connector(); }
  stats::Store& stats() override { return chain_.owner_.stats(); }
  void setUpstreamDescription(std::string d) override {
    chain_.owner_.setUpstreamDescription(std::move(d));
  }
  void continueEncoding() override {
    // Encode runs from the last filter to the first, so the next one is index_ - 1.
    chain_.continueEncoding(index_);
  }

 private:
  FilterChain& chain_;
  size_t index_;
  StreamFilterPtr filter_;
};

FilterChain::FilterChain(FilterChainOwner& owner, std::vector<StreamFilterPtr> filters)
    : owner_(owner) {
  // Reserved up front: filters keep pointers to their slots, which must not move.
  slots_.reserve(filters.size());
  for (size_t i = 0; i < filters.size(); ++i) {
    slots_.emplace_back(*this, i, std::move(filters[i]));
    slots_.back().filter().setDecoderFilterCallbacks(slots_.back());
    slots_.back().filter().setEncoderFilterCallbacks(slots_.back());
  }
}

FilterChain::~FilterChain() { destroy(); }

void FilterChain::destroy() {
  if (destroyed_) return;
  destroyed_ = true;
  for (auto& slot : slots_) slot.filter().onDestroy();
}

void FilterChain::decodeHeaders(RequestHeaders headers, bool end_stream) {
  request_headers_ = std::move(headers);
  request_headers_end_stream_ = end_stream;
  runDecodeHeaders(0);
}

void FilterChain::runDecodeHeaders(size_t from_index) {
  for (size_t i = from_index; i < slots_.size(); ++i) {
    decoding_headers_at_ = i;
    continue_requested_ = false;
    FilterStatus status =
        slots_[i].filter().decodeHeaders(request_headers_, request_headers_end_stream_);
    decoding_headers_at_.reset();
    if (decoding_done_ || destroyed_) return;
    // continueDecoding() called before the filter returned StopIteration counts as Continue.
    if (status == FilterStatus::StopIteration && !continue_requested_) {
      decode_stopped_at_ = i;
      return;
    }
  }
  decode_stopped_at_.reset();
}

void FilterChain::decodeData(std::string& data, bool end_stream) {
  if (decoding_done_ || destroyed_) return;
  if (decode_stopped_at_) {
    decode_buffer_ += data;
    decode_buffer_end_ = decode_buffer_end_ || end_stream;
    decode_has_buffered_ = true;
    if (decode_buffer_.size() > kDecodeBufferLimit && !decode_read_disabled_) {
      decode_read_disabled_ = true;
      owner_.readDisableDownstream(true);
    }
    return;
  }
  runDecodeData(data, end_stream);
}

void FilterChain::runDecodeData(std::string& data, bool end_stream) {
  for (auto& slot : slots_) {
    FilterStatus status = slot.filter().decodeData(data, end_stream);
    if (decoding_done_ || destroyed_) return;
    if (status == FilterStatus::StopIteration) return;
  }
}

void FilterChain::decodeTrailers(HeaderMap trailers) {
  if (decoding_done_ || destroyed_) return;
  decode_trailers_ = std::move(trailers);
  if (decode_stopped_at_) return;
  runDecodeTrailers();
}

void FilterChain::runDecodeTrailers() {
  for (auto& slot : slots_) {
    FilterStatus status = slot.filter().decodeTrailers(*decode_trailers_);
    if (decoding_done_ || destroyed_) return;
    if (status == FilterStatus::StopIteration) return;
  }
}

void FilterChain::continueDecoding(size_t from_index) {
  if (decoding_headers_at_ && *decoding_headers_at_ + 1 == from_index) {
    continue_requested_ = true;
    return;
  }
  if (decoding_done_ || destroyed_ || !decode_stopped_at_) return;
  runDecodeHeaders(from_index);
  if (decode_stopped_at_ || decoding_done_ || destroyed_) return;
  if (decode_has_buffered_) {
    std::string data;
    data.swap(decode_buffer_);
    decode_has_buffered_ = false;
    if (decode_read_disabled_) {
      decode_read_disabled_ = false;
      owner_.readDisableDownstream(false);
    }
    runDecodeData(data, decode_buffer_end_ && !decode_trailers_);
    if (decoding_done_ || destroyed_) return;
  }
  if (decode_trailers_) runDecodeTrailers();
}

void FilterChain::encodeHeaders(ResponseHeaders headers, bool end_stream) {
  if (destroyed_ || encode_headers_seen_) return;
  encode_headers_seen_ = true;
  response_headers_ = std::move(headers);
  response_headers_end_stream_ = end_stream;
  runEncodeHeaders(slots_.size());
}

// Runs encodeHeaders on filters [0, end_index) from the last to the first.
void FilterChain::runEncodeHeaders(size_t end_index) {
  for (size_t i = end_index; i-- > 0;) {
    FilterStatus status =
        slots_[i].filter().encodeHeaders(response_headers_, response_headers_end_stream_);
    if (destroyed_) return;
    if (status == FilterStatus::StopIteration) {
      encode_stopped_at_ = i;
      return;
    }
  }
  encode_stopped_at_.reset();
  response_started_ = true;
  response_status_ = response_headers_.status;
  if (response_headers_end_stream_) response_complete_ = true;
  owner_.writeHeaders(response_headers_, response_headers_end_stream_);
}

void FilterChain::encodeData(std::string& data, bool end_stream) {
  if (destroyed_ || response_complete_) return;
  if (encode_stopped_at_ || !encode_headers_seen_) {
    encode_buffer_ += data;
    encode_buffer_end_ = encode_buffer_end_ || end_stream;
    encode_has_buffered_ = true;
    return;
  }
  runEncodeData(data, end_stream);
}

void FilterChain::runEncodeData(std::string& data, bool end_stream) {
  for (size_t i = slots_.size(); i-- > 0;) {
    FilterStatus status = slots_[i].filter().encodeData(data, end_stream);
    if (destroyed_) return;
    if (status == FilterStatus::StopIteration) return;
  }
  if (end_stream) response_complete_ = true;
  owner_.writeData(data, end_stream);
}

void FilterChain::encodeTrailers(HeaderMap trailers) {
  if (destroyed_ || response_complete_) return;
  encode_trailers_ = std::move(trailers);
  if (encode_stopped_at_) return;
  for (size_t i = slots_.size(); i-- > 0;) {
    if (slots_[i].filter().encodeTrailers(*encode_trailers_) == FilterStatus::StopIteration) {
      return;
    }
    if (destroyed_) return;
  }
  response_complete_ = true;
  owner_.writeTrailers(*encode_trailers_);
}

void FilterChain::continueEncoding(size_t from_index) {
  if (destroyed_ || !encode_stopped_at_) return;
  runEncodeHeaders(from_index);
  if (encode_stopped_at_ || destroyed_ || response_complete_) return;
  if (encode_has_buffered_) {
    std::string data;
    data.swap(encode_buffer_);
    encode_has_buffered_ = false;
    runEncodeData(data, encode_buffer_end_ && !encode_trailers_);
  }
  if (encode_trailers_ && !destroyed_) encodeTrailers(std::move(*encode_trailers_));
}

void FilterChain::sendLocalReply(int status, std::string_view message,
                                 std::string_view description) {
  localReply(status, message, description);
}

void FilterChain::localReply(int status, std::string_view message, std::string_view description) {
  LocalReply reply;
  reply.status = status;
  reply.message = std::string(message);
  reply.description = std::string(description);
  localReply(reply);
}

void FilterChain::localReply(const LocalReply& reply) {
  const int status = reply.status;
  const std::string_view message = reply.message;
  if (destroyed_) return;
  decoding_done_ = true;
  local_reply_message_ = std::string(message);
  local_reply_status_ = status;
  const bool grpc = isGrpc(request_headers_.headers);
  if (grpc && response_started_ && !encode_stopped_at_ && !response_complete_) {
    // A gRPC call reads its outcome from the trailers: they can still say it
    // failed after part of the response went out.
    ResponseHeaders ended = grpcLocalReply(status, message, reply.description);
    ended.headers.remove("content-type");
    encodeTrailers(std::move(ended.headers));
    return;
  }
  if (response_started_ || encode_headers_seen_) {
    // Part of a response already went out: the only honest signal left is to
    // cut the connection.
    owner_.resetStream(message);
    return;
  }
  if (grpc) {
    ResponseHeaders headers = grpcLocalReply(status, message, reply.description);
    for (const auto& [name, value] : reply.headers.entries()) headers.headers.add(name, value);
    encodeHeaders(std::move(headers), true);
    return;
  }
  ResponseHeaders headers;
  headers.status = status;
  std::string body = reply.code.empty()
                         ? localReplyBody(status, message, reply.description)
                         : localReplyBodyWithCode(reply.code, message, reply.description);
  for (const auto& [name, value] : reply.headers.entries()) headers.headers.add(name, value);
  if (status == 204 || status == 304) {  // no content, so no JSON body (e.g. a CORS preflight)
    encodeHeaders(std::move(headers), true);
    return;
  }
  headers.headers.add("Content-Type", "application/json");
  headers.headers.add("Content-Length", std::to_string(body.size()));
  encodeHeaders(std::move(headers), false);
  if (!destroyed_) encodeData(body, true);
}

void FilterChain::onAboveWriteBufferHighWatermark() {
  for (auto& slot : slots_) {
    if (auto* cb = slot.filter().downstreamWatermarkCallbacks())
      cb->onAboveWriteBufferHighWatermark();
  }
}

void FilterChain::onBelowWriteBufferLowWatermark() {
  for (auto& slot : slots_) {
    if (auto* cb = slot.filter().downstreamWatermarkCallbacks())
      cb->onBelowWriteBufferLowWatermark();
  }
}

}  // namespace gw::http
