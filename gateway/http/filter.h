#pragma once

// The HTTP filter API.
//
// Every request passes through an ordered chain of filters configured in
// conf/filters.yaml. Request (decode) events run through the chain in order,
// first filter to last; response (encode) events run in reverse order. The
// last filter is always the router, the terminal upstream filter, which sends
// the request to the backend and feeds the backend's response back through
// the encode path.
//
// Each event method returns a FilterStatus:
//   Continue        the event goes on to the next filter.
//   StopIteration   the chain stops here for this event. On decodeHeaders /
//                   encodeHeaders the chain holds back everything that follows
//                   (body, trailers) until the filter calls continueDecoding()
//                   / continueEncoding(), or ends the stream with
//                   sendLocalReply(). On decodeData / encodeData the chunk is
//                   not passed on: the filter has consumed it.
//
// Lifetime and threading: one filter object per request, created by its
// factory on the worker thread that owns the connection and used only there.
// The `callbacks` given to setDecoderFilterCallbacks / setEncoderFilterCallbacks
// stay valid until onDestroy() returns; onDestroy() is called once, before the
// filter is deleted, when the request ends for any reason (completion, local
// reply, client disconnect). After onDestroy() no other method is called.
//
// Example: a filter that rejects requests without an API key.
//
//   class ApiKeyFilter : public gw::http::PassThroughFilter {
//    public:
//     gw::http::FilterStatus decodeHeaders(gw::http::RequestHeaders& h, bool) override {
//       if (!h.headers.has("x-api-key")) {
//         decoder_callbacks_->sendLocalReply(401, "Missing API key",
//                                            "send the key in the x-api-key header");
//         return gw::http::FilterStatus::StopIteration;
//       }
//       return gw::http::FilterStatus::Continue;
//     }
//   };

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/http/auth_identity.h"
#include "gateway/http/header_map.h"

namespace gw::event {
class Dispatcher;
}
namespace gw::proxy {
class Connector;
}
namespace gw::stats {
class Store;
}
namespace gw::router {
struct RouteMatch;
}

namespace gw::http {

enum class FilterStatus {
  // Pass the event on to the next filter.
  Continue,
  // Stop here: see the file comment for what that means per event.
  StopIteration,
};

// What a request's stream knows about itself and its worker. Filters see it
// through DecoderFilterCallbacks; the filter chain gets it from its owner.
class StreamContext {
 public:
  virtual ~StreamContext() = default;

  // Flow control: stop/resume reading the client's connection (the router
  // does this while the backend's socket buffer is full).
  virtual void readDisableDownstream(bool disable) = 0;

  // The API and operation this request matched, or nullptr (no API matched).
  virtual const router::RouteMatch* route() const = 0;

  // Client address as text ("127.0.0.1"), and whether it came over TLS.
  virtual const std::string& downstreamAddress() const = 0;
  virtual bool downstreamTls() const = 0;

  // The worker's event loop, upstream connector and the metrics store.
  virtual event::Dispatcher& dispatcher() = 0;
  virtual proxy::Connector& connector() = 0;
  virtual stats::Store& stats() = 0;

  // Tells the connection manager which upstream served the request, for the
  // access log ("127.0.0.1:8080" or "-").
  virtual void setUpstreamDescription(std::string description) = 0;
};

// A local reply with a WSO2 error code and extra response headers (e.g.
// WWW-Authenticate). The body is {"code", "message", "description"}.
struct LocalReply {
  int status = 500;
  std::string code;  // "" = derived from the status, as sendLocalReply(status, ...) does
  std::string message;
  std::string description;
  HeaderMap headers;  // added to the response
};

// What a filter may do to its request. Implemented by the filter chain.
class DecoderFilterCallbacks : public StreamContext {
 public:
  // Security: an auth filter that validated the request's credentials marks
  // the stream authenticated ("jwt_authn"); the router refuses a secured
  // route on a stream nobody marked (401), so a chain without any auth filter
  // never serves a secured API. Per stream; never reset.
  virtual void setAuthenticated(std::string_view by) { (void)by; }
  virtual bool authenticated() const { return false; }
  // Who the credentials belong to (gateway/http/auth_identity.h), set by the
  // auth filter that authenticated the stream; empty until then (and on open
  // resources). Later filters read it; per stream.
  virtual void setIdentity(AuthIdentity identity) { (void)identity; }
  virtual const AuthIdentity& identity() const {
    static const AuthIdentity kNone;
    return kNone;
  }

