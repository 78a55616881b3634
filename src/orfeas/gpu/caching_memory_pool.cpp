#include "orfeas/gpu/caching_memory_pool.h"

#include <algorithm>
#include <cassert>

namespace orfeas::gpu {
namespace {

constexpr std::size_t kSmallLimit = std::size_t{1} << 20;   // 1 MiB
constexpr std::size_t kSmallRound = 512;
constexpr std::size_t kLargeRound = std::size_t{2} << 20;   // 2 MiB

std::size_t round_up(std::size_t bytes, std::size_t multiple) {
  return (bytes + multiple - 1) / multiple * multiple;
}

std::string mib(std::uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

}  // namespace

std::size_t pool_bucket_bytes(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  return bytes < kSmallLimit ? round_up(bytes, kSmallRound) : round_up(bytes, kLargeRound);
}

Result<DeviceAllocation> CachingMemoryPool::allocate(std::size_t bytes) {
  if (bytes == 0) return make_error(ErrorCode::kInvalidArgument, name_ + ": cannot allocate 0 bytes");
  if (bytes > (std::size_t{1} << 62)) {
    const std::lock_guard lock(mutex_);
    ++stats_.out_of_memory_count;
    return make_error(ErrorCode::kOutOfMemory, name_ + ": request of " + std::to_string(bytes) + " bytes is impossible");
  }
  const std::size_t bucket = pool_bucket_bytes(bytes);
  const std::lock_guard lock(mutex_);

  void* data = nullptr;
  if (auto it = free_blocks_.find(bucket); it != free_blocks_.end() && !it->second.empty()) {
    data = it->second.back();
    it->second.pop_back();
  } else {
    RawAllocation raw = raw_allocate(bucket);
    if (raw.outcome == RawAllocation::Outcome::kOutOfMemory) {
      // The cache may hold blocks of other sizes that add up to what we need.
      if (release_cache_locked() > 0) raw = raw_allocate(bucket);
    }
    if (raw.outcome != RawAllocation::Outcome::kOk) {
      ++stats_.out_of_memory_count;
      const bool oom = raw.outcome == RawAllocation::Outcome::kOutOfMemory;
      return make_error(oom ? ErrorCode::kOutOfMemory : ErrorCode::kInternal,
                        name_ + ": allocating " + mib(bucket) + " failed (" + raw.message + "; this pool holds " +
                            mib(stats_.allocated_bytes) + " allocated, " + mib(stats_.reserved_bytes) + " reserved)");
    }
    data = raw.data;
    stats_.reserved_bytes += bucket;
  }
  stats_.allocated_bytes += bucket;
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  ++stats_.allocation_count;
  return DeviceAllocation(this, data, bytes);
}

void CachingMemoryPool::deallocate(void* data, std::size_t bytes) noexcept {
  const std::size_t bucket = pool_bucket_bytes(bytes);
  const std::lock_guard lock(mutex_);
  assert(stats_.allocated_bytes >= bucket);
  stats_.allocated_bytes -= bucket;
  try {
    free_blocks_[bucket].push_back(data);
  } catch (...) {  // no memory for the list entry: give the block back instead of caching it
    raw_free(data, bucket);
    stats_.reserved_bytes -= bucket;
  }
}

AllocatorStats CachingMemoryPool::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

std::uint64_t CachingMemoryPool::release_cache() {
  const std::lock_guard lock(mutex_);
  return release_cache_locked();
}

void CachingMemoryPool::reset_peak() {
  const std::lock_guard lock(mutex_);
  stats_.peak_allocated_bytes = stats_.allocated_bytes;
}

void CachingMemoryPool::release_all_cached() noexcept {
  const std::lock_guard lock(mutex_);
  release_cache_locked();
}

std::uint64_t CachingMemoryPool::release_cache_locked() noexcept {
  std::uint64_t freed = 0;
  for (auto& [bucket, blocks] : free_blocks_) {
    for (void* block : blocks) {
      raw_free(block, bucket);
      freed += bucket;
    }
  }
  free_blocks_.clear();
  stats_.reserved_bytes -= freed;
  return freed;
}

}  // namespace orfeas::gpu
