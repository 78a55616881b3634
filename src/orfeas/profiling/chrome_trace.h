// Pipeline profiles as a Chrome trace-event file (JSON object format), for Perfetto
// (ui.perfetto.dev) or chrome://tracing:
//
//   {"traceEvents": [
//     {"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"orfeas"}},
//     {"ph":"M","name":"thread_name","pid":1,"tid":3,"args":{"name":"cat.png (job 7)"}},
//     {"ph":"X","name":"cat.png","cat":"pipeline","pid":1,"tid":3,"ts":1520.0,"dur":48100.5},
//     {"ph":"X","name":"mesh_extraction","cat":"stage","pid":1,"tid":3,"ts":...,"dur":...,
//      "args":{"depth":0,"gpu_ms":3.2,"peak_device_bytes":1048576}}, ...],
//    "displayTimeUnit": "ms"}
//
// One track (tid, from 1) per job, named by a thread_name metadata event; a complete ("X") event
// for the whole pipeline and one per stage, nested by time. ts and dur are microseconds, ts on
// the profiler's timeline (PipelineProfile::started_at_seconds).
//
// Thread-safety: free functions on values.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/profiling/profile.h"

namespace orfeas::profiling {

[[nodiscard]] std::string chrome_trace_json(std::span<const PipelineProfile> profiles);
// Written atomically (core/atomic_file.h: temporary file, fsync, rename).
[[nodiscard]] Status write_chrome_trace(std::span<const PipelineProfile> profiles, const std::filesystem::path& path);

}  // namespace orfeas::profiling
