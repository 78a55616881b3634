// GPU time from CUDA events: begin() records a start event on the stage's stream, the interval's
// end() records a stop event (both asynchronous, cudaEventRecord), and elapsed_ms() — called by
// Profiler::end_pipeline only — waits for the stop event if the device has not reached it yet
// (cudaEventSynchronize, blocking-sync events so the host sleeps instead of spinning) and returns
// cudaEventElapsedTime. Nothing on the stage's hot path waits for the device.
//
//   ORFEAS_ASSIGN_OR_RETURN(std::unique_ptr<GpuTimer> timer, create_cuda_event_timer());
//
// Events belong to the stream's device, made current for every event call (and the caller's
// device restored), so a stage on device N is timed on device N whatever the thread's current
// device is. Events are created once per device and reused through a small free list.
//
// This header does not include CUDA headers; streams travel as void* (cudaStream_t).
// Thread-safety: as GpuTimer (gpu_timer.h).
#pragma once

#include <memory>

#include "orfeas/core/status.h"
#include "orfeas/profiling/gpu_timer.h"

namespace orfeas::profiling {

// kUnavailable when no CUDA device can be used (no driver, no device).
[[nodiscard]] Result<std::unique_ptr<GpuTimer>> create_cuda_event_timer();

}  // namespace orfeas::profiling
