// What one profiled pipeline run looked like: its stages as a tree, with wall time, GPU time and
// peak device memory. Produced by Profiler::end_pipeline, kept in the Profiler's history, written
// to and read back from reports (report.h).
//
//   PipelineProfile p = *profiler.end_pipeline(job);
//   for (const StageProfile& s : p.stages)
//     std::printf("%*s%s %.1f ms\n", 2 * int(s.depth), "", s.name.c_str(), s.wall_ms);
//
// Units: times in milliseconds (`_ms`) or seconds (`_seconds`) as named; memory in bytes.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orfeas::profiling {

// A pipeline run inside one Profiler. 0 is never handed out: it means "no job".
enum class JobId : std::uint64_t {};
inline constexpr JobId kNoJob{0};

struct StageProfile {
  std::string name;
  std::int32_t parent = -1;                        // index into PipelineProfile::stages; -1 for a top-level stage
  std::uint32_t depth = 0;                         // 0 for a top-level stage
  double start_ms = 0.0;                           // since the pipeline began
  double wall_ms = 0.0;                            // steady_clock
  std::optional<double> gpu_ms;                    // when a GpuTimer and a stream were given
  std::optional<std::uint64_t> peak_device_bytes;  // top-level stages, when a MemoryWatermark is set
  bool truncated = false;                          // still open at end_pipeline: wall_ms runs to the pipeline's end

  [[nodiscard]] bool top_level() const { return parent < 0; }
};

struct PipelineProfile {
  JobId job = kNoJob;
  std::string job_name;
  double started_at_seconds = 0.0;   // since the Profiler was created (places jobs on one timeline)
  double total_seconds = 0.0;        // begin_pipeline → end_pipeline, wall
  std::vector<StageProfile> stages;  // in the order they were opened: a parent precedes its children
};

}  // namespace orfeas::profiling
