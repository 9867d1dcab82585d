#pragma once

// Runs one request's events through its ordered filters (see filter.h for the
// contract filters see). Owned by the connection manager's per-request stream;
// single-threaded, on the worker that owns the connection.

#include <optional>
#include <string>
#include <vector>

#include "gateway/http/filter.h"

namespace gw::http {

// What the chain needs from the stream that owns it: the stream's context
// (passed on to filters) and where the encode chain's output goes.
class FilterChainOwner : public StreamContext {
 public:
  // The encode chain's output, towards the client.
  virtual void writeHeaders(ResponseHeaders& headers, bool end_stream) = 0;
  virtual void writeData(std::string& data, bool end_stream) = 0;
  virtual void writeTrailers(HeaderMap& trailers) = 0;
  // The response cannot be completed (a local reply after response bytes
  // were already sent): close or reset the client connection.
  virtual void resetStream(std::string_view reason) = 0;
};

class FilterChain {
 public:
  // `owner` must outlive the chain. Calls setDecoder/EncoderFilterCallbacks on each filter.
  FilterChain(FilterChainOwner& owner, std::vector<StreamFilterPtr> filters);
  ~FilterChain();

  // Request events from the codec.
  void decodeHeaders(RequestHeaders headers, bool end_stream);
  void decodeData(std::string& data, bool end_stream);
  void decodeTrailers(HeaderMap trailers);

  // A local reply decided outside any filter (e.g. the body grew past maxEntityBodySize).
  void sendLocalReply(int status, std::string_view message, std::string_view description);

  // Client-side socket buffer watermarks, passed to filters that ask for them.
  void onAboveWriteBufferHighWatermark();
  void onBelowWriteBufferLowWatermark();

  // Calls onDestroy() on every filter once. Idempotent.
  void destroy();

  bool responseStarted() const { return response_started_; }
  bool responseComplete() const { return response_complete_; }
  int responseStatus() const { return response_status_; }
  const RequestHeaders& requestHeaders() const { return request_headers_; }
  // The local reply's message, for the access log ("" if none was sent).
  const std::string& localReplyMessage() const { return local_reply_message_; }
  // The local reply's status (0 if none was sent), also when it became a reset.
  int localReplyStatus() const { return local_reply_status_; }

 private:
  class FilterSlot;
  friend class FilterSlot;

  void continueDecoding(size_t from_index);
  void runDecodeHeaders(size_t from_index);
  void runDecodeData(std::string& data, bool end_stream);
  void runDecodeTrailers();
  void continueEncoding(size_t from_index);
  void runEncodeHeaders(size_t from_index);
  void encodeHeaders(ResponseHeaders headers, bool end_stream);
  void encodeData(std::string& data, bool end_stream);
  void encodeTrailers(HeaderMap trailers);
  void runEncodeData(std::string& data, bool end_stream);
  void localReply(int status, std::string_view message, std::string_view description);
  void localReply(const LocalReply& reply);

  FilterChainOwner& owner_;
  std::vector<FilterSlot> slots_;  // one per filter, in chain order; never reallocated

  RequestHeaders request_headers_;
  bool request_headers_end_stream_ = false;
  // Decode side: index of the filter that stopped on headers, if any.
  std::optional<size_t> decode_stopped_at_;
  // The filter whose decodeHeaders is running, and whether it already asked to continue.
  std::optional<size_t> decoding_headers_at_;
  bool continue_requested_ = false;
  std::string decode_buffer_;
  bool decode_buffer_end_ = false;
  bool decode_has_buffered_ = false;
  std::optional<HeaderMap> decode_trailers_;
  bool decode_read_disabled_ = false;
  bool decoding_done_ = false;  // local reply sent: later request events are dropped

  // Encode side.
  ResponseHeaders response_headers_;
  bool response_headers_end_stream_ = false;
  std::optional<size_t> encode_stopped_at_;
  std::string encode_buffer_;
  bool encode_buffer_end_ = false;
  bool encode_has_buffered_ = false;
  std::optional<HeaderMap> encode_trailers_;
  bool response_started_ = false;   // headers reached the owner
  bool response_complete_ = false;  // end of stream reached the owner
  bool encode_headers_seen_ = false;
  int response_status_ = 0;
  std::string local_reply_message_;
  int local_reply_status_ = 0;
  std::string authenticated_by_;  // see DecoderFilterCallbacks::setAuthenticated
  AuthIdentity identity_;         // see DecoderFilterCallbacks::setIdentity
  bool destroyed_ = false;
};

// Builds the JSON body of a local reply: {"code":"...","message":"...","description":"..."}.
// `code` is a WSO2-style numeric string derived from the status.
std::string localReplyBody(int status, std::string_view message, std::string_view description);
// The same with an explicit code ("900901").
std::string localReplyBodyWithCode(std::string_view code, std::string_view message,
                                   std::string_view description);

}  // namespace gw::http
