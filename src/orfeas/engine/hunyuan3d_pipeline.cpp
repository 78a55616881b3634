#include "orfeas/engine/hunyuan3d_pipeline.h"

#include <optional>
#include <string>
#include <utility>

#include "orfeas/engine/sampling.h"

namespace orfeas::engine {

Error torch_error(const c10::Error& error, std::string_view doing) {
  const std::string what = error.what_without_backtrace();
  const bool out_of_memory = what.find("out of memory") != std::string::npos ||
                             what.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
  return Error(out_of_memory ? ErrorCode::kOutOfMemory : ErrorCode::kInternal, std::string(doing) + ": " + what);
}

Hunyuan3DPipeline::Hunyuan3DPipeline(models::PipelineConfig config, models::ModelVariant variant,
                                     Conditioner conditioner, std::variant<Hunyuan3DDit, HunyuanDitPlain> denoiser,
                                     ShapeVae vae, at::Device device, at::ScalarType dtype)
    : config_(std::move(config)),
      variant_(variant),
      conditioner_(std::move(conditioner)),
      denoiser_(std::move(denoiser)),
      vae_(std::move(vae)),
      device_(device),
      dtype_(dtype) {}

Result<std::unique_ptr<Hunyuan3DPipeline>> Hunyuan3DPipeline::load(const std::filesystem::path& model_dir,
                                                                   at::Device device, at::ScalarType dtype,
                                                                   LoadReport* report) {
  ORFEAS_ASSIGN_OR_RETURN(const models::ModelFolder folder, models::locate_model(model_dir));
  ORFEAS_ASSIGN_OR_RETURN(const auto file, models::SafetensorsFile::open(folder.weights_path));
  ORFEAS_ASSIGN_OR_RETURN(const Weights weights, load_weights(*file, "", device, dtype, report));
  return with_context(from_weights(folder.config, weights, folder.variant), folder.weights_path.string());
}

Result<std::unique_ptr<Hunyuan3DPipeline>> Hunyuan3DPipeline::from_weights(const models::PipelineConfig& config,
                                                                           const Weights& weights,
                                                                           models::ModelVariant variant) {
  // Loading reshapes and copies some tensors (on the GPU: allocations that can fail): a LibTorch
  // failure is an error value here too, never an exception out of the engine.
  try {
    return assemble(config, weights, variant);
  } catch (const c10::Error& e) {
    return tl::unexpected(torch_error(e, "loading the model's modules"));
  }
}

Result<std::unique_ptr<Hunyuan3DPipeline>> Hunyuan3DPipeline::assemble(const models::PipelineConfig& config,
                                                                       const Weights& weights,
                                                                       models::ModelVariant variant) {
  ORFEAS_ASSIGN_OR_RETURN(Conditioner conditioner, Conditioner::load(weights.scope("conditioner."), config.dino));
  ORFEAS_ASSIGN_OR_RETURN(ShapeVae vae, ShapeVae::load(weights.scope("vae."), config.vae));
  std::variant<Hunyuan3DDit, HunyuanDitPlain> denoiser;
  if (const auto* dit = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser)) {
    ORFEAS_ASSIGN_OR_RETURN(Hunyuan3DDit model, Hunyuan3DDit::load(weights.scope("model."), *dit));
    denoiser = std::move(model);
  } else {
    ORFEAS_ASSIGN_OR_RETURN(
        HunyuanDitPlain model,
        HunyuanDitPlain::load(weights.scope("model."), std::get<models::HunyuanDitPlainConfig>(config.denoiser)));
    denoiser = std::move(model);
  }
  // Every module's tensors share one device and dtype (load_weights converted them): the VAE's say.
  const at::Device device = vae.geometry_decoder().device();
  const at::ScalarType dtype = vae.geometry_decoder().dtype();
  return std::unique_ptr<Hunyuan3DPipeline>(new Hunyuan3DPipeline(config, variant, std::move(conditioner),
                                                                  std::move(denoiser), std::move(vae), device, dtype));
}

int Hunyuan3DPipeline::default_steps() const {
  return config_.scheduler.kind == models::SchedulerKind::kConsistencyFlowMatchEuler ? 5 : 50;
}

