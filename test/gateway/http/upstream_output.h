#pragma once

// The tests' view of UpstreamCodec::moveOutput: the bytes to send, as a string.

#include <event2/buffer.h>

#include <memory>
#include <string>

#include "gateway/http/upstream_codec.h"

namespace gw::http::testing {

inline std::string takeOutput(UpstreamCodec& codec) {
  std::unique_ptr<evbuffer, void (*)(evbuffer*)> buffer(evbuffer_new(), &evbuffer_free);
  std::string out(codec.moveOutput(buffer.get()), '\0');
  evbuffer_remove(buffer.get(), out.data(), out.size());
  return out;
}

}  // namespace gw::http::testing
