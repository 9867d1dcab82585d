#pragma once

// What the libFuzzer drivers in test/fuzz/ share: a check that stops the
// fuzzer (a trap is a crash with a reproducer, in ASan builds and in the
// corpus replay alike), and the control bytes some drivers take from the
// front of an input to choose how the code under test is driven.

#include <cstddef>
#include <cstdint>

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace gw::fuzz {

// Cycles through the control bytes; all zeros when there are none.
class Control {
 public:
  Control(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t next() { return size_ == 0 ? 0 : data_[pos_++ % size_]; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace gw::fuzz
