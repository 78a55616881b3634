// The operations routes: liveness and readiness probes, the Prometheus scrape, the devices'
// memory and advice, and the profiler's view of where the time goes.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/gpu/device.h"
#include "orfeas/profiling/analysis.h"
#include "orfeas/profiling/report.h"
#include "orfeas/service/api.h"

namespace orfeas::service {
namespace {

using nlohmann::json;
using serve::Method;
using serve::PathParams;
using serve::Request;
using serve::Response;

constexpr double kBytesPerMb = 1024.0 * 1024.0;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json mb(std::uint64_t bytes) {
  return static_cast<double>(bytes) / kBytesPerMb;
}

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

Response readyz(Service& service) {
  const Readiness readiness = service.readiness();
  json body = {{"ready", readiness.ready()},
               {"storage_writable", readiness.storage_writable},
               {"workers_up", readiness.workers_up}};
  if (readiness.ready()) return serve::json_response(200, dump(body));
  // The probe's answer keeps its fields and also reads as the API's error shape.
  const std::string reason = readiness.detail.empty() ? std::string("not ready") : readiness.detail;
  body["reason"] = reason;
  body["error"] = {{"code", "unavailable"}, {"message", reason}};
  return serve::json_response(503, dump(body));
}

Response metrics(Service& service) {
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = service.metrics().render(service.metrics_snapshot());
  return response;
}

json batch_json(const gpu::BatchRecommendation& batch) {
  return {{"recommended", batch.recommended},
          {"max_safe", batch.max_safe},
          {"fit_limit", batch.fit_limit},
          {"bytes_per_item", batch.bytes_per_item},
          {"fixed_bytes", batch.fixed_bytes},
          {"budget_bytes", batch.budget_bytes},
          {"confidence", gpu::confidence_name(batch.confidence)},
          {"mode", batch.mode},
          {"reason", batch.reason}};
}

// The fields the original product's dashboard reads, for one device or the sum of several.
struct MemoryFigures {
  std::uint64_t total = 0;
  std::uint64_t used = 0;
  std::uint64_t free = 0;
  std::uint64_t cached = 0;
  std::optional<double> utilization_percent;

