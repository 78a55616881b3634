// An allocator for the few very large, short-lived buffers of a job (the sampled volume).
//
//   std::vector<float, LargeAllocator<float>> values(257 * 257 * 257);
//
// Why: a fresh 68 MB buffer is faulted in page by page on first touch; on virtual machines each
// 4 KiB fault can cost microseconds, so merely writing a 257^3 float volume once took ~240 ms on
// the 2-core CI machine, more than the rest of the pipeline. Buffers of at least kLargeBytes are
// instead mapped directly, 2 MiB-aligned, marked for transparent huge pages and populated by the
// kernel in one call (MADV_POPULATE_WRITE), which took ~12 ms for the same buffer. Smaller requests
// go to operator new. Where the kernel lacks either advice the mapping still works, faulted lazily.
//
// Thread-safety: stateless; allocate/deallocate may run concurrently.
#pragma once

#include <cstddef>
#include <new>

namespace orfeas {

inline constexpr std::size_t kLargeBytes = std::size_t{4} << 20U;

// Returns nullptr when the memory is not available.
[[nodiscard]] void* allocate_large(std::size_t bytes) noexcept;
void deallocate_large(void* pointer, std::size_t bytes) noexcept;

template <class T>
struct LargeAllocator {
  using value_type = T;

  LargeAllocator() = default;
  template <class U>
  explicit LargeAllocator(const LargeAllocator<U>& /*other*/) {}

  [[nodiscard]] T* allocate(std::size_t n) {
    void* p = allocate_large(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { deallocate_large(p, n * sizeof(T)); }

  template <class U>
  friend bool operator==(const LargeAllocator& /*a*/, const LargeAllocator<U>& /*b*/) {
    return true;
  }
};

}  // namespace orfeas
