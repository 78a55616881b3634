#include "orfeas/gpu/host_memory_pool.h"

#include <cstdlib>

#include <fmt/format.h>

#include "orfeas/core/large_allocator.h"

namespace orfeas::gpu {
namespace {

// Host memory is used synchronously: the work before any point of any "stream" is already done.
class PassedMarkers final : public StreamMarkers {
 public:
  void* record(void* stream) noexcept override { return stream; }  // any non-null value
  bool passed(void* /*marker*/) noexcept override { return true; }
  void wait(void* /*marker*/) noexcept override {}
  void release(void* /*marker*/) noexcept override {}
};

}  // namespace

Result<std::unique_ptr<HostMemoryPool>> HostMemoryPool::create(const Options& options) {
  if (options.alignment == 0 || (options.alignment & (options.alignment - 1)) != 0 || options.alignment > 4096) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("host memory pool: alignment must be a power of two up to 4096, got {}", options.alignment));
  }
  return std::unique_ptr<HostMemoryPool>(new HostMemoryPool(options));
}

HostMemoryPool::HostMemoryPool(const Options& options)
    : CachingMemoryPool("host", options.markers != nullptr ? options.markers : std::make_shared<PassedMarkers>()),
      options_(options) {}

HostMemoryPool::~HostMemoryPool() {
  release_all_cached();
}

HostMemoryPool::RawAllocation HostMemoryPool::raw_allocate(std::size_t bytes) {
  if (options_.capacity_bytes != 0 && backing_bytes_ + bytes > options_.capacity_bytes) {
    return {RawAllocation::Outcome::kOutOfMemory, nullptr,
            fmt::format("capacity of {} bytes reached", options_.capacity_bytes)};
  }
  void* data = nullptr;
  if (bytes >= kLargeBytes) {
    // Volumes: mapped 2 MiB-aligned (every alignment this pool allows) and populated in one call,
    // not faulted in page by page on first touch (see core/large_allocator.h).
    data = allocate_large(bytes);
    if (data == nullptr) return {RawAllocation::Outcome::kOutOfMemory, nullptr, "mmap refused"};
  } else {
    // Bucket sizes are multiples of 512, so of every alignment up to 512; round for the rest.
    const std::size_t rounded = (bytes + options_.alignment - 1) / options_.alignment * options_.alignment;
    data = std::aligned_alloc(options_.alignment, rounded);
    if (data == nullptr) return {RawAllocation::Outcome::kOutOfMemory, nullptr, "aligned_alloc returned null"};
  }
  backing_bytes_ += bytes;
  return {RawAllocation::Outcome::kOk, data, {}};
}

void HostMemoryPool::raw_free(void* data, std::size_t bytes) noexcept {
  if (bytes >= kLargeBytes) {
    deallocate_large(data, bytes);
  } else {
    std::free(data);
  }
  backing_bytes_ -= bytes;
}

}  // namespace orfeas::gpu
