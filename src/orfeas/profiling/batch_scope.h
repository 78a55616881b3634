// Scopes opened on several jobs at once, for code that runs once for a whole batch: a shape
// backend's diffusion steps serve every image of its batch, so each step is a stage of each job.
//
//   std::vector<ScopeTarget> jobs = {{profiler, job_a}, {profiler, job_b}};
//   {
//     const BatchScope step(jobs, "diffusion_step", stream);   // one StageScope per job
//     ...
//   }
//
// Library code below the pipeline takes a ScopeTargets (a span, empty when nobody profiles; else one
// target per item of the batch, in the batch's order) next to its StepProgress and opens its
// sub-stages on it: on all of them for work done for the whole batch, on item_target(profile, i)
// for item i's own work. Opened inside the pipeline's stage scope on the same thread, they become
// that stage's children (stage_scope.h, "Nesting").
//
// With ORFEAS_PROFILING_DISABLED, a BatchScope opens nothing and costs a branch.
// Thread-safety: as StageScope: made and destroyed on one thread; the targets are borrowed for the
// constructor only.
#pragma once

#include <cstddef>
#include <deque>
#include <span>
#include <string_view>

#include "orfeas/profiling/profile.h"
#include "orfeas/profiling/stage_scope.h"

namespace orfeas::profiling {

// One job's place in one Profiler; a null profiler or kNoJob records nothing.
struct ScopeTarget {
  Profiler* profiler = nullptr;  // borrowed
  JobId job = kNoJob;
};

using ScopeTargets = std::span<const ScopeTarget>;

// Item i's own target (empty when nobody profiles or there is no such item).
[[nodiscard]] inline ScopeTargets item_target(ScopeTargets targets, std::size_t i) {
  return i < targets.size() ? targets.subspan(i, 1) : ScopeTargets{};
}

class BatchScope {
 public:
  // `stream`: as StageScope's (a cudaStream_t as void*, for GPU time; nullptr for none).
  BatchScope(ScopeTargets targets, std::string_view name, void* stream = nullptr);
  ~BatchScope() = default;
  BatchScope(const BatchScope&) = delete;
  BatchScope& operator=(const BatchScope&) = delete;
  BatchScope(BatchScope&&) = delete;
  BatchScope& operator=(BatchScope&&) = delete;

  // Closes the scopes now (in reverse order of opening) instead of at destruction.
  void close();

 private:
  std::deque<StageScope> scopes_;  // a deque: scopes are neither copied nor moved
};

}  // namespace orfeas::profiling
