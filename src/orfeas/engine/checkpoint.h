// A checkpoint's tensors loaded into the engine: from a memory-mapped safetensors file (see
// models/safetensors.h) into Weights on the run's device, each floating tensor converted to the
// run's dtype once, here, so no module ever converts a weight again.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto file, models::SafetensorsFile::open(folder.weights_path));
//   LoadReport report;
//   ORFEAS_ASSIGN_OR_RETURN(Weights weights, load_weights(*file, "", at::kCUDA, at::kHalf, &report));
//   Weights dit = weights.scope("model.");
//
// Thread-safety: load_weights may run concurrently on different files.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/engine/weights.h"
#include "orfeas/models/safetensors.h"

namespace orfeas::engine {

// What loading cost, for the user's log and the docs.
struct LoadReport {
  double seconds = 0.0;
  std::size_t tensors = 0;
  std::uint64_t file_bytes = 0;       // what was read from the file's data
  std::uint64_t device_bytes = 0;     // what the converted tensors hold
  std::uint64_t peak_host_bytes = 0;  // the process's peak resident memory after loading (getrusage)
};

// The tensors whose names start with `prefix` (all of them for ""), under their full names.
// kCorruptData when none does; kOutOfMemory when the device cannot hold them.
[[nodiscard]] Result<Weights> load_weights(const models::SafetensorsFile& file, std::string_view prefix,
                                           at::Device device, at::ScalarType dtype, LoadReport* report = nullptr);

// Writes `tensors` (any device; floating ones stored as `stored`, others as they are) to a
// safetensors file, atomically: the official layout's file for tests and the parity harness.
[[nodiscard]] Status save_weights(const std::filesystem::path& path,
                                  const std::map<std::string, at::Tensor, std::less<>>& tensors,
                                  at::ScalarType stored = at::kFloat);

// The ATen dtype of a safetensors dtype.
[[nodiscard]] at::ScalarType aten_dtype(models::DType dtype);

}  // namespace orfeas::engine
