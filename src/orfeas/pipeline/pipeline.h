// The image-to-mesh pipeline: one path for the CLI, the batch processor, the benchmarks and (later)
// the server, on the CPU or a CUDA device alike.
//
//   image_preprocessing → shape_generation → mesh_extraction → post_processing
//     → texture_synthesis → export
//
//   PipelineOptions options;  options.shape.resolution = 256;  options.device = {gpu::DeviceKind::kCuda, 0};
//   ORFEAS_ASSIGN_OR_RETURN(auto pipeline, Pipeline::create(options));
//   ORFEAS_ASSIGN_OR_RETURN(GenerateReport report, pipeline->generate("cat.png", "cat.stl", on_progress));
//
// A batch (run_batch) takes every job through every stage: the per-image stages (decode … export)
// run job by job, side by side on the CPU; shape generation and mesh extraction run for the whole
// batch at once on the pipeline's device, the batch's volumes resident together in its memory pool.
// Whatever the device, each job records the same stage names (kStageNames), so CPU and GPU profiles
// compare side by side. generate() is a batch of one.
//
// Each stage is also callable on its own, with its own input and output types, so tests and
// benchmarks can time or replace one stage. A job's output path is checked before any work, and
// written atomically: on any error no output file exists. Nothing a stage throws escapes: host
// memory exhaustion is the job's kOutOfMemory (or the batch's, in the batched stages).
//
// Thread-safety: a Pipeline is immutable after create(); its methods may run concurrently (device
// work of concurrent batches is serialised on the pipeline's stream).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/progress.h"
#include "orfeas/core/status.h"
#include "orfeas/export/export.h"
#include "orfeas/gpu/device.h"
#include "orfeas/gpu/memory_need.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/image/preprocess.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/mesh/surface_extraction.h"
#include "orfeas/pipeline/post_processing.h"
#include "orfeas/profiling/batch_scope.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/shape/shape_backend.h"
#include "orfeas/texture/vertex_colors.h"

namespace orfeas::pipeline {

inline constexpr std::string_view kImagePreprocessing = "image_preprocessing";
inline constexpr std::string_view kShapeGeneration = "shape_generation";
inline constexpr std::string_view kMeshExtraction = "mesh_extraction";
inline constexpr std::string_view kPostProcessing = "post_processing";
inline constexpr std::string_view kTextureSynthesis = "texture_synthesis";
inline constexpr std::string_view kExport = "export";
inline constexpr std::array<std::string_view, 6> kStageNames = {kImagePreprocessing, kShapeGeneration,  kMeshExtraction,
                                                                kPostProcessing,     kTextureSynthesis, kExport};

struct PipelineOptions {
  image::PreprocessOptions preprocess;
  std::string backend = "inflate";
  shape::ShapeOptions shape;
  PostProcessOptions post;
  texture::ColourOptions colours;  // texture_synthesis: the sides' and the back's colours
  exporter::ExportOptions output;
  // inflate: the least front-to-back thickness of the object's inner parts in the exported model,
  // millimetres at the job's size_mm (0: none). shape.min_thickness is derived from it per job
  // (shape_options_at).
  float min_thickness_mm = 2.0F;
  // Where shape generation and mesh extraction run.
  gpu::DeviceSpec device;
  // The device's memory pool (borrowed; must outlive the pipeline), e.g. a HostMemoryPool with a
  // capacity in tests. Null: the pipeline makes its own (host on the CPU, CUDA on a GPU).
  gpu::MemoryPool* pool = nullptr;
};

struct StageTiming {
  std::string name;
  double seconds = 0.0;
};

struct GenerateReport {
  std::filesystem::path output;
  exporter::Format format = exporter::Format::kStl;
  std::vector<StageTiming> stages;  // in execution order
  double total_seconds = 0.0;
  std::size_t vertices = 0;
  std::size_t faces = 0;
  PostProcessStats post;
  std::string mask_doubt;  // why the detected mask is doubtful (preprocess.h), when the run went on anyway
};

// A stage starts (`done` false, step 0), advances within itself (`done` false, step k of `steps`:
// diffusion steps, decoding chunks, items of a batch) and ends (`done` true, with its duration).
// Called on the thread running the stage: a job's per-image stages run on a worker thread.
struct ProgressEvent {
  std::string_view stage;
  std::size_t index = 0;  // 0-based position in kStageNames
  bool done = false;
  double seconds = 0.0;  // when done
  std::size_t step = 0;  // within the stage: `step` of `steps` done (0 of 0: no step reported yet)
  std::size_t steps = 0;
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

// Asked before every stage of a job (and before each batched stage for every job in it): ok() to
// go on, or the error that stops the job there (kCancelled, kDeadlineExceeded). A stopped job keeps
// that error and writes no output. Called on the thread running the job's stage; must be cheap.
using StopCheck = std::function<Status()>;

// What a caller may attach to one job: progress events, a profiler job whose stage scopes the run
// opens (one per stage, named as in kStageNames), and a way to stop it between stages.
struct RunContext {
  ProgressCallback progress;
  profiling::Profiler* profiler = nullptr;  // borrowed; nullptr: no profiling
  profiling::JobId job = profiling::kNoJob;
  StopCheck stop;  // empty: the job always runs to its end
};

// One job of a batch: read `input`, write `output` in `format`.
struct Job {
  std::filesystem::path input;
  std::filesystem::path output;
  exporter::Format format = exporter::Format::kStl;
  RunContext context;
  // Per-job settings over the pipeline's options, so jobs that differ only in these share a batch.
  std::optional<float> size_mm;             // the export's size_mm
  std::optional<std::size_t> target_faces;  // post-processing's face budget (0: none)
  std::filesystem::path mask;               // the user's mask file (image/user_mask.h); empty: detected
  std::optional<meshtools::BaseMode> base;  // post-processing's base; kAuto resolved by `format`
};

struct JobResult {
  Status status;          // the job's error, if it failed
  GenerateReport report;  // its stages so far, and the rest when it succeeded
};

class Pipeline {
 public:
  // kInvalidArgument for bad options, kUnavailable when the device (or the backend on it) is not
  // present in this build or on this machine.
  [[nodiscard]] static Result<std::unique_ptr<Pipeline>> create(const PipelineOptions& options);

