#include "orfeas/pipeline/pipeline.h"

#include "orfeas/shape/hunyuan3d_backend.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/host_memory_pool.h"
#include "orfeas/pipeline/stage_clock.h"
#include "orfeas/texture/vertex_colors.h"

namespace orfeas::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `fn` (returning a Status or Result), turning anything it throws into an error value:
// kOutOfMemory for host memory exhaustion, kInternal otherwise. Nothing thrown in a stage may end
// the process or the batch.
template <class Fn>
auto contained(std::string_view what, Fn&& fn) -> decltype(fn()) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kOutOfMemory, std::string(what) + ": out of host memory");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string(what) + ": " + e.what());
  }
}

// A stage run once for several jobs (shape generation, mesh extraction): each job's profiler scope
// and progress events, one shared wall time appended to every job's timings.
class BatchStage {
 public:
  BatchStage(std::string_view stage, std::span<const Job* const> jobs, std::vector<GenerateReport*> reports,
             void* stream)
      : stage_(stage), index_(stage_index(stage)), jobs_(jobs), reports_(std::move(reports)) {
    for (const Job* job : jobs_) {
      if (job->context.progress) job->context.progress({.stage = stage_, .index = index_});
      targets_.push_back({job->context.profiler, job->context.job});
    }
    scopes_.emplace(targets_, stage_, stream);
    start_ = Clock::now();
  }
  BatchStage(const BatchStage&) = delete;
  BatchStage& operator=(const BatchStage&) = delete;

  // Step k of n, heard by every job of the batch.
  [[nodiscard]] StepProgress step_progress() const {
    return [this](std::size_t step, std::size_t steps) {
      for (const Job* job : jobs_) {
        if (job->context.progress)
          job->context.progress({.stage = stage_, .index = index_, .step = step, .steps = steps});
      }
    };
  }

  // The jobs' profiles, for the stage's sub-stages (opened inside this stage's scopes).
  [[nodiscard]] profiling::ScopeTargets profile() const { return targets_; }

  // Closes the scopes and records the time; `succeeded(i)` says whether job i's part went well.
  template <class Succeeded>
  void finish(Succeeded&& succeeded) {
    const double seconds = seconds_since(start_);
    scopes_.reset();
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      reports_[i]->stages.push_back({std::string(stage_), seconds});
      if (jobs_[i]->context.progress && succeeded(i)) {
        jobs_[i]->context.progress({.stage = stage_, .index = index_, .done = true, .seconds = seconds});
      }
    }
  }

 private:
  std::string_view stage_;
  std::size_t index_;
  std::span<const Job* const> jobs_;
  std::vector<GenerateReport*> reports_;
  std::vector<profiling::ScopeTarget> targets_;
  std::optional<profiling::BatchScope> scopes_;
  Clock::time_point start_;
};

}  // namespace

std::size_t stage_index(std::string_view stage) {
  for (std::size_t i = 0; i < kStageNames.size(); ++i) {
    if (kStageNames[i] == stage) return i;
  }
  return kStageNames.size();
}

shape::ShapeOptions shape_options_at(const PipelineOptions& options, float size_mm) {
  shape::ShapeOptions shape = options.shape;
  const float longest_side = 2.0F * (1.0F - options.preprocess.border_ratio);  // model units
  shape.min_thickness = std::min(options.min_thickness_mm / size_mm * longest_side, longest_side);
  return shape;
}

Status check_output_path(const std::filesystem::path& output) {
  if (output.empty()) return make_error(ErrorCode::kInvalidArgument, "no output path given");
  std::error_code ec;
  if (std::filesystem::is_directory(output, ec)) {
    return make_error(ErrorCode::kIoError, "output path '" + output.string() + "' is a directory");
  }
  const std::filesystem::path parent = output.has_parent_path() ? output.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(parent, ec)) {
    return make_error(ErrorCode::kIoError, "output directory '" + parent.string() + "' does not exist");
  }
  if (!std::filesystem::is_directory(parent, ec)) {
    return make_error(ErrorCode::kIoError, "output directory '" + parent.string() + "' is not a directory");
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return make_error(ErrorCode::kIoError,
                      "cannot write to output directory '" + parent.string() + "': " + std::strerror(errno));
  }
  return ok();
}

struct Pipeline::Resources {
  std::unique_ptr<gpu::MemoryPool> pool;  // when the options gave none
  std::unique_ptr<gpu::Stream> stream;    // on a CUDA device
};

Pipeline::Pipeline(PipelineOptions options, std::unique_ptr<Resources> resources, gpu::Device device,
                   std::unique_ptr<shape::ShapeBackend> backend)
    : options_(std::move(options)), resources_(std::move(resources)), device_(device), backend_(std::move(backend)) {}

