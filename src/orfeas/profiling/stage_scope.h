// The profiling scope: one RAII object per stage, opened on a job of a Profiler.
//
//   JobId job = profiler->begin_pipeline("cat.png");
//   {
//     ORFEAS_PROFILE_SCOPE(profiler, job, "mesh_extraction");              // wall time
//     ORFEAS_PROFILE_SCOPE_GPU(profiler, job, "marching_cubes", stream);   // + GPU time on `stream`
//     ...
//   }
//   Result<PipelineProfile> profile = profiler->end_pipeline(job);
//
// Nesting: a scope opened while another scope of the same job is open on the same thread is its
// child (parent index and depth recorded). Scopes of one job may run on several threads at once;
// each thread's scopes form their own subtree.
//
// Cost when on: one steady_clock read at each end and an append under the job's own mutex
// (no lock shared between jobs is held while user code runs); with a GpuTimer and a stream, one
// asynchronous marker at each end; the GPU time is read at end_pipeline, never here.
//
// Switch: with ORFEAS_PROFILING_DISABLED defined (CMake: ORFEAS_WITH_PROFILING=OFF), StageScope is
// NullStageScope, an empty class with the same constructors whose body is empty, so the macros
// compile to nothing. ActiveStageScope stays available for code that wants profiling regardless.
//
// Thread-safety: a scope belongs to the thread that made it (non-copyable, non-movable).
// `profiler` is borrowed and may be nullptr (the scope then does nothing); `name` is copied.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "orfeas/profiling/profile.h"

namespace orfeas::profiling {

class Profiler;
class GpuInterval;
namespace detail {
struct JobState;
}  // namespace detail

class ActiveStageScope {
 public:
  // `stream`: the device stream (cudaStream_t as void*) for GPU time; nullptr for none (pass
  // cudaStreamLegacy to time the legacy default stream).
  ActiveStageScope(Profiler* profiler, JobId job, std::string_view name, void* stream = nullptr);
  ~ActiveStageScope();
  ActiveStageScope(const ActiveStageScope&) = delete;
  ActiveStageScope& operator=(const ActiveStageScope&) = delete;
  ActiveStageScope(ActiveStageScope&&) = delete;
  ActiveStageScope& operator=(ActiveStageScope&&) = delete;

 private:
  Profiler* profiler_ = nullptr;           // borrowed
  std::shared_ptr<detail::JobState> job_;  // null: this scope records nothing
  std::unique_ptr<GpuInterval> gpu_;
  void* stream_ = nullptr;  // borrowed
  std::size_t index_ = 0;   // this stage's slot in the job's buffer
  bool watermark_ = false;  // top-level stage holding the memory watermark
  bool nvtx_ = false;       // pushed an NVTX range
};

class NullStageScope {
 public:
  constexpr NullStageScope(Profiler* /*profiler*/, JobId /*job*/, std::string_view /*name*/,
                           void* /*stream*/ = nullptr) noexcept {}
  NullStageScope(const NullStageScope&) = delete;
  NullStageScope& operator=(const NullStageScope&) = delete;
  NullStageScope(NullStageScope&&) = delete;
  NullStageScope& operator=(NullStageScope&&) = delete;
};

#if defined(ORFEAS_PROFILING_DISABLED) && ORFEAS_PROFILING_DISABLED
using StageScope = NullStageScope;
inline constexpr bool kProfilingEnabled = false;
#else
using StageScope = ActiveStageScope;
inline constexpr bool kProfilingEnabled = true;
#endif

}  // namespace orfeas::profiling

#define ORFEAS_PROFILE_CONCAT_INNER_(a, b) a##b
#define ORFEAS_PROFILE_CONCAT_(a, b) ORFEAS_PROFILE_CONCAT_INNER_(a, b)

// A StageScope named after the line, alive until the end of the enclosing block.
#define ORFEAS_PROFILE_SCOPE(profiler_ptr, job, name)                                                             \
  [[maybe_unused]] const ::orfeas::profiling::StageScope ORFEAS_PROFILE_CONCAT_(orfeas_profile_scope_, __LINE__)( \
      (profiler_ptr), (job), (name))
#define ORFEAS_PROFILE_SCOPE_GPU(profiler_ptr, job, name, stream)                                                 \
  [[maybe_unused]] const ::orfeas::profiling::StageScope ORFEAS_PROFILE_CONCAT_(orfeas_profile_scope_, __LINE__)( \
      (profiler_ptr), (job), (name), (stream))