  void add_to(json& out) const {
    out["total_mb"] = mb(total);
    out["used_mb"] = mb(used);
    out["free_mb"] = mb(free);
    out["cached_mb"] = mb(cached);
    out["utilization"] = optional_json(utilization_percent);  // percent, 0–100
  }
};

// One worker's device: the probe's reading of it (CUDA) or the host's memory (CPU), this process's
// allocator, and the worker's optimizer's batch advice for the queue as it stands.
struct DeviceStatus {
  json entry;
  MemoryFigures figures;
  bool is_gpu = false;
};

DeviceStatus device_status(const WorkerInfo& worker, std::int64_t queue_length, json& profile_out) {
  DeviceStatus status;
  json& entry = status.entry;
  entry = {{"id", worker.device},
           {"worker_up", worker.up},
           {"batches_in_flight", worker.batches_in_flight},
           {"batches_run", worker.batches_run}};
  if (worker.optimizer == nullptr) {
    entry["name"] = worker.device;
    status.figures.add_to(entry);
    return status;
  }
  const gpu::MemoryProfile profile = worker.optimizer->memory_profile();
  json profile_json = json::parse(gpu::to_json(profile), nullptr, /*allow_exceptions=*/false);
  if (profile_json.is_discarded()) profile_json = json::object();
  const Result<gpu::DeviceSpec> spec = gpu::parse_device(worker.device);
  const bool cuda = spec && spec->kind == gpu::DeviceKind::kCuda;
  // The reading of this worker's device, as gpu::to_json writes it.
  json reading = nullptr;
  if (cuda && profile_json.contains("devices")) {
    for (std::size_t i = 0; i < profile.devices.size(); ++i) {
      const gpu::DeviceReading& d = profile.devices[i];
      if (d.index != static_cast<std::uint32_t>(spec->ordinal)) continue;
      status.is_gpu = true;
      status.figures = {.total = d.total_bytes,
                        .used = d.used_bytes,
                        .free = d.free_bytes,
                        .cached = 0,
                        .utilization_percent =
                            d.compute_busy_percent ? std::optional<double>(*d.compute_busy_percent) : std::nullopt};
      entry["name"] = d.name;
      reading = profile_json["devices"][i];
    }
  }
  if (!status.is_gpu) {  // the CPU worker, or a device the probe cannot see: the host's memory
    entry["name"] = cuda ? worker.device : std::string("CPU");
    status.figures.total = profile.system.total_bytes;
    status.figures.free = profile.system.available_bytes;
    status.figures.used =
        profile.system.total_bytes - std::min(profile.system.total_bytes, profile.system.available_bytes);
  }
  if (profile.allocator) status.figures.cached = profile.allocator->cached_bytes();
  status.figures.add_to(entry);
  entry["reading"] = std::move(reading);
  entry["allocator"] = profile_json.value("allocator", json(nullptr));
  const std::size_t queue = static_cast<std::size_t>(std::max<std::int64_t>(queue_length, 0));
  entry["batch"] = batch_json(worker.optimizer->recommend_batch(worker.config, queue));
  json advice = json::array();
  for (const gpu::Advice& item : worker.optimizer->recommendations()) advice.push_back(item.message);
  entry["recommendations"] = std::move(advice);
  if (profile_out.is_null()) profile_out = std::move(profile_json);
  return status;
}

Response gpu_status(Service& service) {
  const std::int64_t queue_length = service.metrics_snapshot().queue_length;
  json devices = json::array();
  json first_profile = nullptr;
  std::optional<MemoryFigures> first;
  MemoryFigures gpus;  // the sum over the GPUs; utilisation their mean where they report it
  std::size_t gpu_count = 0;
  double busy_sum = 0.0;
  std::size_t busy_count = 0;
  for (const WorkerInfo& worker : service.workers()) {
    DeviceStatus status = device_status(worker, queue_length, first_profile);
    if (!first) first = status.figures;
    if (status.is_gpu) {
      ++gpu_count;
      gpus.total += status.figures.total;
      gpus.used += status.figures.used;
      gpus.free += status.figures.free;
      gpus.cached += status.figures.cached;
      if (status.figures.utilization_percent) {
        busy_sum += *status.figures.utilization_percent;
        ++busy_count;
      }
    }
    devices.push_back(std::move(status.entry));
  }
  if (busy_count > 0) gpus.utilization_percent = busy_sum / static_cast<double>(busy_count);
  json body = {{"mode", gpu_count > 0 ? "cuda" : "cpu"}, {"gpu_available", gpu_count > 0}, {"gpu_count", gpu_count}};
  // The top level: the GPUs together, else the first (CPU) worker's memory.
  (gpu_count > 0 ? gpus : first.value_or(MemoryFigures{})).add_to(body);
  body["devices"] = std::move(devices);
  // What the first worker's optimizer read of the probe and the host.
  for (const char* key : {"source", "probe_error", "system", "timestamp_ms"}) {
    body[key] = first_profile.is_object() ? first_profile.value(key, json(nullptr)) : json(nullptr);
  }
  return serve::json_response(200, dump(body));
}

// The profiler's report as JSON, optionally without the profiles themselves.
json report_json(const profiling::Report& report) {
  json parsed = json::parse(profiling::report_to_json(report), nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json::object() : parsed;
}

Response performance_summary(Service& service) {
  profiling::Report report = service.profiler().report();
  const std::vector<profiling::StageShare> shares = profiling::stage_shares(report.profiles);
  report.profiles.clear();  // the summary and bottlenecks are computed; the profiles stay out
  json document = report_json(report);
  json summary = document.value("summary", json::object());
  // Each stage's share of the pipeline's time beside its timings (the dashboard's avg_percent).
  json share_list = json::array();
  for (const profiling::StageShare& share : shares) {
    share_list.push_back({{"stage", share.stage},
                          {"avg_percent", share.mean_share_percent},
                          {"mean_ms", share.mean_ms},
                          {"job_count", share.job_count}});
  }
  if (summary.contains("stages") && summary["stages"].is_array()) {
    for (json& stage : summary["stages"]) {
      const std::string name = stage.value("stage", "");
      const auto found = std::find_if(shares.begin(), shares.end(),
                                      [&](const profiling::StageShare& share) { return share.stage == name; });
      stage["avg_percent"] = found != shares.end() ? found->mean_share_percent : 0.0;
      stage["mean_s"] = stage.value("mean_ms", 0.0) / 1000.0;
    }
  }
  json bottlenecks = document.value("bottlenecks", json::array());
  for (json& bottleneck : bottlenecks) bottleneck["avg_percent"] = bottleneck.value("mean_share_percent", 0.0);
  summary["stage_shares"] = std::move(share_list);
  summary["bottlenecks"] = std::move(bottlenecks);
  summary["bottleneck_threshold_percent"] = report.options.bottleneck_threshold_percent;
  return serve::json_response(200, dump(summary));
}

Response performance_recommendations(Service& service) {
  std::vector<std::string> list = service.profiler().recommendations();
  std::set<std::string, std::less<>> seen(list.begin(), list.end());
  for (const WorkerInfo& worker : service.workers()) {
    if (worker.optimizer == nullptr) continue;
    for (gpu::Advice& advice : worker.optimizer->recommendations()) {
      // Several workers may give the same advice; say it once.
      if (seen.insert(advice.message).second) list.push_back(std::move(advice.message));
    }
  }
  return serve::json_response(200, dump({{"recommendations", list}}));
}

Response performance_report(Service& service) {
  return serve::json_response(200, profiling::report_to_json(service.profiler().report()));
}

}  // namespace

std::vector<ApiRoute> ops_routes(Service& service) {
  Service* s = &service;  // borrowed: the service outlives the router
  std::vector<ApiRoute> routes;
  routes.push_back({Method::kGet, "/healthz", "Liveness: the process answers",
                    "Always `{\"status\": \"ok\"}` while the server runs; no checks, no API key.",
                    [](const Request&, const PathParams&) { return serve::json_response(200, R"({"status":"ok"})"); }});
  routes.push_back({Method::kGet, "/readyz", "Readiness: storage writable and every worker up",
                    "200 `{\"ready\": true, \"storage_writable\", \"workers_up\"}`; otherwise 503 with the same "
                    "fields, `reason` and an `error` {code: unavailable, message}.",
                    [s](const Request&, const PathParams&) { return readyz(*s); }});
  routes.push_back({Method::kGet, "/metrics", "Prometheus metrics (text format 0.0.4)",
                    "Counters (jobs submitted and finished, cache hits, out-of-memory retries), histograms (batch "
                    "size, stage and job durations) and gauges (jobs by status, queue length, workers, device "
                    "memory and utilisation). All names start with `orfeas_`.",
                    [s](const Request&, const PathParams&) { return metrics(*s); }});
  routes.push_back(
      {Method::kGet, "/api/gpu/status", "Device memory, utilisation and batch advice",
       "Top level (the GPUs together, or the host's memory without one): `total_mb`, `used_mb`, `free_mb`, "
       "`cached_mb` (this process's pools), `utilization` (percent of time computing, null when unknown), `mode`, "
       "`gpu_available`. `devices`: one entry per worker with the same fields, the probe's `reading` (temperature, "
       "power, processes), this process's `allocator`, the optimizer's `batch` advice for the current queue and its "
       "`recommendations`. `system`: host memory.",
       [s](const Request&, const PathParams&) { return gpu_status(*s); }});
  routes.push_back(
      {Method::kGet, "/api/performance/summary", "Where the time goes: per-stage timings and bottlenecks",
       "`pipeline_count`, `total` and `stages` (count, mean/p50/p95/min/max ms, trend, `avg_percent`: share of the "
       "pipeline's time), `stage_shares`, and `bottlenecks` (stages at or above the threshold: `stage`, "
       "`avg_percent`, `severity` medium|high|critical, mean ms, jobs).",
       [s](const Request&, const PathParams&) { return performance_summary(*s); }});
  routes.push_back({Method::kGet, "/api/performance/recommendations", "What to change, in sentences",
                    "`{\"recommendations\": [\"…\"]}`: the profiler's findings, then each device optimizer's "
                    "advice (said once when several devices agree).",
                    [s](const Request&, const PathParams&) { return performance_recommendations(*s); }});
  routes.push_back({Method::kGet, "/api/performance/report", "The profiler's full report",
                    "The `orfeas profile` report format (`format: orfeas-profile-report`, version 1): options, "
                    "summary, bottlenecks, recommendations and the recent pipeline profiles.",
                    [s](const Request&, const PathParams&) { return performance_report(*s); }});
  return routes;
}

}  // namespace orfeas::service