Pipeline::~Pipeline() {
  backend_.reset();  // before the pool and stream it borrows
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(const PipelineOptions& options) {
  ORFEAS_RETURN_IF_ERROR(shape::validate(options.shape));
  if (!std::isfinite(options.min_thickness_mm) || options.min_thickness_mm < 0.0F) {
    return make_error(ErrorCode::kInvalidArgument, "min_thickness_mm must be finite and ≥ 0");
  }
  ORFEAS_RETURN_IF_ERROR(validate(options.post));
  auto resources = std::make_unique<Resources>();
  gpu::Device device{options.device, options.pool, nullptr};
  const std::string where = gpu::device_name(options.device);
  if (options.device.kind == gpu::DeviceKind::kCuda) {
    if (device.pool == nullptr) {
      ORFEAS_ASSIGN_OR_RETURN_CTX(resources->pool, gpu::create_cuda_memory_pool(options.device.ordinal), where);
    }
    ORFEAS_ASSIGN_OR_RETURN_CTX(resources->stream, gpu::create_cuda_stream(options.device.ordinal), where);
    device.stream = resources->stream->native();
  } else if (device.pool == nullptr) {
    ORFEAS_ASSIGN_OR_RETURN(resources->pool, gpu::HostMemoryPool::create({}));
  }
  if (device.pool == nullptr) device.pool = resources->pool.get();
  ORFEAS_ASSIGN_OR_RETURN(auto backend, shape::create_shape_backend(options.backend, device, options.shape));
  PipelineOptions kept = options;
  // A backend that frames the object its own way starts from the decoded cut-out.
  if (options.backend == shape::kHunyuan3DBackendName) kept.preprocess.keep_cutout = true;
  return std::unique_ptr<Pipeline>(new Pipeline(kept, std::move(resources), device, std::move(backend)));
}

gpu::JobConfig Pipeline::job_config() const {
  std::string key = std::string(backend_->name()) + "/" + (device_.is_cuda() ? "cuda" : "cpu") + "/r" +
                    std::to_string(options_.shape.resolution);
  if (options_.backend == shape::kHunyuan3DBackendName) {  // per model, dtype and decoder
    const shape::Hunyuan3DSettings& h = options_.shape.hunyuan3d;
    key += "/" + h.model_dir.filename().string() + "/" + h.dtype + "/" + h.decoder;
  }
  return {key, backend_->memory_need(options_.shape) + mesh::surface_memory_need(shape::volume_grid(options_.shape))};
}

Result<image::PreprocessedImage> Pipeline::image_preprocessing(const std::filesystem::path& input) const {
  return image::preprocess_image_file(input, options_.preprocess);
}

Result<image::PreprocessedImage> Pipeline::image_preprocessing(const std::filesystem::path& input,
                                                               const std::filesystem::path& mask) const {
  if (mask.empty()) return image_preprocessing(input);
  return image::preprocess_image_file(input, mask, options_.preprocess);
}

Result<image::PreprocessedImage> Pipeline::image_preprocessing(std::span<const std::uint8_t> bytes) const {
  return image::preprocess_image(bytes, options_.preprocess);
}

Result<shape::VolumeBatch> Pipeline::shape_generation(std::span<const image::PreprocessedImage* const> images,
                                                      const StepProgress& progress,
                                                      profiling::ScopeTargets profile) const {
  return shape_generation(images, shape_options_at(options_, options_.output.size_mm), progress, profile);
}

Result<shape::VolumeBatch> Pipeline::shape_generation(std::span<const image::PreprocessedImage* const> images,
                                                      const shape::ShapeOptions& shape, const StepProgress& progress,
                                                      profiling::ScopeTargets profile) const {
  ORFEAS_RETURN_IF_ERROR(shape::validate(shape));
  return contained("shape generation", [&] { return backend_->generate(images, shape, progress, profile); });
}

Result<shape::VolumeBatch> Pipeline::grouped_shape_generation(
    std::span<const Job> jobs, std::span<const std::optional<image::PreprocessedImage>> images,
    std::span<const std::size_t> live, const StepProgress& progress, profiling::ScopeTargets profile) const {
  // Jobs exported at other sizes need another minimum thickness in model units: one backend call
  // per distinct set of shape options, in order of first appearance; the volumes in `live`'s order.
  std::vector<shape::ShapeOptions> options(live.size());
  for (std::size_t n = 0; n < live.size(); ++n) {
    options[n] = shape_options_at(options_, jobs[live[n]].size_mm.value_or(options_.output.size_mm));
  }
  shape::VolumeBatch volumes;
  for (std::size_t n = 0; n < live.size(); ++n) volumes.emplace_back(make_error(ErrorCode::kInternal, "not generated"));
  std::vector<bool> done(live.size(), false);
  std::size_t finished = 0;
  for (std::size_t first = 0; first < live.size(); ++first) {
    if (done[first]) continue;
    std::vector<std::size_t> group;  // positions in `live`
    for (std::size_t n = first; n < live.size(); ++n) {
      if (!done[n] && options[n].min_thickness == options[first].min_thickness) group.push_back(n);
    }
    std::vector<const image::PreprocessedImage*> group_images;
    std::vector<profiling::ScopeTarget> group_profile;
    for (const std::size_t n : group) {
      group_images.push_back(&*images[live[n]]);
      if (n < profile.size()) group_profile.push_back(profile[n]);
    }
    // Progress over the whole batch: the groups before this one count as done.
    const StepProgress group_progress = [&, before = finished, size = group.size()](std::size_t step,
                                                                                    std::size_t steps) {
      if (progress && steps > 0) progress(before + step * size / steps, live.size());
    };
    ORFEAS_ASSIGN_OR_RETURN(shape::VolumeBatch part,
                            shape_generation(group_images, options[first], group_progress, group_profile));
    for (std::size_t k = 0; k < group.size(); ++k) {
      volumes[group[k]] = std::move(part[k]);
      done[group[k]] = true;
    }
    finished += group.size();
  }
  return volumes;
}

Result<mesh::MeshBatch> Pipeline::mesh_extraction(std::span<const gpu::DeviceScalarVolume* const> volumes,
                                                  const StepProgress& progress, profiling::ScopeTargets profile) const {
  return contained("mesh extraction", [&] { return mesh::extract_surfaces(device_, volumes, {}, progress, profile); });
}

Result<PostProcessStats> Pipeline::post_processing(mesh::Mesh& mesh) const {
  return post_process(mesh, options_.post);
}

Result<PostProcessStats> Pipeline::post_processing(mesh::Mesh& mesh, const PostProcessOptions& post) const {
  return post_process(mesh, post);
}

Status Pipeline::texture_synthesis(mesh::Mesh& mesh, const image::PreprocessedImage& image) const {
  return texture::synthesize_vertex_colors(mesh, image.canvas, image.mask, options_.colours);
}

Status Pipeline::export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output,
                             exporter::Format format) const {
  return exporter::export_mesh(mesh, output, format, options_.output);
}

