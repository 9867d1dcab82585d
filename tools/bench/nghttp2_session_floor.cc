// What nghttp2 itself holds for one idle HTTP/2 server session, whatever the
// gateway around it does: the floor under the gateway's memory per idle
// HTTP/2 connection (issue 9 compares that with nginx's, tools/bench/
// idle_memory_bench.py).
//
// A server session and a client session talk in memory: preface, SETTINGS
// both ways and acknowledged, one GET on stream 1 answered with four header
// fields, as the idle-memory bench's connections do. The server session's
// allocator counts what is live afterwards, block by block, and how much of
// it the gateway's Http2SessionMemory hands back to the kernel while idle
// (blocks over a page, and one-page blocks that are all zeros), so that it
// costs no resident memory: the rest is the floor.
//
//   bazel run -c opt //tools/bench:nghttp2_session_floor [-- <hpack table size>]
//
// The optional argument is the HPACK dynamic table size the server advertises
// and uses for its own encoder (default 4096, nghttp2's; 0 keeps no header
// fields between requests, trading compression for memory).

#include <nghttp2/nghttp2.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr size_t kPage = 4096;

// Counts the live blocks of one session.
struct CountingAllocator {
  std::map<void*, size_t> blocks;

  void* track(void* p, size_t n) {
    if (p != nullptr) blocks[p] = n;
    return p;
  }
  void forget(void* p) { blocks.erase(p); }

  static CountingAllocator& of(void* self) { return *static_cast<CountingAllocator*>(self); }
  static void* allocate(size_t n, void* self) { return of(self).track(std::malloc(n), n); }
  static void* allocateZeroed(size_t count, size_t n, void* self) {
    return of(self).track(std::calloc(count, n), count * n);
  }
  static void release(void* p, void* self) {
    of(self).forget(p);
    std::free(p);
  }
  static void* reallocate(void* p, size_t n, void* self) {
    of(self).forget(p);
    return of(self).track(std::realloc(p, n), n);
  }
};

// Whether Http2SessionMemory::releaseLargeBuffers() would give `n` bytes at `p`
// back to the kernel.
bool releasedWhileIdle(const void* p, size_t n) {
  if (n > kPage) return true;
  if (n < kPage) return false;
  const auto* bytes = static_cast<const unsigned char*>(p);
  return bytes[0] == 0 && std::memcmp(bytes, bytes + 1, n - 1) == 0;
}

nghttp2_nv field(const char* name, const char* value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value)),
          std::char_traits<char>::length(name), std::char_traits<char>::length(value),
          NGHTTP2_NV_FLAG_NONE};
}

// The server's answer to each complete request: a small 200.
int answer(nghttp2_session* session, const nghttp2_frame* frame, void*) {
  if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    const nghttp2_nv fields[] = {field(":status", "200"), field("content-type", "application/json"),
                                 field("date", "Wed, 02 Dec 2026 18:00:00 GMT"),
                                 field("server", "microgw")};
    nghttp2_submit_response(session, frame->hd.stream_id, fields, 4, nullptr);
  }
  return 0;
}

// Moves everything `from` wants to send into `to`.
void pump(nghttp2_session* from, nghttp2_session* to) {
  std::string bytes;
  const uint8_t* data = nullptr;
  for (ssize_t n; (n = nghttp2_session_mem_send(from, &data)) > 0;)
    bytes.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  nghttp2_session_mem_recv(to, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t table = argc > 1 ? static_cast<uint32_t>(std::atoi(argv[1])) : 4096;

  CountingAllocator counted;
  nghttp2_mem mem = {&counted, &CountingAllocator::allocate, &CountingAllocator::release,
                     &CountingAllocator::allocateZeroed, &CountingAllocator::reallocate};
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &answer);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_closed_streams(option, 1);  // as the gateway's codec
  nghttp2_option_set_max_deflate_dynamic_table_size(option, table);
  nghttp2_session* server = nullptr;
  nghttp2_session_server_new3(&server, callbacks, nullptr, option, &mem);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                             {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, table}};
  nghttp2_submit_settings(server, NGHTTP2_FLAG_NONE, settings, 2);

  nghttp2_session_callbacks* client_callbacks = nullptr;
  nghttp2_session_callbacks_new(&client_callbacks);
  nghttp2_session* client = nullptr;
  nghttp2_session_client_new(&client, client_callbacks, nullptr);
  nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0);
  const nghttp2_nv request[] = {field(":method", "GET"),
                                field(":scheme", "http"),
                                field(":authority", "127.0.0.1:9090"),
                                field(":path", "/idle/v1/pets"),
                                field("user-agent", "bench/1.0"),
                                field("accept", "*/*")};
  pump(client, server);  // preface and SETTINGS
  pump(server, client);  // SETTINGS and ACK
  nghttp2_submit_request(client, nullptr, request, 6, nullptr, nullptr);
  for (int i = 0; i < 3; ++i) {  // the request, its answer, the last ACKs
    pump(client, server);
    pump(server, client);
  }

  size_t total = 0;
  size_t large = 0;
  std::map<size_t, int> by_size;
  for (const auto& [p, n] : counted.blocks) {
    total += n;
    if (releasedWhileIdle(p, n)) large += n;
    ++by_size[n];
  }
  std::printf("HPACK table %u: nghttp2 holds %zu bytes in %zu blocks for an idle session;\n", table,
              total, counted.blocks.size());
  std::printf("  %zu of them released while idle (Http2SessionMemory), %zu always resident\n",
              large, total - large);
  for (const auto& [n, count] : by_size) std::printf("  %6zu bytes x %d\n", n, count);

  nghttp2_session_del(client);
  nghttp2_session_del(server);
  nghttp2_session_callbacks_del(client_callbacks);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  return 0;
}
