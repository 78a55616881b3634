// Peak device memory per stage: the Profiler resets the watermark when a top-level stage opens and
// reads it when the stage closes. An adapter over gpu::MemoryPool is a few lines (reset_peak() and
// stats().peak_allocated_bytes); the profiler does not depend on the gpu module.
//
// With several jobs at once the device is shared, so the peak is the device's, not the job's: the
// watermark is reset only when no other top-level stage is open, so a stage's peak is never lower
// than the true peak during it (it may include the memory of overlapping stages).
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

}  // namespace orfeas::profiling
