// Peak device memory per stage: the Profiler resets the watermark when a top-level stage opens and
// reads it when the stage closes. An adapter over gpu::MemoryPool is a few lines (reset_peak() and
// stats().peak_allocated_bytes); the profiler does not depend on the gpu module.
//
// With several jobs at once the device is shared, so the peak is the device's, not the job's: the
// watermark is reset only when no other top-level stage is open, so a stage's peak is never lower
// than the true peak during it (it may include the memory of overlapping stages).
//
//   gpu::CachingMemoryPool& pool = ...;
//   options.memory_watermark = std::make_shared<PoolWatermark<gpu::MemoryPool>>(&pool);
//
// Units: bytes. Thread-safety: implementations must allow calls from any thread.
#pragma once

#include <cstdint>

namespace orfeas::profiling {

class MemoryWatermark {
 public:
  virtual ~MemoryWatermark() = default;
  MemoryWatermark() = default;
  MemoryWatermark(const MemoryWatermark&) = delete;
  MemoryWatermark& operator=(const MemoryWatermark&) = delete;

  virtual void reset_peak() = 0;
  // Highest allocated bytes since the last reset_peak().
  [[nodiscard]] virtual std::uint64_t peak_bytes() = 0;
};

// Adapts any pool with reset_peak() and stats().peak_allocated_bytes (gpu::MemoryPool's shape)
// without a link dependency on it.
template <class Pool>
class PoolWatermark final : public MemoryWatermark {
 public:
  explicit PoolWatermark(Pool* pool) : pool_(pool) {}
  void reset_peak() override { pool_->reset_peak(); }
  [[nodiscard]] std::uint64_t peak_bytes() override { return pool_->stats().peak_allocated_bytes; }

 private:
  Pool* pool_;  // borrowed; outlives the watermark
};

}  // namespace orfeas::profiling