Result<at::Tensor> Hunyuan3DPipeline::latents(const at::Tensor& images, const GenerateOptions& options,
                                              const PhaseProgress& progress, profiling::ScopeTargets profile) const {
  const bool multi_view = config_.conditioner == models::ConditionerKind::kDinoImageEncoderMV;
  if (images.dim() != (multi_view ? 5 : 4))
    return make_error(ErrorCode::kInvalidArgument,
                      multi_view ? "a multi-view model takes images [B, V, 3, H, W]" : "images must be [B, 3, H, W]");
  const int steps = options.steps.value_or(default_steps());
  if (steps < 1 || steps > 1000)
    return make_error(ErrorCode::kInvalidArgument, "steps must be 1..1000, not " + std::to_string(steps));
  try {
    void* const stream = profile.empty() ? nullptr : profiling_stream(device_);
    std::optional<profiling::BatchScope> phase(std::in_place, profile, "conditioning", stream);
    const at::Tensor cond = conditioner_.encode(images, dtype_, device_);
    const std::int64_t batch = images.size(0);
    // As many views' worth of zeros as were given (a multi-view model takes 1..view_num views).
    const at::Tensor uncond =
        multi_view ? conditioner_.unconditional(batch, images.size(1)) : conditioner_.unconditional(batch);
    phase.reset();
    if (progress) progress("conditioning", 1, 1);

    SamplingOptions sampling;
    sampling.steps = steps;
    sampling.guidance_scale = options.guidance_scale;
    sampling.guidance_embedded = config_.guidance_embed();
    if (config_.scheduler.kind == models::SchedulerKind::kConsistencyFlowMatchEuler) {
      sampling.schedule = ScheduleKind::kConsistency;
      sampling.pcm_timesteps = static_cast<int>(config_.scheduler.pcm_timesteps);
    }
    const at::Tensor noise =
        initial_noise({batch, config_.vae.num_latents, config_.vae.embed_dim}, options.seed, dtype_, device_);
    const Denoise denoise = [this](const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                                   const std::optional<at::Tensor>& guidance) {
      if (const auto* dit = std::get_if<Hunyuan3DDit>(&denoiser_)) return dit->forward(x, t, context, guidance);
      return std::get<HunyuanDitPlain>(denoiser_).forward(x, t, context);
    };
    phase.emplace(profile, "diffusion", stream);
    return sample_latents(
        denoise, noise, cond, uncond, sampling,
        [&](std::size_t step, std::size_t total) {
          if (progress) progress("diffusion", step, total);
        },
        profile);
  } catch (const c10::Error& e) {
    return tl::unexpected(torch_error(e, "sampling the shape latents"));
  }
}

Result<at::Tensor> Hunyuan3DPipeline::decode(const at::Tensor& latents, const GenerateOptions& options,
                                             const PhaseProgress& progress, HierarchicalStats* stats,
                                             profiling::ScopeTargets profile) const {
  if (options.octree_resolution < 8 || options.octree_resolution > 1024)
    return make_error(ErrorCode::kInvalidArgument,
                      "the octree resolution must be 8..1024, not " + std::to_string(options.octree_resolution));
  try {
    void* const stream = profile.empty() ? nullptr : profiling_stream(device_);
    std::optional<profiling::BatchScope> phase(std::in_place, profile, "latent_decoding", stream);
    // (1 / scale_factor) · latents: a Python float times the run-dtype tensor, as the reference.
    const at::Tensor scaled = latents.to(device_, dtype_) * (1.0 / config_.vae.scale_factor);
    const at::Tensor decoded = vae_.decode_latents(scaled);
    const GeometryDecoder& geo = vae_.geometry_decoder();
    const at::Tensor kv = geo.keys_values(decoded);  // once per mesh, not per chunk
    phase.emplace(profile, "volume_decoding", stream);
    const StepProgress chunk_progress = [&](std::size_t step, std::size_t total) {
      if (progress) progress("decoding", step, total);
    };
    if (options.decoder == VolumeDecoder::kHierarchical)
      return decode_hierarchical(geo, kv, options.octree_resolution, options.bounds, options.num_chunks, chunk_progress,
                                 stats, /*min_resolution=*/63, options.unevaluated);
    return decode_dense(geo, kv, options.octree_resolution, options.bounds, options.num_chunks, chunk_progress);
  } catch (const c10::Error& e) {
    return tl::unexpected(torch_error(e, "decoding the shape volume"));
  }
}

}  // namespace orfeas::engine
