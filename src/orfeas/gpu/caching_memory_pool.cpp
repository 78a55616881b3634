#include "orfeas/gpu/caching_memory_pool.h"

#include <algorithm>
#include <cassert>
#include <iterator>

#include <fmt/format.h>

namespace orfeas::gpu {
namespace {

constexpr std::size_t kSmallLimit = std::size_t{1} << 20;  // 1 MiB
constexpr std::size_t kSmallRound = 512;
constexpr std::size_t kLargeRound = std::size_t{2} << 20;  // 2 MiB

std::size_t round_up(std::size_t bytes, std::size_t multiple) {
  return (bytes + multiple - 1) / multiple * multiple;
}

}  // namespace

std::size_t pool_bucket_bytes(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  return bytes < kSmallLimit ? round_up(bytes, kSmallRound) : round_up(bytes, kLargeRound);
}

Result<DeviceAllocation> CachingMemoryPool::allocate(std::size_t bytes, void* stream) {
  if (bytes == 0) return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: cannot allocate 0 bytes", name_));
  if (bytes > (std::size_t{1} << 62)) {
    const std::lock_guard lock(mutex_);
    ++stats_.out_of_memory_count;
    return make_error(ErrorCode::kOutOfMemory, fmt::format("{}: request of {} bytes is impossible", name_, bytes));
  }
  const std::size_t bucket = pool_bucket_bytes(bytes);
  const std::lock_guard lock(mutex_);

  void* data = take_cached_locked(bucket, stream);
  if (data == nullptr) {
    RawAllocation raw = raw_allocate(bucket);
    if (raw.outcome == RawAllocation::Outcome::kOutOfMemory) {
      // The cache may hold blocks of other sizes (or of other streams) that add up to what we need.
      if (release_cache_locked() > 0) raw = raw_allocate(bucket);
    }
    if (raw.outcome != RawAllocation::Outcome::kOk) {
      ++stats_.out_of_memory_count;
      const bool oom = raw.outcome == RawAllocation::Outcome::kOutOfMemory;
      return make_error(
          oom ? ErrorCode::kOutOfMemory : ErrorCode::kInternal,
          fmt::format("{}: {}allocating {} MiB failed ({}; this pool holds {} MiB allocated, {} MiB reserved)", name_,
                      oom ? "out of memory: " : "", bucket >> 20, raw.message, stats_.allocated_bytes >> 20,
                      stats_.reserved_bytes >> 20));
    }
    data = raw.data;
    stats_.reserved_bytes += bucket;
  }
  stats_.allocated_bytes += bucket;
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  ++stats_.allocation_count;
  return DeviceAllocation(this, data, bytes, stream);
}

void* CachingMemoryPool::take_cached_locked(std::size_t bucket, void* stream) noexcept {
  const auto it = free_blocks_.find(bucket);
  if (it == free_blocks_.end()) return nullptr;
  std::vector<CachedBlock>& blocks = it->second;
  // Newest first: the most recently freed block is the likeliest still in the device's caches.
  const auto newest = [&](auto usable) {
    const auto found = std::find_if(blocks.rbegin(), blocks.rend(), usable);
    return found == blocks.rend() ? blocks.end() : std::prev(found.base());
  };
  auto chosen = blocks.end();
  if (stream != kNoStream) chosen = newest([&](const CachedBlock& b) { return b.stream == stream; });
  if (chosen == blocks.end()) chosen = newest([](const CachedBlock& b) { return b.stream == kNoStream; });
  if (chosen == blocks.end()) {
    chosen = newest([&](const CachedBlock& b) { return b.freed_at != nullptr && markers_->passed(b.freed_at); });
  }
  if (chosen == blocks.end()) return nullptr;
  forget_marker_locked(*chosen);
  void* data = chosen->data;
  blocks.erase(chosen);
  return data;
}

void CachingMemoryPool::forget_marker_locked(CachedBlock& block) noexcept {
  if (block.freed_at != nullptr) markers_->release(block.freed_at);
  block.freed_at = nullptr;
}

void CachingMemoryPool::deallocate(void* data, std::size_t bytes, void* stream) noexcept {
  const std::size_t bucket = pool_bucket_bytes(bytes);
  const std::lock_guard lock(mutex_);
  assert(stats_.allocated_bytes >= bucket);
  stats_.allocated_bytes -= bucket;
  CachedBlock block{data, stream, stream == kNoStream ? nullptr : markers_->record(stream)};
  try {
    free_blocks_[bucket].push_back(block);
  } catch (...) {  // no memory for the list entry: give the block back instead of caching it
    if (block.freed_at != nullptr) markers_->wait(block.freed_at);
    forget_marker_locked(block);
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
    for (CachedBlock& block : blocks) {
      // A block still in use by its stream's queued work goes back only after that work.
      if (block.freed_at != nullptr) markers_->wait(block.freed_at);
      forget_marker_locked(block);
      raw_free(block.data, bucket);
      freed += bucket;
    }
  }
  free_blocks_.clear();
  stats_.reserved_bytes -= freed;
  return freed;
}

}  // namespace orfeas::gpu
