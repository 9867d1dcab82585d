// Fuzzes the CONNECT response reader (proxy_connector/connect_response_reader.h).
//
// Input layout: kControlBytes control bytes, then the proxy's byte stream.
// Control byte 0 picks the API (feed() or read(evbuffer*)) and whether the
// peer closes at the end (finish()); the others, cyclically, the chunk sizes.
//
// Invariants (a violation is __builtin_trap()):
//  - feed() never reports more consumed bytes than it was given;
//  - Established: the status is 2xx, the header block is at most
//    kMaxHeaderBytes and is exactly what was consumed in total (the tunnel
//    starts right after it); read() left every other byte in the buffer;
//  - Rejected: the status is neither 2xx nor an interim 1xx;
//  - Error: error() says why;
//  - once final, the state sticks and nothing more is consumed.

#include <event2/buffer.h>

#include <cstddef>
#include <cstdint>

#include "proxy_connector/connect_response_reader.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::proxy::ConnectResponseReader;
using State = ConnectResponseReader::State;

constexpr size_t kControlBytes = 4;

void checkFinal(const ConnectResponseReader& r, size_t total_consumed, size_t total_fed) {
  switch (r.state()) {
    case State::NeedMore:
      break;
    case State::Established:
      FUZZ_CHECK(r.status() / 100 == 2);
      FUZZ_CHECK(r.headerBytes() <= ConnectResponseReader::kMaxHeaderBytes);
      FUZZ_CHECK(r.headerBytes() == total_consumed);
      FUZZ_CHECK(total_consumed <= total_fed);
      break;
    case State::Rejected:
      FUZZ_CHECK(r.status() / 100 != 2 && r.status() / 100 != 1);
      break;
    case State::Error:
      FUZZ_CHECK(!r.error().empty());
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kControlBytes) return 0;
  const uint8_t mode = data[0];
  const uint8_t* chunks = data + 1;
  const size_t chunk_count = kControlBytes - 1;
  const char* stream = reinterpret_cast<const char*>(data + kControlBytes);
  const size_t stream_size = size - kControlBytes;
  const bool use_evbuffer = (mode & 1) != 0;
  const bool peer_closes = (mode & 2) != 0;

  ConnectResponseReader reader;
  evbuffer* buf = evbuffer_new();
  size_t pos = 0, total_consumed = 0, i = 0;
  State state = State::NeedMore;
  while (pos < stream_size) {
    uint8_t c = chunks[i++ % chunk_count];
    size_t n = (c & 0x80) ? stream_size - pos : 1 + (c & 0x7f) * ((mode & 4) ? 97 : 1);
    if (n > stream_size - pos) n = stream_size - pos;
    const State before = state;
    if (use_evbuffer) {
      evbuffer_add(buf, stream + pos, n);
      const size_t len_before = evbuffer_get_length(buf);
      state = reader.read(buf);
      const size_t drained = len_before - evbuffer_get_length(buf);
      FUZZ_CHECK(drained <= len_before);
      total_consumed += drained;
      if (before != State::NeedMore) FUZZ_CHECK(drained == 0);
    } else {
      size_t consumed = 12345;
      state = reader.feed(stream + pos, n, &consumed);
      FUZZ_CHECK(consumed <= n);
      if (before != State::NeedMore) FUZZ_CHECK(consumed == 0);
      total_consumed += consumed;
      // With NeedMore everything given is part of the answer.
      if (state == State::NeedMore) FUZZ_CHECK(consumed == n);
    }
    pos += n;
    FUZZ_CHECK(state == reader.state());
    if (before != State::NeedMore) FUZZ_CHECK(state == before);
    if (state == State::Established || state == State::NeedMore) {
      checkFinal(reader, total_consumed, pos);
    } else {
      checkFinal(reader, 0, pos);
    }
  }
  if (state == State::Established && use_evbuffer) {
    FUZZ_CHECK(evbuffer_get_length(buf) == stream_size - reader.headerBytes());
  }
  if (peer_closes) {
    const State before = state;
    state = reader.finish();
    FUZZ_CHECK(state != State::NeedMore);
    if (before != State::NeedMore) FUZZ_CHECK(state == before);
    checkFinal(reader, state == State::Established ? total_consumed : 0, pos);
  }
  // Final states stick.
  if (state != State::NeedMore) {
    size_t consumed = 1;
    FUZZ_CHECK(reader.feed("HTTP/1.1 200 OK\r\n\r\n", 19, &consumed) == state);
    FUZZ_CHECK(consumed == 0);
    FUZZ_CHECK(reader.finish() == state);
  }
  evbuffer_free(buf);
  return 0;
}
