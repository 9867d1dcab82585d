// Http2SessionMemory: the nghttp2 allocator that counts a session's bytes and
// can hand its large buffers' pages back to the kernel.

#include "gateway/http/http2_session_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace gw::http {
namespace {

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

TEST(Http2SessionMemory, CountsWhatIsHeld) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  void* a = mem->malloc(100, mem->mem_user_data);
  void* b = mem->calloc(10, 30, mem->mem_user_data);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_GE(memory.bytes(), 400u);
  EXPECT_EQ(static_cast<unsigned char*>(b)[299], 0);
  mem->free(a, mem->mem_user_data);
  mem->free(b, mem->mem_user_data);
  mem->free(nullptr, mem->mem_user_data);
  EXPECT_EQ(memory.bytes(), 0u);
}

TEST(Http2SessionMemory, LargeBufferPagesGoBackAndComeBackZeroed) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  const size_t size = 16384 + 10;  // nghttp2's outbound frame buffer
  auto* p = static_cast<unsigned char*>(mem->malloc(size, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  const size_t rounded = (size + kPage - 1) / kPage * kPage;
  EXPECT_EQ(memory.bytes(), rounded);
  std::memset(p, 'x', size);
  EXPECT_EQ(memory.residentLargeBytes(), rounded);

  memory.releaseLargeBuffers();
  EXPECT_EQ(memory.residentLargeBytes(), 0u);
  EXPECT_EQ(memory.bytes(), rounded);  // still the session's, only not in memory
  EXPECT_EQ(p[0], 0);                  // (reading maps the page again, as the write below does)
  EXPECT_EQ(p[100], 0);
  p[10] = 'y';  // usable again: the page comes back on write
  EXPECT_EQ(p[10], 'y');
  EXPECT_EQ(memory.residentLargeBytes(), kPage);

  mem->free(p, mem->mem_user_data);
  EXPECT_EQ(memory.bytes(), 0u);
  EXPECT_EQ(memory.residentLargeBytes(), 0u);
}

TEST(Http2SessionMemory, OnePageTablesGoBackOnlyWhenEmpty) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  auto* table = static_cast<unsigned char*>(mem->calloc(256, 16, mem->mem_user_data));
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(table) % kPage, 0u);
  table[4000] = 7;  // an entry in use
  memory.releaseLargeBuffers();
  EXPECT_EQ(memory.residentLargeBytes(), kPage);
  EXPECT_EQ(table[4000], 7);
  table[4000] = 0;  // empty again
  memory.releaseLargeBuffers();
  EXPECT_EQ(memory.residentLargeBytes(), 0u);
  mem->free(table, mem->mem_user_data);
  EXPECT_EQ(memory.bytes(), 0u);
}

TEST(Http2SessionMemory, ReallocMovesBetweenSmallAndLarge) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  auto* p = static_cast<char*>(mem->realloc(nullptr, 64, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(mem->realloc(p, 128, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(mem->realloc(p, 20000, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  EXPECT_GE(memory.bytes(), 20000u);
  p = static_cast<char*>(mem->realloc(p, 30000, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(mem->realloc(p, 16, mem->mem_user_data));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  EXPECT_LT(memory.bytes(), 100u);
  mem->free(p, mem->mem_user_data);
  EXPECT_EQ(memory.bytes(), 0u);
}

TEST(Http2SessionMemory, FreedSmallBlocksAreReusedAndReleased) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  void* a = mem->malloc(200, mem->mem_user_data);
  ASSERT_NE(a, nullptr);
  const size_t held = memory.bytes();
  mem->free(a, mem->mem_user_data);
  EXPECT_EQ(memory.bytes(), 0u);  // cached blocks are not the session's
  EXPECT_EQ(memory.cachedBytes(), held);
  // The next block of that size is the cached one, zeroed for calloc.
  auto* b = static_cast<unsigned char*>(mem->calloc(1, 190, mem->mem_user_data));
  EXPECT_EQ(static_cast<void*>(b), a);
  EXPECT_EQ(memory.bytes(), held);
  EXPECT_EQ(memory.cachedBytes(), 0u);
  for (size_t i = 0; i < 190; ++i) ASSERT_EQ(b[i], 0) << i;
  // A smaller block does not take it from a list of bigger ones.
  mem->free(b, mem->mem_user_data);
  void* c = mem->malloc(16, mem->mem_user_data);
  EXPECT_NE(c, a);
  mem->free(c, mem->mem_user_data);
  EXPECT_GT(memory.cachedBytes(), 0u);
  memory.releaseCachedBlocks();
  EXPECT_EQ(memory.cachedBytes(), 0u);
  EXPECT_EQ(memory.bytes(), 0u);
}

TEST(Http2SessionMemory, CacheIsBounded) {
  Http2SessionMemory memory;
  nghttp2_mem* mem = memory.mem();
  std::vector<void*> blocks;
  for (int i = 0; i < 200; ++i) blocks.push_back(mem->malloc(300, mem->mem_user_data));
  for (void* p : blocks) mem->free(p, mem->mem_user_data);
  EXPECT_LE(memory.cachedBytes(), Http2SessionMemory::kCacheBytes);
  EXPECT_GT(memory.cachedBytes(), Http2SessionMemory::kCacheBytes / 2);
  EXPECT_EQ(memory.bytes(), 0u);
}  // the destructor frees what is cached (ASan/valgrind would see a leak)

}  // namespace
}  // namespace gw::http
