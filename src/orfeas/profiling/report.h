// A profiling report: the recent pipeline profiles and what analysis.h makes of them, saved as
// JSON so `orfeas profile report.json` can print the bottlenecks and recommendations later.
//
//   ORFEAS_RETURN_IF_ERROR(profiler.export_report("report.json"));
//   ORFEAS_ASSIGN_OR_RETURN(Report report, load_report("report.json"));
//   for (const std::string& line : report.recommendations) std::puts(line.c_str());
//
// The file holds the profiles and the analysis options, so load_report recomputes the summary,
// bottlenecks and recommendations from the profiles rather than trusting the saved copies:
//   { "format": "orfeas-profile-report", "version": 1, "options": {...}, "summary": {...},
//     "bottlenecks": [...], "recommendations": [...], "profiles": [...] }
// Files are written atomically (core/atomic_file.h: temporary file, fsync, rename).
//
// Units: as in profile.h and analysis.h. Thread-safety: free functions on values.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/profiling/analysis.h"
#include "orfeas/profiling/profile.h"

namespace orfeas::profiling {

struct Report {
  AnalysisOptions options;
  Summary summary;
  std::vector<Bottleneck> bottlenecks;
  std::vector<std::string> recommendations;
  std::vector<PipelineProfile> profiles;  // oldest first
};

// The analysis of `profiles` (oldest first) under `options`.
[[nodiscard]] Report make_report(std::vector<PipelineProfile> profiles, const AnalysisOptions& options);

// JSON text of a report (pretty-printed), and back. parse: kCorruptData for malformed or
// unrecognised JSON; kUnsupportedFormat for a newer version.
[[nodiscard]] std::string report_to_json(const Report& report);
[[nodiscard]] Result<Report> parse_report(std::string_view json_text);

// What `orfeas profile report.json` prints: the summary line, per-stage timings, the bottlenecks
// and the recommendations, one per line.
[[nodiscard]] std::string report_text(const Report& report);

[[nodiscard]] Status write_report(const Report& report, const std::filesystem::path& path);
[[nodiscard]] Result<Report> load_report(const std::filesystem::path& path);

}  // namespace orfeas::profiling
