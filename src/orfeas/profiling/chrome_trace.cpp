#include "orfeas/profiling/chrome_trace.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/atomic_file.h"

namespace orfeas::profiling {

std::string chrome_trace_json(std::span<const PipelineProfile> profiles) {
  using nlohmann::json;
  constexpr int kPid = 1;
  json events = json::array();
  events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", kPid}, {"tid", 0}, {"args", {{"name", "orfeas"}}}});
  int tid = 0;
  for (const PipelineProfile& profile : profiles) {
    ++tid;  // one track per job, in the order given
    const double pipeline_us = profile.started_at_seconds * 1e6;
    const std::string track = fmt::format("{} (job {})", profile.job_name, static_cast<std::uint64_t>(profile.job));
    events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", kPid}, {"tid", tid}, {"args", {{"name", track}}}});
    events.push_back(
        {{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", kPid}, {"tid", tid}, {"args", {{"sort_index", tid}}}});
    events.push_back({{"ph", "X"},
                      {"name", profile.job_name},
                      {"cat", "pipeline"},
                      {"pid", kPid},
                      {"tid", tid},
                      {"ts", pipeline_us},
                      {"dur", profile.total_seconds * 1e6}});
    for (const StageProfile& stage : profile.stages) {
      json args = {{"depth", stage.depth}};
      const auto parent = static_cast<std::size_t>(stage.parent);
      if (stage.parent >= 0 && parent < profile.stages.size()) args["parent"] = profile.stages[parent].name;
      if (stage.gpu_ms) args["gpu_ms"] = *stage.gpu_ms;
      if (stage.peak_device_bytes) args["peak_device_bytes"] = *stage.peak_device_bytes;
      if (stage.truncated) args["truncated"] = true;
      events.push_back({{"ph", "X"},
                        {"name", stage.name},
                        {"cat", "stage"},
                        {"pid", kPid},
                        {"tid", tid},
                        {"ts", pipeline_us + stage.start_ms * 1e3},
                        {"dur", stage.wall_ms * 1e3},
                        {"args", std::move(args)}});
    }
  }
  const json document = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
  return document.dump() + "\n";
}

Status write_chrome_trace(std::span<const PipelineProfile> profiles, const std::filesystem::path& path) {
  return with_context(write_file_atomically(path, chrome_trace_json(profiles)), "while writing Chrome trace");
}

}  // namespace orfeas::profiling