Status Pipeline::export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output, exporter::Format format,
                             const exporter::ExportOptions& output_options) const {
  return exporter::export_mesh(mesh, output, format, output_options);
}

Result<GenerateReport> Pipeline::generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                          const ProgressCallback& progress) const {
  ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, exporter::format_from_path(output));
  RunContext context;
  context.progress = progress;
  return generate(input, output, format, context);
}

Result<GenerateReport> Pipeline::generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                          exporter::Format format, const RunContext& context) const {
  Job job;
  job.input = input;
  job.output = output;
  job.format = format;
  job.context = context;
  ORFEAS_ASSIGN_OR_RETURN(std::vector<JobResult> results, run_batch(std::span<const Job>(&job, 1)));
  if (!results.front().status) return tl::unexpected(results.front().status.error());
  return std::move(results.front().report);
}

Result<std::vector<JobResult>> Pipeline::run_batch(std::span<const Job> jobs) const {
  const auto start = Clock::now();
  std::vector<JobResult> results(jobs.size());
  std::vector<std::optional<image::PreprocessedImage>> images(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    results[i].report.output = jobs[i].output;
    results[i].report.format = jobs[i].format;
  }

  // Per image, side by side: the output path, then decode, mask and recentre.
  parallel_for(0, jobs.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      StageClock clock(jobs[i].context, results[i].report.stages);
      results[i].status = contained(kImagePreprocessing, [&]() -> Status {
        ORFEAS_RETURN_IF_ERROR(check_output_path(jobs[i].output));
        ORFEAS_ASSIGN_OR_RETURN(images[i], clock.run(kImagePreprocessing,
                                                     [&] { return image_preprocessing(jobs[i].input, jobs[i].mask); }));
        results[i].report.mask_doubt = images[i]->mask_doubt;
        return ok();
      });
    }
  });

  // The batch on the device: the jobs still going, their volumes, then their surfaces.
  std::vector<std::size_t> live;  // indices into `jobs`
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (results[i].status) live.push_back(i);
  }
  const auto live_jobs = [&] {
    std::vector<const Job*> out;
    for (std::size_t i : live) out.push_back(&jobs[i]);
    return out;
  };
  const auto live_reports = [&] {
    std::vector<GenerateReport*> out;
    for (std::size_t i : live) out.push_back(&results[i].report);
    return out;
  };
  // Drops the jobs whose item failed, recording its error.
  const auto keep_succeeded = [&](const auto& items) {
    std::vector<std::size_t> kept;
    for (std::size_t n = 0; n < live.size(); ++n) {
      if (items[n]) {
        kept.push_back(live[n]);
      } else {
        results[live[n]].status = tl::unexpected(items[n].error());
      }
    }
    live = std::move(kept);
  };
  // Drops the jobs whose caller asked them to stop, recording why.
  const auto drop_stopped = [&] {
    std::vector<std::size_t> kept;
    for (const std::size_t i : live) {
      const StopCheck& stop = jobs[i].context.stop;
      if (Status go = stop ? contained("stop check", stop) : ok(); go) {
        kept.push_back(i);
      } else {
        results[i].status = std::move(go);
      }
    }
    live = std::move(kept);
  };
  // A batched stage over the jobs still going, with their scopes, progress and timings. The batch's
  // kOutOfMemory comes back for the caller to return (the batch is split); any other batch error
  // fails every job still going.
  const auto run_batched = [&](std::string_view stage, const auto& fn) {
    const std::vector<const Job*> stage_jobs = live_jobs();
    BatchStage clock(stage, stage_jobs, live_reports(), device_.stream);
    auto items = fn(clock.step_progress(), clock.profile());
    clock.finish([&](std::size_t n) { return items && (*items)[n].has_value(); });
    if (!items && items.error().code() != ErrorCode::kOutOfMemory) {
      for (std::size_t i : live) results[i].status = tl::unexpected(items.error());
      live.clear();
    }
    return items;
  };
  std::vector<mesh::Mesh> meshes(jobs.size());
  drop_stopped();
  if (!live.empty()) {
    Result<shape::VolumeBatch> volumes =
        run_batched(kShapeGeneration, [&](const StepProgress& progress, profiling::ScopeTargets profile) {
          return grouped_shape_generation(jobs, images, live, progress, profile);
        });
    if (!volumes && volumes.error().code() == ErrorCode::kOutOfMemory) return tl::unexpected(volumes.error());
    if (volumes) {
      std::vector<const gpu::DeviceScalarVolume*> volume_of(jobs.size(), nullptr);
      for (std::size_t n = 0; n < live.size(); ++n) {
        if ((*volumes)[n]) volume_of[live[n]] = &*(*volumes)[n];
      }
      keep_succeeded(*volumes);
      drop_stopped();
      std::vector<const gpu::DeviceScalarVolume*> batch_volumes;
      for (const std::size_t i : live) batch_volumes.push_back(volume_of[i]);
      if (!live.empty()) {
        Result<mesh::MeshBatch> surfaces =
            run_batched(kMeshExtraction, [&](const StepProgress& progress, profiling::ScopeTargets profile) {
              return mesh_extraction(batch_volumes, progress, profile);
            });
        if (!surfaces && surfaces.error().code() == ErrorCode::kOutOfMemory) return tl::unexpected(surfaces.error());
        if (surfaces) {
          for (std::size_t n = 0; n < live.size(); ++n) {
            if ((*surfaces)[n]) meshes[live[n]] = std::move(*(*surfaces)[n]);
          }
          keep_succeeded(*surfaces);
        }
      }
    }
    // The volumes (the batch's largest allocation) go back to the pool here.
  }

  // Per image again, side by side: clean-up, colours, export.
  parallel_for(0, live.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      const std::size_t i = live[n];
      GenerateReport& report = results[i].report;
      mesh::Mesh& mesh = meshes[i];
      StageClock clock(jobs[i].context, report.stages);
      PostProcessOptions post = options_.post;
      if (jobs[i].target_faces) post.target_faces = *jobs[i].target_faces;
      exporter::ExportOptions output = options_.output;
      if (jobs[i].size_mm) output.size_mm = *jobs[i].size_mm;
      post.base.mode = meshtools::resolve_base_mode(jobs[i].base.value_or(post.base.mode), jobs[i].format);
      post.base.size_mm = output.size_mm;
      results[i].status = contained("post-processing and export", [&]() -> Status {
        ORFEAS_ASSIGN_OR_RETURN(report.post, clock.run(kPostProcessing, [&] { return post_processing(mesh, post); }));
        ORFEAS_RETURN_IF_ERROR(clock.run(kTextureSynthesis, [&] { return texture_synthesis(mesh, *images[i]); }));
        ORFEAS_RETURN_IF_ERROR(
            clock.run(kExport, [&] { return export_mesh(mesh, jobs[i].output, jobs[i].format, output); }));
        return ok();
      });
      report.vertices = mesh.positions.size();
      report.faces = mesh.triangles.size();
      mesh = mesh::Mesh{};
      images[i].reset();
    }
  });
  const double total = seconds_since(start);
  for (JobResult& result : results) result.report.total_seconds = total;
  return results;
}

}  // namespace orfeas::pipeline
