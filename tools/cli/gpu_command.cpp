#include "gpu_command.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/pipeline/pipeline.h"

namespace orfeas::cli {
namespace {

struct GpuArgs {
  int resolution = 256;
  std::size_t queue = 8;
  std::string backend = "inflate";
  unsigned device = 0;
  std::string data_dir;
  bool json = false;
};

GpuArgs& args() {
  static GpuArgs instance;
  return instance;
}

double gib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
}
double mib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

void print_profile(const gpu::MemoryProfile& profile) {
  fmt::print("mode: {} (source: {})\n", profile.mode, profile.source);
  if (!profile.probe_error.empty()) fmt::print("  {}\n", profile.probe_error);
  for (const gpu::DeviceReading& d : profile.devices) {
    fmt::print("device {}: {}\n", d.index, d.name);
    fmt::print("  memory: {:.2f} GiB total, {:.2f} GiB used, {:.2f} GiB free\n", gib(d.total_bytes), gib(d.used_bytes),
               gib(d.free_bytes));
    if (d.compute_busy_percent) fmt::print("  compute busy: {} %\n", *d.compute_busy_percent);
    if (d.memory_busy_percent) fmt::print("  memory controller busy: {} %\n", *d.memory_busy_percent);
    if (d.temperature_c) fmt::print("  temperature: {} °C\n", *d.temperature_c);
    if (d.power_w) {
      fmt::print("  power: {:.0f} W", *d.power_w);
      if (d.power_limit_w) fmt::print(" of {:.0f} W", *d.power_limit_w);
      fmt::print("\n");
    }
    fmt::print("  processes: {}\n", d.processes.size());
    for (const auto& p : d.processes) {
      fmt::print("    {} {}", p.pid, p.name);
      if (p.used_bytes) fmt::print(" {:.0f} MiB", mib(*p.used_bytes));
      fmt::print("\n");
    }
  }
  if (profile.allocator) {
    fmt::print("this process ({}): {:.0f} MiB allocated, {:.0f} MiB reserved, {:.0f} MiB cached\n",
               profile.allocator_name, mib(profile.allocator->allocated_bytes), mib(profile.allocator->reserved_bytes),
               mib(profile.allocator->cached_bytes()));
  }
  fmt::print("system memory: {:.2f} GiB total, {:.2f} GiB available\n", gib(profile.system.total_bytes),
             gib(profile.system.available_bytes));
}

}  // namespace

void add_gpu_command(CLI::App& app) {
  GpuArgs& a = args();
  CLI::App* cmd = app.add_subcommand("gpu", "Show device memory, the batch size the optimizer recommends, and advice");
  cmd->add_option("--resolution", a.resolution, "Grid cells per axis of the configuration")
      ->default_val(256)
      ->check(CLI::Range(8, 1024));
  cmd->add_option("--queue", a.queue, "Jobs waiting (caps the batch)")->default_val(8);
  cmd->add_option("--backend", a.backend, "Shape backend of the configuration")
      ->default_val("inflate")
      ->check(CLI::IsMember(shape::shape_backend_names()));
  cmd->add_option("--device", a.device, "CUDA device index")->default_val(0);
  cmd->add_option("--data-dir", a.data_dir, "Where the optimizer's calibration lives")
      ->default_str(default_data_dir().string());
  cmd->add_flag("--json", a.json, "Print one JSON object");
}

int run_gpu() {
  const GpuArgs& a = args();
  // The configuration as a pipeline on the device states it (its stages' memory need), on the
  // CUDA device when there is one, else on the CPU.
  pipeline::PipelineOptions pipeline_options;
  pipeline_options.backend = a.backend;
  pipeline_options.shape.resolution = a.resolution;
  if (gpu::cuda_device_count() > static_cast<int>(a.device)) {
    pipeline_options.device = {gpu::DeviceKind::kCuda, static_cast<int>(a.device)};
  }
  auto pipeline = pipeline::Pipeline::create(pipeline_options);
  if (!pipeline) {
    fmt::print(stderr, "orfeas: error: {}\n", pipeline.error().message());
    return 1;
  }
  gpu::GpuOptimizer::Options options;
  options.probe = gpu::create_default_probe();
  options.pool = &(*pipeline)->memory_pool();
  options.device = a.device;
  auto optimizer = gpu::GpuOptimizer::create(std::move(options));
  if (!optimizer) {
    fmt::print(stderr, "orfeas: error: {}\n", optimizer.error().message());
    return 1;
  }
  const std::filesystem::path data_dir = a.data_dir.empty() ? default_data_dir() : std::filesystem::path(a.data_dir);
  if (const auto warning = (*optimizer)->load_calibration(data_dir)) {  // ignored, and said once
    fmt::print(stderr, "orfeas: warning: {}\n", *warning);
  }
  const gpu::JobConfig config = (*pipeline)->job_config();
  (void)(*optimizer)->sample();
  const gpu::MemoryProfile profile = (*optimizer)->memory_profile();
  const gpu::BatchRecommendation batch = (*optimizer)->recommend_batch(config, a.queue);
  const std::vector<gpu::Advice> advice = (*optimizer)->recommendations();

  if (a.json) {
    nlohmann::json out;
    out["memory_profile"] = nlohmann::json::parse(gpu::to_json(profile));
    out["configuration"] = {{"backend", a.backend},
                            {"resolution", a.resolution},
                            {"queue", a.queue},
                            {"key", config.key},
                            {"weights_bytes", config.model.weights_bytes},
                            {"per_item_bytes", config.model.per_item_bytes}};
    out["batch"] = {{"recommended", batch.recommended},
                    {"max_safe", batch.max_safe},
                    {"fit_limit", batch.fit_limit},
                    {"bytes_per_item", batch.bytes_per_item},
                    {"budget_bytes", batch.budget_bytes},
                    {"confidence", std::string(gpu::confidence_name(batch.confidence))},
                    {"mode", batch.mode},
                    {"reason", batch.reason}};
    nlohmann::json list = nlohmann::json::array();
    for (const auto& item : advice) list.push_back(item.message);
    out["recommendations"] = list;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  print_profile(profile);
  fmt::print("\nbatch for {}, queue {}:\n", config.key, a.queue);
  fmt::print("  recommended {}, max safe {} (fits {}), {:.0f} MiB per item, confidence {}\n", batch.recommended,
             batch.max_safe, batch.fit_limit, mib(batch.bytes_per_item), gpu::confidence_name(batch.confidence));
  fmt::print("  {}\n", batch.reason);
  fmt::print("\nrecommendations:\n");
  if (advice.empty()) fmt::print("  none\n");
  for (const auto& item : advice) fmt::print("  - {}\n", item.message);
  return 0;
}

}  // namespace orfeas::cli
