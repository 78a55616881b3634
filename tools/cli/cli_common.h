// Pieces the CLI's subcommands share: where data lives, the profiler they attach, its outputs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/profiling/profiler.h"

namespace orfeas::cli {

// $ORFEAS_DATA_DIR, else $XDG_DATA_HOME/orfeas, else ~/.local/share/orfeas.
[[nodiscard]] std::filesystem::path default_data_dir();

// A profiler for a run. With a device pool, stages on a CUDA stream also get GPU time (when built
// in) and top-level stages the pool's peak allocated bytes.
[[nodiscard]] Result<std::unique_ptr<profiling::Profiler>> make_profiler(gpu::MemoryPool* device_pool);

// Writes the report and/or trace when a path is given.
[[nodiscard]] Status write_profile_outputs(const profiling::Profiler& profiler, const std::string& report_path,
                                           const std::string& trace_path);

}  // namespace orfeas::cli
