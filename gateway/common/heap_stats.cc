#include "gateway/common/heap_stats.h"

#include <malloc.h>

#include "gateway/common/strcat.h"

// gperftools' C API, declared weak: null unless tcmalloc is in the process.
extern "C" {
int MallocExtension_GetNumericProperty(const char* property, size_t* value) __attribute__((weak));
void MallocExtension_ReleaseFreeMemory() __attribute__((weak));
void MallocExtension_MarkThreadIdle() __attribute__((weak));
}

namespace gw::heap {
namespace {

bool haveTcmalloc() { return MallocExtension_GetNumericProperty != nullptr; }

size_t tcmallocProperty(const char* name) {
  size_t value = 0;
  return MallocExtension_GetNumericProperty(name, &value) ? value : 0;
}

}  // namespace

HeapStats heapStats() {
  HeapStats s;
  if (haveTcmalloc()) {
    s.allocator = "tcmalloc";
    s.allocated = tcmallocProperty("generic.current_allocated_bytes");
    s.heap_size = tcmallocProperty("generic.heap_size");
    s.unmapped = tcmallocProperty("tcmalloc.pageheap_unmapped_bytes");
    s.thread_caches = tcmallocProperty("tcmalloc.current_total_thread_cache_bytes");
    s.central_caches = tcmallocProperty("tcmalloc.central_cache_free_bytes") +
                       tcmallocProperty("tcmalloc.transfer_cache_free_bytes");
    // generic.heap_size counts unmapped pages too.
    s.heap_size = s.heap_size > s.unmapped ? s.heap_size - s.unmapped : 0;
    s.free_in_heap = s.heap_size > s.allocated ? s.heap_size - s.allocated : 0;
    return s;
  }
  s.allocator = "glibc";
  const struct mallinfo2 mi = mallinfo2();
  s.allocated = mi.uordblks + mi.hblkhd;  // in use: arenas and mmapped blocks
  s.heap_size = mi.arena + mi.hblkhd;
  s.free_in_heap = mi.fordblks;
  return s;
}

std::string heapStatsJson(const HeapStats& s) {
  return gw::cat("{\"allocator\": \"", s.allocator, "\", \"allocated\": ", s.allocated,
                 ", \"heap_size\": ", s.heap_size, ", \"free_in_heap\": ", s.free_in_heap,
                 ", \"unmapped\": ", s.unmapped, ", \"thread_caches\": ", s.thread_caches,
                 ", \"central_caches\": ", s.central_caches, "}\n");
}

void releaseFreeMemory() {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    // This thread's cache of free objects first, so that spans it held
    // whole can go too (the cache refills from the central lists as used).
    if (MallocExtension_MarkThreadIdle != nullptr) MallocExtension_MarkThreadIdle();
    MallocExtension_ReleaseFreeMemory();
  } else {
    malloc_trim(0);
  }
}

}  // namespace gw::heap