  // The whole job: read `input`, write `output` in the format its extension names.
  [[nodiscard]] Result<GenerateReport> generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                                const ProgressCallback& progress = {}) const;
  // Same, with the format given explicitly (the output path's extension is not consulted).
  [[nodiscard]] Result<GenerateReport> generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                                exporter::Format format, const RunContext& context) const;

  // Every job of a batch through every stage; one result per job, in order. The outer error is the
  // batch's: kOutOfMemory when its volumes or meshes did not fit the device's pool together — then
  // no job was written, and the caller may split the batch and retry.
  [[nodiscard]] Result<std::vector<JobResult>> run_batch(std::span<const Job> jobs) const;

  // The stages, one by one.
  [[nodiscard]] Result<image::PreprocessedImage> image_preprocessing(const std::filesystem::path& input) const;
  // With the user's mask file instead of the detected foreground (empty `mask`: detected).
  [[nodiscard]] Result<image::PreprocessedImage> image_preprocessing(const std::filesystem::path& input,
                                                                     const std::filesystem::path& mask) const;
  [[nodiscard]] Result<image::PreprocessedImage> image_preprocessing(std::span<const std::uint8_t> bytes) const;
  // `profile`: the jobs whose profiles get the stage's sub-stages (conditioning, diffusion steps,
  // marching cubes, …); opened on the calling thread, inside the caller's stage scopes. With the
  // shape options for the pipeline's output size, or with `shape`.
  [[nodiscard]] Result<shape::VolumeBatch> shape_generation(std::span<const image::PreprocessedImage* const> images,
                                                            const StepProgress& progress = {},
                                                            profiling::ScopeTargets profile = {}) const;
  [[nodiscard]] Result<shape::VolumeBatch> shape_generation(std::span<const image::PreprocessedImage* const> images,
                                                            const shape::ShapeOptions& shape,
                                                            const StepProgress& progress = {},
                                                            profiling::ScopeTargets profile = {}) const;
  [[nodiscard]] Result<mesh::MeshBatch> mesh_extraction(std::span<const gpu::DeviceScalarVolume* const> volumes,
                                                        const StepProgress& progress = {},
                                                        profiling::ScopeTargets profile = {}) const;
  [[nodiscard]] Result<PostProcessStats> post_processing(mesh::Mesh& mesh) const;
  [[nodiscard]] Result<PostProcessStats> post_processing(mesh::Mesh& mesh, const PostProcessOptions& post) const;
  [[nodiscard]] Status texture_synthesis(mesh::Mesh& mesh, const image::PreprocessedImage& image) const;
  [[nodiscard]] Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output,
                                   exporter::Format format) const;
  [[nodiscard]] Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output, exporter::Format format,
                                   const exporter::ExportOptions& output_options) const;

  // The configuration as the optimizer sees it: a calibration key ("inflate/cuda/r256") and what
  // a batch needs on the device, as the shape backend and mesh extraction state it.
  [[nodiscard]] gpu::JobConfig job_config() const;
  [[nodiscard]] const gpu::Device& device() const { return device_; }
  [[nodiscard]] const shape::ShapeBackend& backend() const { return *backend_; }
  [[nodiscard]] gpu::MemoryPool& memory_pool() const { return *device_.pool; }
  [[nodiscard]] const PipelineOptions& options() const { return options_; }

  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

 private:
  struct Resources;  // the pool and stream the pipeline owns
  Pipeline(PipelineOptions options, std::unique_ptr<Resources> resources, gpu::Device device,
           std::unique_ptr<shape::ShapeBackend> backend);

  // shape_generation for the live jobs of a batch, each at its own export size.
  [[nodiscard]] Result<shape::VolumeBatch> grouped_shape_generation(
      std::span<const Job> jobs, std::span<const std::optional<image::PreprocessedImage>> images,
      std::span<const std::size_t> live, const StepProgress& progress, profiling::ScopeTargets profile) const;

  PipelineOptions options_;
  std::unique_ptr<Resources> resources_;
  gpu::Device device_;
  std::unique_ptr<shape::ShapeBackend> backend_;
};

// The shape options of a job exported with its longest side `size_mm`: options.shape with
// min_thickness = min_thickness_mm in model units. Preprocessing scales the object's longer side on
// the canvas to 2·(1 − border_ratio) model units, taken as the mesh's longest side (it is not when
// the inflated depth is longer: a squat or thick object then prints a little thinner than asked);
// at most that side.
[[nodiscard]] shape::ShapeOptions shape_options_at(const PipelineOptions& options, float size_mm);

// Checks that `output` can be created: its directory exists, is a directory and is writable, and
// `output` itself is not a directory. Done before any work so a bad path fails in milliseconds.
[[nodiscard]] Status check_output_path(const std::filesystem::path& output);

}  // namespace orfeas::pipeline
