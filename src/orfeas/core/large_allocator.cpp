#include "orfeas/core/large_allocator.h"

#include <sys/mman.h>

#include <cstdint>

namespace orfeas {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20U;
#ifndef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = 23;  // Linux 5.14; older kernels answer EINVAL and fault lazily
#else
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#endif

std::size_t round_up(std::size_t bytes, std::size_t to) {
  return (bytes + to - 1) / to * to;
}

}  // namespace

void* allocate_large(std::size_t bytes) noexcept {
  if (bytes < kLargeBytes) return ::operator new(bytes, std::nothrow);
  const std::size_t size = round_up(bytes, kHugePage);
  // Over-map by one huge page and trim, so the region starts on a 2 MiB boundary.
  void* raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = round_up(start, kHugePage);
  if (aligned > start) ::munmap(raw, aligned - start);
  const std::size_t tail = (start + size + kHugePage) - (aligned + size);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  auto* region = reinterpret_cast<void*>(aligned);
  ::madvise(region, size, MADV_HUGEPAGE);
  ::madvise(region, size, kPopulateWrite);
  return region;
}

void deallocate_large(void* pointer, std::size_t bytes) noexcept {
  if (pointer == nullptr) return;
  if (bytes < kLargeBytes) {
    ::operator delete(pointer);
    return;
  }
  ::munmap(pointer, round_up(bytes, kHugePage));
}

}  // namespace orfeas
