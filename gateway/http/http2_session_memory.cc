#include "gateway/http/http2_session_memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace gw::http {
namespace {

// Allocations at least this big go on whole pages. nghttp2 1.52's are small
// (streams, HPACK entries, queues) except two per session: its outbound frame
// buffer (a little over 16 kB) and its stream map's table (4 kB, all zeros
// when no stream is open).
constexpr size_t kLargeAllocation = 4096;

size_t pageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t roundToPages(size_t size) {
  const size_t page = pageSize();
  return (size + page - 1) / page * page;
}

Http2SessionMemory* self(void* p) { return static_cast<Http2SessionMemory*>(p); }

// The cache list whose blocks (16 * i + 8 usable bytes) are the smallest that
// hold `size` bytes.
size_t cacheListFor(size_t size) { return size <= 24 ? 1 : (size - 8 + 15) / 16; }

void*& nextBlock(void* block) { return *static_cast<void**>(block); }

}  // namespace

Http2SessionMemory::Http2SessionMemory()
    : mem_{this, &Http2SessionMemory::allocate, &Http2SessionMemory::release,
           &Http2SessionMemory::allocateZeroed, &Http2SessionMemory::reallocate} {}

Http2SessionMemory::~Http2SessionMemory() { releaseCachedBlocks(); }

void* Http2SessionMemory::takeCached(size_t size) {
  const size_t list = cacheListFor(size);
  if (list >= kCacheLists || cached_[list] == nullptr) return nullptr;
  void* p = cached_[list];
  cached_[list] = nextBlock(p);
  const size_t usable = 16 * list + 8;
  cached_bytes_ -= usable;
  bytes_ += usable;
  return p;
}

bool Http2SessionMemory::cache(void* ptr, size_t usable) {
  const size_t list = usable / 16;
  if (usable % 16 != 8 || list >= kCacheLists || cached_bytes_ + usable > kCacheBytes) return false;
  nextBlock(ptr) = cached_[list];
  cached_[list] = ptr;
  cached_bytes_ += usable;
  return true;
}

void Http2SessionMemory::releaseCachedBlocks() {
  for (void*& head : cached_) {
    while (head != nullptr) {
      void* next = nextBlock(head);
      std::free(head);
      head = next;
    }
  }
  cached_bytes_ = 0;
}

int Http2SessionMemory::largeIndex(const void* ptr) const {
  for (size_t i = 0; i < large_.size(); ++i) {
    if (large_[i].first == ptr) return static_cast<int>(i);
  }
  return -1;
}

void* Http2SessionMemory::largeAllocate(size_t size) {
  const size_t rounded = roundToPages(size);
  void* p = aligned_alloc(pageSize(), rounded);
  if (p == nullptr) return nullptr;
  large_.emplace_back(p, rounded);
  bytes_ += rounded;
  return p;
}

void* Http2SessionMemory::allocate(size_t size, void* user) {
  Http2SessionMemory* m = self(user);
  if (size >= kLargeAllocation) return m->largeAllocate(size);
  if (void* p = m->takeCached(size)) return p;
  void* p = std::malloc(size);
  if (p != nullptr) m->bytes_ += malloc_usable_size(p);
  return p;
}

void Http2SessionMemory::release(void* ptr, void* user) {
  if (ptr == nullptr) return;
  Http2SessionMemory* m = self(user);
  const int i = m->largeIndex(ptr);
  if (i >= 0) {
    m->bytes_ -= m->large_[i].second;
    m->large_[i] = m->large_.back();
    m->large_.pop_back();
  } else {
    const size_t usable = malloc_usable_size(ptr);
    m->bytes_ -= usable;
    if (m->cache(ptr, usable)) return;
  }
  std::free(ptr);
}

void* Http2SessionMemory::allocateZeroed(size_t count, size_t size, void* user) {
  if (size != 0 && count > static_cast<size_t>(-1) / size) return nullptr;
  const size_t total = count * size;
  Http2SessionMemory* m = self(user);
  if (total >= kLargeAllocation) {
    void* p = m->largeAllocate(total);
    if (p != nullptr) std::memset(p, 0, total);
    return p;
  }
  if (void* p = m->takeCached(total)) {
    std::memset(p, 0, total);
    return p;
  }
  void* p = std::calloc(count, size);
  if (p != nullptr) m->bytes_ += malloc_usable_size(p);
  return p;
}

void* Http2SessionMemory::reallocate(void* ptr, size_t size, void* user) {
  Http2SessionMemory* m = self(user);
  if (ptr == nullptr) return allocate(size, user);
  const int i = m->largeIndex(ptr);
  if (i < 0 && size < kLargeAllocation) {
    const size_t before = malloc_usable_size(ptr);
    void* p = std::realloc(ptr, size);
    if (p != nullptr) m->bytes_ = m->bytes_ - before + malloc_usable_size(p);
    return p;
  }
  // To or from a large allocation: move the bytes.
  const size_t old_size = i >= 0 ? m->large_[i].second : malloc_usable_size(ptr);
  void* p = allocate(size, user);
  if (p == nullptr) return nullptr;
  std::memcpy(p, ptr, old_size < size ? old_size : size);
  release(ptr, user);
  return p;
}

namespace {
bool allZero(const void* p, size_t size) {
  const auto* words = static_cast<const uint64_t*>(p);
  for (size_t i = 0; i < size / sizeof(uint64_t); ++i) {
    if (words[i] != 0) return false;
  }
  return true;
}
}  // namespace

void Http2SessionMemory::releaseLargeBuffers() {
  for (const auto& [p, size] : large_) {
    // Bigger than a page: a frame buffer, whose bytes are dead once sent.
    // Otherwise a table: given back only when it holds nothing but zeros,
    // which is exactly what a page that comes back reads as.
    if (size > pageSize() || allZero(p, size)) madvise(p, size, MADV_DONTNEED);
  }
}

size_t Http2SessionMemory::residentLargeBytes() const {
  size_t resident = 0;
  std::vector<unsigned char> pages;
  for (const auto& [p, size] : large_) {
    pages.assign(size / pageSize(), 0);
    if (mincore(p, size, pages.data()) != 0) continue;
    for (unsigned char page : pages) {
      if (page & 1) resident += pageSize();
    }
  }
  return resident;
}

}  // namespace gw::http