  // sendLocalReply with a code and headers of the filter's choosing.
  virtual void sendLocalReply(const LocalReply& reply) {
    sendLocalReply(reply.status, reply.message, reply.description);
  }

  // Resumes the decode chain after this filter returned StopIteration from
  // decodeHeaders: headers go on to the next filter, then any held-back body
  // and trailers. May be called from a later event-loop callback, or from
  // inside decodeHeaders itself (then the StopIteration counts as Continue).
  virtual void continueDecoding() = 0;

  // Ends the request with a gateway-generated response: `status`, and a small
  // JSON body {"code", "message", "description"}. The response runs through
  // the encode path of every filter. After this call the filter must return
  // StopIteration from the event it is in and expect no more decode events.
  virtual void sendLocalReply(int status, std::string_view message,
                              std::string_view description) = 0;

  // Response path entry points, used by the terminal (router) filter to hand
  // the backend's response to the encode chain.
  virtual void encodeHeaders(ResponseHeaders headers, bool end_stream) = 0;
  virtual void encodeData(std::string& data, bool end_stream) = 0;
  virtual void encodeTrailers(HeaderMap trailers) = 0;
};

// Notified when the client's socket buffer passes its watermarks, so a filter
// that streams a response (the router) can stop reading from its backend.
class DownstreamWatermarkCallbacks {
 public:
  virtual ~DownstreamWatermarkCallbacks() = default;
  virtual void onAboveWriteBufferHighWatermark() = 0;
  virtual void onBelowWriteBufferLowWatermark() = 0;
};

class EncoderFilterCallbacks {
 public:
  virtual ~EncoderFilterCallbacks() = default;
  // Resumes the encode chain after StopIteration from encodeHeaders.
  virtual void continueEncoding() = 0;
  virtual const router::RouteMatch* route() const = 0;
};

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;

  virtual void setDecoderFilterCallbacks(DecoderFilterCallbacks& callbacks) = 0;
  virtual void setEncoderFilterCallbacks(EncoderFilterCallbacks& callbacks) = 0;

  // Request path, in chain order.
  virtual FilterStatus decodeHeaders(RequestHeaders& headers, bool end_stream) = 0;
  virtual FilterStatus decodeData(std::string& data, bool end_stream) = 0;
  virtual FilterStatus decodeTrailers(HeaderMap& trailers) = 0;

  // Response path, in reverse chain order.
  virtual FilterStatus encodeHeaders(ResponseHeaders& headers, bool end_stream) = 0;
  virtual FilterStatus encodeData(std::string& data, bool end_stream) = 0;
  virtual FilterStatus encodeTrailers(HeaderMap& trailers) = 0;

  // The request is over (see the file comment). Release upstream resources here.
  virtual void onDestroy() = 0;

  // For the router only: lets the connection manager pass client-side
  // watermark events. Other filters ignore it.
  virtual DownstreamWatermarkCallbacks* downstreamWatermarkCallbacks() { return nullptr; }
};
using StreamFilterPtr = std::unique_ptr<StreamFilter>;

// No-op defaults: a custom filter overrides only what it needs.
class PassThroughFilter : public StreamFilter {
 public:
  void setDecoderFilterCallbacks(DecoderFilterCallbacks& callbacks) override {
    decoder_callbacks_ = &callbacks;
  }
  void setEncoderFilterCallbacks(EncoderFilterCallbacks& callbacks) override {
    encoder_callbacks_ = &callbacks;
  }
  FilterStatus decodeHeaders(RequestHeaders&, bool) override { return FilterStatus::Continue; }
  FilterStatus decodeData(std::string&, bool) override { return FilterStatus::Continue; }
  FilterStatus decodeTrailers(HeaderMap&) override { return FilterStatus::Continue; }
  FilterStatus encodeHeaders(ResponseHeaders&, bool) override { return FilterStatus::Continue; }
  FilterStatus encodeData(std::string&, bool) override { return FilterStatus::Continue; }
  FilterStatus encodeTrailers(HeaderMap&) override { return FilterStatus::Continue; }
  void onDestroy() override {}

 protected:
  // Valid from set*FilterCallbacks() until onDestroy() returns.
  DecoderFilterCallbacks* decoder_callbacks_ = nullptr;
  EncoderFilterCallbacks* encoder_callbacks_ = nullptr;
};

// Creates one filter per request. Called on worker threads concurrently, so it
// may only read the immutable config it captured.
using FilterFactoryCb = std::function<StreamFilterPtr()>;

}  // namespace gw::http
