#include "orfeas/shape/hunyuan3d_backend.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "orfeas/engine/conditioner.h"
#include "orfeas/engine/hunyuan3d_pipeline.h"

namespace orfeas::shape {
namespace {

Result<at::ScalarType> run_dtype(const std::string& name, bool cuda) {
  if (name == "auto") return cuda ? at::kHalf : at::kFloat;
  if (name == "fp16") return at::kHalf;
  if (name == "bf16") return at::kBFloat16;
  if (name == "fp32") return at::kFloat;
  return make_error(ErrorCode::kInvalidArgument, "dtype must be bf16, fp16, fp32 or auto, not '" + name + "'");
}

std::string dtype_name(at::ScalarType dtype) {
  if (dtype == at::kHalf) return "fp16";
  if (dtype == at::kBFloat16) return "bf16";
  return "fp32";
}

struct LoadedModel {
  std::shared_ptr<const engine::Hunyuan3DPipeline> pipeline;
  ModelLoad load;
};

// Models loaded in this process, by folder, device and dtype: a second backend (another worker,
// another job's pipeline) shares the first one's weights while any of them holds them.
Result<LoadedModel> shared_pipeline(const std::filesystem::path& dir, at::Device device, at::ScalarType dtype) {
  struct Entry {
    std::weak_ptr<const engine::Hunyuan3DPipeline> pipeline;
    ModelLoad load;
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> loaded;
  std::error_code ignored;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(dir, ignored);
  const std::string key = canonical.string() + "|" + device.str() + "|" + std::string(c10::toString(dtype));
  const std::lock_guard lock(mutex);
  Entry& entry = loaded[key];
  if (auto existing = entry.pipeline.lock()) {
    ModelLoad load = entry.load;
    load.shared = true;
    return LoadedModel{std::move(existing), std::move(load)};
  }
  engine::LoadReport report;
  ORFEAS_ASSIGN_OR_RETURN(auto pipeline, engine::Hunyuan3DPipeline::load(dir, device, dtype, &report));
  std::shared_ptr<const engine::Hunyuan3DPipeline> shared(std::move(pipeline));
  const std::string name = (canonical.has_filename() ? canonical : canonical.parent_path()).filename().string();
  entry.pipeline = shared;
  entry.load = {.model = name,
                .device = device.is_cuda() ? "cuda:" + std::to_string(device.index()) : "cpu",
                .dtype = dtype_name(dtype),
                .seconds = report.seconds,
                .tensors = report.tensors,
                .file_bytes = report.file_bytes,
                .device_bytes = report.device_bytes,
                .peak_host_bytes = report.peak_host_bytes};
  return LoadedModel{std::move(shared), entry.load};
}

class Hunyuan3DBackend final : public ShapeBackend {
 public:
  Hunyuan3DBackend(const gpu::Device& device, Hunyuan3DSettings settings, LoadedModel model)
      : device_(device),
        settings_(std::move(settings)),
        pipeline_(std::move(model.pipeline)),
        load_(std::move(model.load)) {}

  [[nodiscard]] std::string_view name() const override { return kHunyuan3DBackendName; }
  [[nodiscard]] std::optional<ModelLoad> model_load() const override { return load_; }
  [[nodiscard]] const gpu::Device& device() const override { return device_; }

  // The weights are resident already (loaded at creation): what a batch adds is each item's share
  // of the denoiser's activations (a CFG pair of the token sequence through the widest block) and
  // of the decoder's (one chunk of queries, the logit grid in float32 and the run dtype). The
  // optimizer's calibration corrects this from measurements.
  [[nodiscard]] gpu::MemoryNeed memory_need(const ShapeOptions& options) const override {
    const models::PipelineConfig& config = pipeline_->config();
    const auto element = static_cast<std::uint64_t>(c10::elementSize(pipeline_->dtype()));
    // The context: the DINO tokens of every view (a multi-view model's concatenated), beside the latents.
    const std::int64_t views = std::max<std::int64_t>(config.dino.views, 1);
    const auto tokens = static_cast<std::uint64_t>(config.vae.num_latents + config.dino.tokens() * views);
    std::uint64_t hidden = 2048;
    if (const auto* dit = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser))
      hidden = static_cast<std::uint64_t>(dit->hidden_size);
    const std::uint64_t denoiser = 2 * tokens * hidden * 16 * element;
    const auto points = static_cast<std::uint64_t>(options.resolution + 1);
    const std::uint64_t grid = points * points * points * (4 + element);
    const std::uint64_t chunk =
        static_cast<std::uint64_t>(settings_.num_chunks) * static_cast<std::uint64_t>(config.vae.width) * 12 * element;
    return {0, std::max(denoiser, chunk) + grid};
  }

  [[nodiscard]] Result<VolumeBatch> generate(std::span<const image::PreprocessedImage* const> images,
                                             const ShapeOptions& options, const StepProgress& progress,
                                             profiling::ScopeTargets profile) const override {
    VolumeBatch volumes(images.size());
    std::vector<at::Tensor> prepared;
    std::vector<std::size_t> items;  // which image each prepared tensor is
    for (std::size_t i = 0; i < images.size(); ++i) {
      if (images[i]->cutout.pixels.empty()) {
        volumes[i] = make_error(ErrorCode::kInvalidArgument,
                                "the hunyuan3d backend frames the object from its cut-out, which was not kept");
        continue;
      }
      Result<at::Tensor> tensor = engine::prepare_reference_image(images[i]->cutout);
      if (!tensor) {
        volumes[i] = tl::unexpected(tensor.error());
        continue;
      }
      prepared.push_back(std::move(*tensor));
      items.push_back(i);
    }
    if (prepared.empty()) return volumes;

    engine::GenerateOptions generate;
    if (settings_.steps > 0) generate.steps = settings_.steps;
    generate.guidance_scale = settings_.guidance_scale;
    generate.octree_resolution = options.resolution;
    generate.seed = settings_.seed;
    generate.num_chunks = settings_.num_chunks;
    generate.decoder =
        settings_.decoder == "hierarchical" ? engine::VolumeDecoder::kHierarchical : engine::VolumeDecoder::kDense;
    generate.unevaluated = engine::Unevaluated::kCoarseValue;  // a finite grid: no inner shells
    // Progress: the diffusion steps, then the decoding chunks (a dense grid's count; the
    // hierarchical decoder's own fraction mapped onto it).
    const auto steps = static_cast<std::size_t>(generate.steps.value_or(pipeline_->default_steps()));
    const double points = std::pow(static_cast<double>(options.resolution + 1), 3);
    const auto chunks = static_cast<std::size_t>(std::ceil(points / static_cast<double>(settings_.num_chunks)));
    const std::size_t total = steps + chunks;
    const engine::PhaseProgress phases = [&](std::string_view phase, std::size_t step, std::size_t of) {
      if (phase == "diffusion") report(progress, std::min(step, steps), total);
      if (phase == "decoding" && of > 0) report(progress, steps + (step * chunks + of - 1) / of, total);
    };

    // A multi-view model takes each image as its front view, the one view a single photo gives.
    at::Tensor batch = at::cat(prepared, 0);
    if (pipeline_->config().conditioner == models::ConditionerKind::kDinoImageEncoderMV) batch = batch.unsqueeze(1);
    ORFEAS_ASSIGN_OR_RETURN(const at::Tensor latents, pipeline_->latents(batch, generate, phases, profile));
    ORFEAS_ASSIGN_OR_RETURN(const at::Tensor logits, pipeline_->decode(latents, generate, phases, nullptr, profile));

    const int n = options.resolution + 1;
    GridGeometry grid;
    grid.nx = grid.ny = grid.nz = n;
    const auto bounds = static_cast<float>(generate.bounds);
    grid.origin = Vec3f{-bounds, -bounds, -bounds};
    // The reference maps grid index i to −b + i·2b/(R+1) (not /R): kept, so meshes match its.
    grid.spacing = static_cast<float>(2.0 * generate.bounds / (options.resolution + 1));
    const profiling::BatchScope handover(profile, "volume_handover");
    try {
      for (std::size_t b = 0; b < items.size(); ++b) {
        Result<gpu::DeviceScalarVolume> volume = gpu::allocate_volume(grid, *device_.pool, device_.stream);
        if (!volume) return tl::unexpected(volume.error());  // the batch does not fit: split it
        const at::Tensor item = logits[static_cast<std::int64_t>(b)];
        // Ours: negative inside, x fastest ([z][y][x]); the reference's: positive inside, [x][y][z].
        const at::Tensor ours = (-item).permute({2, 1, 0}).contiguous();
        at::Tensor target = at::from_blob(volume->data(), {n, n, n}, item.options().dtype(at::kFloat));
        target.copy_(ours);
        // Reading one value back waits for LibTorch's stream, so the pool's stream sees the copy.
        static_cast<void>(target[0][0][0].item<float>());
        volumes[items[b]] = std::move(*volume);
      }
    } catch (const c10::Error& e) {
      return tl::unexpected(engine::torch_error(e, "handing the volumes to mesh extraction"));
    }
    return volumes;
  }

 private:
  gpu::Device device_;
  Hunyuan3DSettings settings_;
  std::shared_ptr<const engine::Hunyuan3DPipeline> pipeline_;
  ModelLoad load_;
};

}  // namespace

Result<std::unique_ptr<ShapeBackend>> create_hunyuan3d_backend(const gpu::Device& device,
                                                               const Hunyuan3DSettings& settings) {
  if (settings.model_dir.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "the hunyuan3d backend needs a model folder (--model DIR: a hunyuan3d-dit-* folder with "
                      "config.yaml and model.fp16.safetensors)");
  if (settings.decoder != "dense" && settings.decoder != "hierarchical")
    return make_error(ErrorCode::kInvalidArgument,
                      "the decoder must be dense or hierarchical, not '" + settings.decoder + "'");
  if (settings.num_chunks < 1) return make_error(ErrorCode::kInvalidArgument, "num_chunks must be at least 1");
  ORFEAS_ASSIGN_OR_RETURN(const at::ScalarType dtype, run_dtype(settings.dtype, device.is_cuda()));
  at::Device where(at::kCPU);
  if (device.is_cuda()) {
    if (!at::hasCUDA())
      return make_error(ErrorCode::kUnavailable, "the hunyuan3d backend cannot run on " +
                                                     gpu::device_name(device.spec) +
                                                     ": this LibTorch has no CUDA (Debian's libtorch-dev is CPU-only)");
    where = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device.spec.ordinal));
  }
  ORFEAS_ASSIGN_OR_RETURN(LoadedModel model, shared_pipeline(settings.model_dir, where, dtype));
  return std::unique_ptr<ShapeBackend>(std::make_unique<Hunyuan3DBackend>(device, settings, std::move(model)));
}

}  // namespace orfeas::shape
