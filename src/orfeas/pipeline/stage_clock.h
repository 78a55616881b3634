// Runs one pipeline stage inside a profiler scope, reports its start and end as progress events and
// appends its wall time to a job's timings. Shared by Pipeline::generate and the batch processor.
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

class StageClock {
 public:
  StageClock(const RunContext& context, std::vector<StageTiming>& timings) : context_(context), timings_(timings) {}

  // `fn` returns a Result or a Status; the end event is sent only when it succeeded.
  template <class Fn>
  auto run(std::string_view stage, Fn&& fn) {
    const std::size_t index = stage_index(stage);
    if (context_.progress) context_.progress({stage, index, false, 0.0});
    const profiling::StageScope scope(context_.profiler, context_.job, stage);
    const auto start = std::chrono::steady_clock::now();
    auto result = std::forward<Fn>(fn)();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    timings_.push_back({std::string(stage), seconds});
    if (context_.progress && result) context_.progress({stage, index, true, seconds});
    return result;
  }

 private:
  // Position in kStageNames; kStageNames.size() for a stage outside it.
  static std::size_t stage_index(std::string_view stage) {
    for (std::size_t i = 0; i < kStageNames.size(); ++i) {
      if (kStageNames[i] == stage) return i;
    }
    return kStageNames.size();
  }

  const RunContext& context_;          // borrowed
  std::vector<StageTiming>& timings_;  // borrowed
};

}  // namespace orfeas::pipeline
