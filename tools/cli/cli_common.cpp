#include "cli_common.h"

#include <cstdlib>

#include "orfeas/profiling/memory_watermark.h"

#if defined(ORFEAS_PROFILING_HAS_CUDA_TIMER)
#include "orfeas/profiling/cuda/cuda_event_timer.h"
#endif

namespace orfeas::cli {

std::filesystem::path default_data_dir() {
  if (const char* dir = std::getenv("ORFEAS_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "orfeas";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".local/share/orfeas";
  }
  return ".orfeas";
}

Result<std::unique_ptr<profiling::Profiler>> make_profiler(gpu::MemoryPool* device_pool) {
  profiling::Profiler::Options options;
  if (device_pool != nullptr) {
    options.memory_watermark = std::make_shared<profiling::PoolWatermark<gpu::MemoryPool>>(device_pool);
#if defined(ORFEAS_PROFILING_HAS_CUDA_TIMER)
    auto timer = profiling::create_cuda_event_timer();
    if (timer) options.gpu_timer = std::move(*timer);
#endif
  }
  return profiling::Profiler::create(std::move(options));
}

Status write_profile_outputs(const profiling::Profiler& profiler, const std::string& report_path,
                             const std::string& trace_path) {
  if (!report_path.empty()) ORFEAS_RETURN_IF_ERROR(profiler.export_report(report_path));
  if (!trace_path.empty()) ORFEAS_RETURN_IF_ERROR(profiler.export_trace(trace_path));
  return ok();
}

}  // namespace orfeas::cli
