// GPU time of a stage without stalling the GPU: a GpuTimer drops a marker into the stage's stream
// when the stage opens and another when it closes (cudaEventRecord: asynchronous), and the time
// between them is read only when the pipeline ends. A scope never waits for the device; only
// Profiler::end_pipeline may, if the GPU has not reached the end marker yet.
//
//   ORFEAS_ASSIGN_OR_RETURN(std::unique_ptr<GpuTimer> timer, create_cuda_event_timer());  // cuda/
//   Profiler::Options options;  options.gpu_timer = std::move(timer);
//
// `stream` is the device stream as an opaque handle (a cudaStream_t cast to void*); the profiler
// never dereferences it.
//
// Thread-safety: GpuTimer::begin may be called from any thread at once. A GpuInterval is used by
// one thread at a time (the scope's, then end_pipeline's).
#pragma once

#include <memory>
#include <optional>

namespace orfeas::profiling {

class GpuInterval {
 public:
  virtual ~GpuInterval() = default;
  GpuInterval() = default;
  GpuInterval(const GpuInterval&) = delete;
  GpuInterval& operator=(const GpuInterval&) = delete;

  // Records the end marker on `stream`. Asynchronous: must not wait for the device.
  virtual void end(void* stream) = 0;
  // Milliseconds between the markers; may block until the device has passed the end marker.
  // nullopt when the interval could not be measured (never ended, device error).
  [[nodiscard]] virtual std::optional<double> elapsed_ms() = 0;
};

class GpuTimer {
 public:
  virtual ~GpuTimer() = default;
  GpuTimer() = default;
  GpuTimer(const GpuTimer&) = delete;
  GpuTimer& operator=(const GpuTimer&) = delete;

  // Records the start marker on `stream`. Asynchronous. nullptr when no marker could be made
  // (the stage then has no GPU time).
  [[nodiscard]] virtual std::unique_ptr<GpuInterval> begin(void* stream) = 0;
};

}  // namespace orfeas::profiling
