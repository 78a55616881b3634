// Profiles built from known numbers, for the analysis, report and trace tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "orfeas/profiling/profile.h"

namespace orfeas::profiling::testing {

struct StageSpec {
  std::string name;
  double wall_ms;
  std::optional<std::uint64_t> peak_bytes = std::nullopt;
  std::optional<double> gpu_ms = std::nullopt;
};

// Top-level stages back to back from t = 0, each with one nested child of half its length; the
// pipeline's total is the sum plus 1 ms of untimed gaps.
inline PipelineProfile make_profile(std::string job_name, std::initializer_list<StageSpec> stages,
                                    std::uint64_t job_id = 1, double started_at_seconds = 0.0) {
  PipelineProfile p;
  p.job = JobId{job_id};
  p.job_name = std::move(job_name);
  p.started_at_seconds = started_at_seconds;
  double t = 0.0;
  for (const StageSpec& spec : stages) {
    StageProfile top;
    top.name = spec.name;
    top.start_ms = t;
    top.wall_ms = spec.wall_ms;
    top.peak_device_bytes = spec.peak_bytes;
    top.gpu_ms = spec.gpu_ms;
    const auto parent = static_cast<std::int32_t>(p.stages.size());
    p.stages.push_back(top);
    StageProfile child;
    child.name = spec.name + "/detail";
    child.parent = parent;
    child.depth = 1;
    child.start_ms = t;
    child.wall_ms = spec.wall_ms / 2.0;
    p.stages.push_back(child);
    t += spec.wall_ms;
  }
  p.total_seconds = (t + 1.0) / 1000.0;
  return p;
}

}  // namespace orfeas::profiling::testing
