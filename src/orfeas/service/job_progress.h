// JobProgress: one running job's pipeline progress (stage starts, steps, ends) turned into the
// `progress` events of the service: a percentage that rises to 100 without jumps between stages,
// an estimate of the time left, and a rate limit on the events within a stage.
//
//   JobProgress progress(job_id, stage_weights(profiler.stage_shares()), clock_ms());
//   if (std::optional<JobEvent> event = progress.on_event(pipeline_event, clock_ms())) hub.publish(*event);
//
// Percent: each stage owns a slice of 0–100 in pipeline order, as wide as its share of a job's time
// in the profiler's recent history (or default shares without history). A stage's start is the end
// of the previous one's slice, its steps move through its slice, its end reaches the next slice's
// start; the last end is exactly 100. Never falls (a batch split for memory runs a stage again).
// Rate: step events at most one per `min_interval_ms`; stage starts and ends always.
// Thread-safety: none; the service serialises a job's events.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "orfeas/pipeline/pipeline.h"
#include "orfeas/profiling/analysis.h"
#include "orfeas/service/events.h"

namespace orfeas::service {

using StageWeights = std::array<double, pipeline::kStageNames.size()>;  // per kStageNames, > 0

// From the profiler's stage shares when every stage has some history, else the defaults.
[[nodiscard]] StageWeights stage_weights(const std::vector<profiling::StageShare>& shares);
[[nodiscard]] StageWeights default_stage_weights();

class JobProgress {
 public:
  JobProgress(std::string job, const StageWeights& weights, std::int64_t start_ms, std::int64_t min_interval_ms = 100);

  // The event to publish for `event`, or nullopt when it is held back by the rate limit (it still
  // moves last()).
  [[nodiscard]] std::optional<JobEvent> on_event(const pipeline::ProgressEvent& event, std::int64_t now_ms);
  // The latest progress, published or not; nullopt before the first stage started.
  [[nodiscard]] const std::optional<JobEvent>& last() const { return last_; }

 private:
  std::string job_;
  std::array<double, pipeline::kStageNames.size() + 1> starts_{};  // slice starts, then 100
  std::int64_t start_ms_;
  std::int64_t min_interval_ms_;
  std::optional<std::int64_t> last_sent_ms_;
  double percent_ = 0.0;
  std::optional<JobEvent> last_;
};

}  // namespace orfeas::service
