#pragma once

// What the process's allocator holds, for the admin endpoint /memory. Works
// with whichever allocator the binary runs on: gperftools' tcmalloc (linked
// by default, or preloaded) is found at run time through its C API; anything
// else is read as glibc's malloc (mallinfo2).

#include <cstddef>
#include <string>

namespace gw::heap {

struct HeapStats {
  std::string allocator;      // "tcmalloc" or "glibc"
  size_t allocated = 0;       // bytes the program holds (malloc'd, not freed)
  size_t heap_size = 0;       // bytes the allocator has from the kernel, unmapped excluded
  size_t free_in_heap = 0;    // of heap_size: free pages and free lists, not given back
  size_t unmapped = 0;        // freed pages given back to the kernel (not resident)
  size_t thread_caches = 0;   // tcmalloc: free objects in per-thread caches
  size_t central_caches = 0;  // tcmalloc: free objects in the size-class lists
};

HeapStats heapStats();

// The stats as one JSON object (the admin endpoint's body).
std::string heapStatsJson(const HeapStats& stats);

// Gives the allocator's free pages back to the kernel (tcmalloc's page heap;
// glibc: malloc_trim). They read as zeros and cost a page fault when used
// again. Thread-safe; takes the allocator's page lock for the time it runs.
void releaseFreeMemory();

}  // namespace gw::heap
