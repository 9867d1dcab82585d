#pragma once

// The allocator one nghttp2 session uses: it counts the bytes the session
// holds, and places large buffers (nghttp2's 16 kB outbound frame buffer, its
// 4 kB stream table) on whole pages so that an idle session can hand those
// pages back to the kernel
// (madvise MADV_DONTNEED: they read as zeros when next used, and cost memory
// again only when touched). Small blocks the session frees (its per-stream
// objects: streams, queued frames, header copies) are kept for its next
// allocations of the same size, up to kCacheBytes, instead of going back to
// malloc one by one. Single-threaded: one per session, on its thread.
//
// Example:
//   Http2SessionMemory memory;
//   nghttp2_session_server_new3(&session, callbacks, user, option, memory.mem());
//   ...
//   if (!nghttp2_session_want_write(session)) {
//     memory.releaseLargeBuffers();
//     memory.releaseCachedBlocks();
//   }
//   ...
//   nghttp2_session_del(session);  // before `memory` goes

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <utility>
#include <vector>

namespace gw::http {

class Http2SessionMemory {
 public:
  Http2SessionMemory();
  ~Http2SessionMemory();
  Http2SessionMemory(const Http2SessionMemory&) = delete;
  Http2SessionMemory& operator=(const Http2SessionMemory&) = delete;

  // For nghttp2_session_*_new3; must outlive the session.
  nghttp2_mem* mem() { return &mem_; }

  // Bytes the session holds (malloc's usable sizes, large buffers included;
  // the cached free blocks are not).
  size_t bytes() const { return bytes_; }
  // Bytes of freed small blocks kept for reuse.
  size_t cachedBytes() const { return cached_bytes_; }

  // Gives the pages of the large buffers back to the kernel: those bigger
  // than a page (frame buffers) always, so their contents are lost: call only
  // when the session holds no frame in them (nghttp2 wants to write nothing,
  // so no frame is half sent); one-page tables only when all zeros.
  void releaseLargeBuffers();

  // Gives the cached free blocks back to malloc (an idle session).
  void releaseCachedBlocks();

  // Bytes of the large buffers that are resident in memory now (mincore).
  size_t residentLargeBytes() const;

  // At most this many bytes of freed blocks are kept for reuse.
  static constexpr size_t kCacheBytes = 16384;

 private:
  static void* allocate(size_t size, void* self);
  static void release(void* ptr, void* self);
  static void* allocateZeroed(size_t count, size_t size, void* self);
  static void* reallocate(void* ptr, size_t size, void* self);

  void* largeAllocate(size_t size);
  // A cached block of at least `size` usable bytes, or nullptr.
  void* takeCached(size_t size);
  // Keeps `ptr` (malloc's, `usable` bytes) for reuse; false if it does not fit the cache.
  bool cache(void* ptr, size_t usable);
  // The index in large_ of `ptr`, or -1.
  int largeIndex(const void* ptr) const;

  nghttp2_mem mem_;
  size_t bytes_ = 0;
  // Page-aligned allocations of whole pages: (pointer, size).
  std::vector<std::pair<void*, size_t>> large_;
  // Freed blocks by usable size: list i holds blocks of 16 * i + 8 bytes
  // (glibc's small sizes), linked through their first word.
  static constexpr size_t kCacheLists = 32;
  void* cached_[kCacheLists] = {};
  size_t cached_bytes_ = 0;
};

}  // namespace gw::http
