// A model folder in the official layout filled with random weights: for tests, for trying the
// hunyuan3d path without the real weights (`orfeas_tiny_model`), and for the parity harness.
//
//   ORFEAS_RETURN_IF_ERROR(write_random_model(dir / "hunyuan3d-dit-v2-0", tiny_model_config(), 7));
//
// The weights are random (their shapes are the config's): the shapes they make mean nothing.
// Thread-safety: pure functions (the writer writes only `folder`).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::engine {

// config.yaml of a tiny model of the v2-0 architecture (DINOv2 with 1 layer of 32, a Hunyuan3DDiT
// of 32 with one double and one single block, a ShapeVAE of 16 latents): it runs in well under a
// second on a CPU.
[[nodiscard]] std::string tiny_model_config();

// `config_yaml` (a single-view config such as tiny_model_config()) as its multi-view twin, the
// layout of hunyuan3d-dit-v2-mv: the DinoImageEncoderMV encoder with MVImageProcessorV2. The two
// add no weights, so a single-view model's checkpoint serves both. kInvalidArgument when the config
// names neither DinoImageEncoder nor ImageProcessorV2.
[[nodiscard]] Result<std::string> multiview_config(std::string config_yaml);

// Writes `folder`/config.yaml (`config_yaml`) and `folder`/model.fp16.safetensors: random weights
// for every tensor the config's modules take (prefixed model., vae., conditioner.), stored as
// `stored`, deterministic in `seed`. kInvalidArgument for a config that does not parse; kIoError
// when the folder cannot be written.
[[nodiscard]] Status write_random_model(const std::filesystem::path& folder, std::string_view config_yaml,
                                        std::uint64_t seed, at::ScalarType stored = at::kHalf);

}  // namespace orfeas::engine
