#include "orfeas/profiling/report.h"

#include <fstream>
#include <iterator>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/atomic_file.h"

namespace orfeas::profiling {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "orfeas-profile-report";
constexpr int kVersion = 1;

json stats_to_json(const StageStats& s) {
  return {{"stage", s.stage},
          {"count", s.count},
          {"mean_ms", s.mean_ms},
          {"p50_ms", s.p50_ms},
          {"p95_ms", s.p95_ms},
          {"min_ms", s.min_ms},
          {"max_ms", s.max_ms},
          {"trend", {{"direction", trend_name(s.trend.direction)}, {"change_percent", s.trend.change_percent}}}};
}

json stage_to_json(const StageProfile& s) {
  json j = {{"name", s.name},         {"parent", s.parent},   {"depth", s.depth},
            {"start_ms", s.start_ms}, {"wall_ms", s.wall_ms}, {"truncated", s.truncated}};
  if (s.gpu_ms) j["gpu_ms"] = *s.gpu_ms;
  if (s.peak_device_bytes) j["peak_device_bytes"] = *s.peak_device_bytes;
  return j;
}

json profile_to_json(const PipelineProfile& p) {
  json stages = json::array();
  for (const StageProfile& s : p.stages) stages.push_back(stage_to_json(s));
  return {{"job_id", static_cast<std::uint64_t>(p.job)},
          {"job_name", p.job_name},
          {"started_at_seconds", p.started_at_seconds},
          {"total_seconds", p.total_seconds},
          {"stages", std::move(stages)}};
}

// Throws nlohmann::json::exception on a missing or mistyped field; the caller turns it into an Error.
StageProfile stage_from_json(const json& j) {
  StageProfile s;
  s.name = j.at("name").get<std::string>();
  s.parent = j.at("parent").get<std::int32_t>();
  s.depth = j.at("depth").get<std::uint32_t>();
  s.start_ms = j.at("start_ms").get<double>();
  s.wall_ms = j.at("wall_ms").get<double>();
  s.truncated = j.value("truncated", false);
  if (j.contains("gpu_ms")) s.gpu_ms = j.at("gpu_ms").get<double>();
  if (j.contains("peak_device_bytes")) s.peak_device_bytes = j.at("peak_device_bytes").get<std::uint64_t>();
  return s;
}

Result<PipelineProfile> profile_from_json(const json& j) {
  PipelineProfile p;
  p.job = JobId{j.at("job_id").get<std::uint64_t>()};
  p.job_name = j.at("job_name").get<std::string>();
  p.started_at_seconds = j.at("started_at_seconds").get<double>();
  p.total_seconds = j.at("total_seconds").get<double>();
  for (const json& stage : j.at("stages")) {
    StageProfile s = stage_from_json(stage);
    const auto index = static_cast<std::int32_t>(p.stages.size());
    if (s.parent < -1 || s.parent >= index) {
      return make_error(ErrorCode::kCorruptData,
                        fmt::format("stage '{}' of job '{}' names parent {}, which is not an earlier stage", s.name,
                                    p.job_name, s.parent));
    }
    p.stages.push_back(std::move(s));
  }
  return p;
}

}  // namespace

Report make_report(std::vector<PipelineProfile> profiles, const AnalysisOptions& options) {
  Report report;
  report.options = options;
  report.summary = summarize(profiles);
  report.bottlenecks = find_bottlenecks(profiles, options.bottleneck_threshold_percent);
  report.recommendations = make_recommendations(profiles, options);
  report.profiles = std::move(profiles);
  return report;
}

