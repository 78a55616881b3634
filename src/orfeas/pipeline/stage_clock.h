// Runs one pipeline stage of one job inside a profiler scope, reports its start, steps and end as
// progress events and appends its wall time to the job's timings. Used by Pipeline for the
// per-image stages of every job.
//
//   StageClock clock(context, report.stages);
//   ORFEAS_ASSIGN_OR_RETURN(auto image, clock.run(kImagePreprocessing, [&] { return decode(); }));
//
// Thread-safety: one StageClock per job and thread; `context` and `timings` are borrowed.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orfeas/pipeline/pipeline.h"

namespace orfeas::pipeline {

// Position of `stage` in kStageNames; kStageNames.size() for a stage outside it.
[[nodiscard]] std::size_t stage_index(std::string_view stage);

class StageClock {
 public:
  StageClock(const RunContext& context, std::vector<StageTiming>& timings) : context_(context), timings_(timings) {}

  // `fn` returns a Result or a Status; the end event is sent only when it succeeded. When the
  // context's stop check answers an error first, the stage does not run and that error comes back.
  template <class Fn>
  auto run(std::string_view stage, Fn&& fn) -> decltype(std::forward<Fn>(fn)()) {
    if (context_.stop) {
      if (Status go = context_.stop(); !go) return tl::unexpected(std::move(go).error());
    }
    const std::size_t index = stage_index(stage);
    if (context_.progress) context_.progress({.stage = stage, .index = index});
    const profiling::StageScope scope(context_.profiler, context_.job, stage);
    const auto start = std::chrono::steady_clock::now();
    auto result = std::forward<Fn>(fn)();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    timings_.push_back({std::string(stage), seconds});
    if (context_.progress && result)
      context_.progress({.stage = stage, .index = index, .done = true, .seconds = seconds});
    return result;
  }

 private:
  const RunContext& context_;          // borrowed
  std::vector<StageTiming>& timings_;  // borrowed
};

}  // namespace orfeas::pipeline
