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
// Cost when on (the hot path, for per-step scopes inside loops): the thread's recording buffer
// for the job is found in a small thread-local cache (the Profiler's job table is consulted once
// per job and thread), the name is interned (a pointer, no copy), one steady_clock read at each
// end and an append to the buffer under its own lock, which nothing but end_pipeline contends
// for. No allocation in the steady state (the buffer grows geometrically). With a GpuTimer and a
// stream, one asynchronous marker at each end; the GPU time is read at end_pipeline, never here.
// Top-level stages with a MemoryWatermark also take the Profiler's watermark mutex.
// Measured figures: docs/benchmarks.md, "Profiler scopes".
//
// Switch: with ORFEAS_PROFILING_DISABLED defined (CMake: ORFEAS_WITH_PROFILING=OFF), StageScope is
// NullStageScope, an empty class with the same constructors whose body is empty, and the macros
// evaluate none of their arguments (they are only type-checked, in an unevaluated operand).
// ActiveStageScope stays available for code that wants profiling regardless.
//
// Thread-safety: a scope belongs to the thread that made it (non-copyable, non-movable) and must be
// destroyed on that thread. `profiler` is borrowed and may be nullptr (the scope then does
// nothing); `name` is interned (internal/stage_names.h): any view will do, but the set of names
// should be small and fixed.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "orfeas/profiling/profile.h"

namespace orfeas::profiling {

class Profiler;
class GpuInterval;
namespace detail {
struct ThreadBuffer;
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
  Profiler* profiler_ = nullptr;  // borrowed
  // Borrowed: this thread's buffer for the job, kept alive by the thread's cache while it has open
  // scopes. nullptr: this scope records nothing.
  detail::ThreadBuffer* buffer_ = nullptr;
  std::unique_ptr<GpuInterval> gpu_;
  void* stream_ = nullptr;   // borrowed
  std::uint32_t index_ = 0;  // this stage's record in the buffer
  bool watermark_ = false;   // top-level stage holding the memory watermark
  bool nvtx_ = false;        // pushed an NVTX range
};

class NullStageScope {
 public:
  constexpr NullStageScope(Profiler* /*profiler*/, JobId /*job*/, std::string_view /*name*/,
                           void* /*stream*/ = nullptr) noexcept {}
  NullStageScope(const NullStageScope&) = delete;
  NullStageScope& operator=(const NullStageScope&) = delete;
  NullStageScope(NullStageScope&&) = delete;
  NullStageScope& operator=(NullStageScope&&) = delete;

  // Never defined: the disabled macros name it in an unevaluated operand, so their arguments are
  // type-checked against the scope's signature but never evaluated.
  static char accepts(Profiler* profiler, JobId job, std::string_view name, void* stream = nullptr) noexcept;
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

#if defined(ORFEAS_PROFILING_DISABLED) && ORFEAS_PROFILING_DISABLED
// Nothing is evaluated: `sizeof` only checks that the arguments would fit a scope.
#define ORFEAS_PROFILE_SCOPE(profiler_ptr, job, name) \
  static_cast<void>(sizeof(::orfeas::profiling::NullStageScope::accepts((profiler_ptr), (job), (name))))
#define ORFEAS_PROFILE_SCOPE_GPU(profiler_ptr, job, name, stream) \
  static_cast<void>(sizeof(::orfeas::profiling::NullStageScope::accepts((profiler_ptr), (job), (name), (stream))))
#else
// A StageScope named after the line, alive until the end of the enclosing block.
#define ORFEAS_PROFILE_SCOPE(profiler_ptr, job, name)                                                             \
  [[maybe_unused]] const ::orfeas::profiling::StageScope ORFEAS_PROFILE_CONCAT_(orfeas_profile_scope_, __LINE__)( \
      (profiler_ptr), (job), (name))
#define ORFEAS_PROFILE_SCOPE_GPU(profiler_ptr, job, name, stream)                                                 \
  [[maybe_unused]] const ::orfeas::profiling::StageScope ORFEAS_PROFILE_CONCAT_(orfeas_profile_scope_, __LINE__)( \
      (profiler_ptr), (job), (name), (stream))
#endif
