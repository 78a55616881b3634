// The caching logic shared by every MemoryPool: requests are rounded up to a size bucket, freed
// blocks go to a per-bucket free list instead of back to the driver, and the next request of the
// same bucket reuses one. When the backing store refuses (out of memory), the cache is released
// and the request retried once before kOutOfMemory is returned.
//
// Buckets: requests below 1 MiB round up to a multiple of 512 B; larger ones to a multiple of
// 2 MiB (the granularity of the CUDA driver's large allocations, so a rounded block wastes nothing
// the driver would not waste anyway). AllocatorStats count bucket (rounded) bytes, so
// reserved = allocated + cached holds exactly.
//
// Streams (memory_pool.h): a block freed by an allocation of stream S keeps S and a marker
// recorded on S at the free (StreamMarkers: CUDA events on the device). A request of S takes such
// a block directly — its work is queued after S's earlier use; a request of another stream, or a
// kNoStream one, takes it only once the device has passed the marker. Blocks of kNoStream
// allocations are free for anyone at once. Releasing the cache waits for each marker first.
// Preference, per bucket: the stream's own block, then a block free for anyone, then a block of
// another stream whose marker has passed, else a new block from the backing store.
//
// Subclasses supply the backing store (cudaMalloc/cudaFree, malloc/free): raw_allocate and
// raw_free, and the markers; all called with the pool's mutex held, never concurrently.
//
// Thread-safety: every public method may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

// The bucket a request of `bytes` is served from (bytes > 0).
[[nodiscard]] std::size_t pool_bucket_bytes(std::size_t bytes);

// Points in a stream's queue, asked later whether the device has passed them. The pool calls
// these with its mutex held (never concurrently); streams are opaque (cudaStream_t).
class StreamMarkers {
 public:
  virtual ~StreamMarkers() = default;
  StreamMarkers() = default;
  StreamMarkers(const StreamMarkers&) = delete;
  StreamMarkers& operator=(const StreamMarkers&) = delete;

  // A marker after the work queued so far on `stream`; nullptr when none could be made (the
  // block then stays with its stream until the cache is released).
  virtual void* record(void* stream) noexcept = 0;
  // Whether the device has passed `marker`; never blocks.
  virtual bool passed(void* marker) noexcept = 0;
  // Blocks until the device has passed `marker`.
  virtual void wait(void* marker) noexcept = 0;
  // The marker is no longer needed.
  virtual void release(void* marker) noexcept = 0;
};

class CachingMemoryPool : public MemoryPool {
 public:
  using MemoryPool::allocate;
  [[nodiscard]] std::string_view name() const final { return name_; }
  [[nodiscard]] Result<DeviceAllocation> allocate(std::size_t bytes, void* stream) final;
  [[nodiscard]] AllocatorStats stats() const final;
  std::uint64_t release_cache() final;
  void reset_peak() final;

 protected:
  // `markers` outlives the pool's last use of it (the subclass owns it, or shares it).
  CachingMemoryPool(std::string name, std::shared_ptr<StreamMarkers> markers)
      : name_(std::move(name)), markers_(std::move(markers)) {}
  // Subclass destructors must call release_all_cached() while their backing store still works.
  ~CachingMemoryPool() override = default;

  struct RawAllocation {
    enum class Outcome { kOk, kOutOfMemory, kError };
    Outcome outcome = Outcome::kOk;
    void* data = nullptr;
    std::string message;  // for kOutOfMemory and kError: the backing store's words
  };
  virtual RawAllocation raw_allocate(std::size_t bytes) = 0;
  virtual void raw_free(void* data, std::size_t bytes) noexcept = 0;

  void deallocate(void* data, std::size_t bytes, void* stream) noexcept final;
  void release_all_cached() noexcept;

 private:
  struct CachedBlock {
    void* data = nullptr;
    void* stream = kNoStream;  // the stream it was used on; kNoStream: free for anyone
    void* freed_at = nullptr;  // marker recorded on `stream` at the free; nullptr: none
  };

  // A cached block of `bucket` that work on `stream` may use now; nullptr when none.
  void* take_cached_locked(std::size_t bucket, void* stream) noexcept;
  void forget_marker_locked(CachedBlock& block) noexcept;
  std::uint64_t release_cache_locked() noexcept;

  const std::string name_;
  const std::shared_ptr<StreamMarkers> markers_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<CachedBlock>> free_blocks_;  // bucket bytes → cached blocks
  AllocatorStats stats_;
};

}  // namespace orfeas::gpu
