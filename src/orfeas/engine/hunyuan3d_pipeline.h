// The Hunyuan3D-2 shape pipeline on LibTorch: a prepared image → DINOv2 conditioning → flow-matching
// sampling of the shape latents → the ShapeVAE's decoder → a volume of occupancy logits, as the
// reference's Hunyuan3DDiTFlowMatchingPipeline computes it (everything but marching cubes, which
// the project's mesh stage does).
//
//   LoadReport report;
//   ORFEAS_ASSIGN_OR_RETURN(auto pipeline, Hunyuan3DPipeline::load("weights/hunyuan3d-dit-v2-0", at::kCUDA,
//                                                                  at::kHalf, &report));
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor image, prepare_reference_image(rgba));     // [1, 3, 512, 512]
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor latents, pipeline->latents(image, options, progress));
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor logits, pipeline->decode(latents, options, progress));
//   // logits [B, R+1, R+1, R+1] float32 over [−bounds, bounds]³, index order (x, y, z) with z
//   // fastest, positive inside; where the hierarchical decoder did not look, NaN or the coarse
//   // level's value (GenerateOptions::unevaluated).
//
// Errors: load() reports a folder, config or checkpoint problem (kNotFound, kCorruptData,
// kInvalidArgument); latents()/decode() report kOutOfMemory when the device runs out (the caller
// may split the batch) and kInternal for any other LibTorch failure. Nothing throws.
// Thread-safety: immutable after load; calls may run concurrently (they share the weights).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

#include "orfeas/core/status.h"
#include "orfeas/engine/checkpoint.h"
#include "orfeas/engine/conditioner.h"
#include "orfeas/engine/hunyuan3d_dit.h"
#include "orfeas/engine/hunyuandit_plain.h"
#include "orfeas/engine/shape_vae.h"
#include "orfeas/engine/volume_decoding.h"
#include "orfeas/models/model_config.h"
#include "orfeas/models/model_folder.h"
#include "orfeas/profiling/batch_scope.h"

namespace orfeas::engine {

enum class VolumeDecoder { kDense, kHierarchical };

struct GenerateOptions {
  std::optional<int> steps;  // default: the model's (5 for the step-distilled turbo models, else 50)
  double guidance_scale = 5.0;
  int octree_resolution = 384;
  std::uint64_t seed = 0;
  VolumeDecoder decoder = VolumeDecoder::kDense;
  std::int64_t num_chunks = 8000;  // query points per geometry-decoder call
  double bounds = 1.01;            // the volume spans [−bounds, bounds]³
  // The hierarchical decoder's unevaluated points: NaN (as the reference), or the coarse level's
  // value (a finite grid for marching cubes; what the hunyuan3d backend asks for).
  Unevaluated unevaluated = Unevaluated::kNaN;
};

// "conditioning" (1 step), "diffusion" (each denoiser call), "decoding" (each chunk).
using PhaseProgress = std::function<void(std::string_view phase, std::size_t step, std::size_t steps)>;

class Hunyuan3DPipeline {
 public:
  // A DiT folder in the official layout (models/model_folder.h), its weights converted to `dtype`
  // on `device` once.
  [[nodiscard]] static Result<std::unique_ptr<Hunyuan3DPipeline>> load(const std::filesystem::path& model_dir,
                                                                       at::Device device, at::ScalarType dtype,
                                                                       LoadReport* report = nullptr);
  // From a config and the checkpoint's tensors (all three prefixes: model., vae., conditioner.).
  [[nodiscard]] static Result<std::unique_ptr<Hunyuan3DPipeline>> from_weights(const models::PipelineConfig& config,
                                                                               const Weights& weights,
                                                                               models::ModelVariant variant);

  // images [B, 3, 512, 512] float32 in [−1, 1] on the CPU (multi-view models: [B, V, 3, 512, 512],
  // views in index order) → latents [B, num_latents, embed_dim] in the run dtype. Sub-stages on
  // `profile`: "conditioning", then "diffusion" holding one "diffusion_step" per step.
  [[nodiscard]] Result<at::Tensor> latents(const at::Tensor& images, const GenerateOptions& options,
                                           const PhaseProgress& progress = {},
                                           profiling::ScopeTargets profile = {}) const;
  // latents → logits [B, R+1, R+1, R+1] float32 on the device (see the overview). Sub-stages on
  // `profile`: "latent_decoding" (the VAE's transformer and the geometry decoder's keys and
  // values), then "volume_decoding" (the grid's queries).
  [[nodiscard]] Result<at::Tensor> decode(const at::Tensor& latents, const GenerateOptions& options,
                                          const PhaseProgress& progress = {}, HierarchicalStats* stats = nullptr,
                                          profiling::ScopeTargets profile = {}) const;

  [[nodiscard]] int default_steps() const;
  [[nodiscard]] const models::PipelineConfig& config() const { return config_; }
  [[nodiscard]] models::ModelVariant variant() const { return variant_; }
  [[nodiscard]] at::Device device() const { return device_; }
  [[nodiscard]] at::ScalarType dtype() const { return dtype_; }

 private:
  // from_weights without the guard against LibTorch's exceptions.
  [[nodiscard]] static Result<std::unique_ptr<Hunyuan3DPipeline>> assemble(const models::PipelineConfig& config,
                                                                           const Weights& weights,
                                                                           models::ModelVariant variant);

  Hunyuan3DPipeline(models::PipelineConfig config, models::ModelVariant variant, Conditioner conditioner,
                    std::variant<Hunyuan3DDit, HunyuanDitPlain> denoiser, ShapeVae vae, at::Device device,
                    at::ScalarType dtype);

  models::PipelineConfig config_;
  models::ModelVariant variant_;
  Conditioner conditioner_;
  std::variant<Hunyuan3DDit, HunyuanDitPlain> denoiser_;
  ShapeVae vae_;
  at::Device device_;
  at::ScalarType dtype_;
};

// A LibTorch failure as an error: kOutOfMemory for an allocation failure, else kInternal.
[[nodiscard]] Error torch_error(const c10::Error& error, std::string_view doing);

}  // namespace orfeas::engine