std::string report_to_json(const Report& report) {
  json options = {{"bottleneck_threshold_percent", report.options.bottleneck_threshold_percent}};
  if (report.options.device_memory_total_bytes) {
    options["device_memory_total_bytes"] = *report.options.device_memory_total_bytes;
  }
  json stages = json::array();
  for (const StageStats& s : report.summary.stages) stages.push_back(stats_to_json(s));
  json bottlenecks = json::array();
  for (const Bottleneck& b : report.bottlenecks) {
    json entry = {{"stage", b.share.stage},
                  {"severity", severity_name(b.severity)},
                  {"mean_share_percent", b.share.mean_share_percent},
                  {"mean_ms", b.share.mean_ms},
                  {"job_count", b.share.job_count}};
    if (b.share.max_peak_device_bytes) entry["max_peak_device_bytes"] = *b.share.max_peak_device_bytes;
    bottlenecks.push_back(std::move(entry));
  }
  json profiles = json::array();
  for (const PipelineProfile& p : report.profiles) profiles.push_back(profile_to_json(p));
  const json document = {
      {"format", kFormat},
      {"version", kVersion},
      {"options", std::move(options)},
      {"summary",
       {{"pipeline_count", report.summary.pipeline_count},
        {"total", stats_to_json(report.summary.total)},
        {"stages", std::move(stages)}}},
      {"bottlenecks", std::move(bottlenecks)},
      {"recommendations", report.recommendations},
      {"profiles", std::move(profiles)},
  };
  return document.dump(2) + "\n";
}

Result<Report> parse_report(std::string_view json_text) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return make_error(ErrorCode::kCorruptData, "not valid JSON");
  try {
    if (!document.is_object() || document.value("format", std::string()) != kFormat) {
      return make_error(ErrorCode::kCorruptData,
                        "not an ORFEAS profile report (no \"format\": \"" + std::string(kFormat) + "\")");
    }
    const int version = document.at("version").get<int>();
    if (version > kVersion) {
      return make_error(
          ErrorCode::kUnsupportedFormat,
          fmt::format("profile report version {} is newer than this program reads ({})", version, kVersion));
    }
    AnalysisOptions options;
    const json& saved = document.at("options");
    options.bottleneck_threshold_percent = saved.at("bottleneck_threshold_percent").get<double>();
    if (saved.contains("device_memory_total_bytes")) {
      options.device_memory_total_bytes = saved.at("device_memory_total_bytes").get<std::uint64_t>();
    }
    std::vector<PipelineProfile> profiles;
    for (const json& p : document.at("profiles")) {
      ORFEAS_ASSIGN_OR_RETURN(PipelineProfile profile, profile_from_json(p));
      profiles.push_back(std::move(profile));
    }
    // The analysis is recomputed from the profiles, so it always matches them.
    return make_report(std::move(profiles), options);
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kCorruptData, std::string("malformed profile report: ") + e.what());
  }
}

std::string report_text(const Report& report) {
  std::string text;
  const auto out = std::back_inserter(text);
  const StageStats& total = report.summary.total;
  fmt::format_to(out, "{} pipelines: mean {:.1f} ms, p50 {:.1f} ms, p95 {:.1f} ms; trend {}",
                 report.summary.pipeline_count, total.mean_ms, total.p50_ms, total.p95_ms,
                 trend_name(total.trend.direction));
  if (total.trend.direction != TrendDirection::kInsufficientData) {
    fmt::format_to(out, " ({:+.1f} %)", total.trend.change_percent);
  }
  text += "\n";
  for (const StageStats& s : report.summary.stages) {
    fmt::format_to(out,
                   "  {}: mean {:.1f} ms, p50 {:.1f} ms, p95 {:.1f} ms, min {:.1f} ms, max {:.1f} ms over {} jobs\n",
                   s.stage, s.mean_ms, s.p50_ms, s.p95_ms, s.min_ms, s.max_ms, s.count);
  }
  fmt::format_to(out, "bottlenecks (>= {:.1f} % of pipeline time):{}\n", report.options.bottleneck_threshold_percent,
                 report.bottlenecks.empty() ? " none" : "");
  for (const Bottleneck& b : report.bottlenecks) {
    fmt::format_to(out, "  [{}] {}: {:.1f} %, mean {:.1f} ms over {} jobs\n", severity_name(b.severity), b.share.stage,
                   b.share.mean_share_percent, b.share.mean_ms, b.share.job_count);
  }
  fmt::format_to(out, "recommendations:{}\n", report.recommendations.empty() ? " none" : "");
  for (const std::string& line : report.recommendations) fmt::format_to(out, "  - {}\n", line);
  return text;
}

Status write_report(const Report& report, const std::filesystem::path& path) {
  return with_context(write_file_atomically(path, report_to_json(report)), "while writing profile report");
}

Result<Report> load_report(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open profile report " + path.string());
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return make_error(ErrorCode::kIoError, "cannot read profile report " + path.string());
  return with_context(parse_report(text), "while loading profile report " + path.string());
}

}  // namespace orfeas::profiling
