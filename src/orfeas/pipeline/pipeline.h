// The image-to-mesh pipeline: one path for the CLI, the benchmarks and (later) the server.
//
//   image_preprocessing → shape_generation → mesh_extraction → post_processing
//     → texture_synthesis → export
//
//   PipelineOptions options;  options.shape.resolution = 256;
//   ORFEAS_ASSIGN_OR_RETURN(auto pipeline, Pipeline::create(options));
//   ORFEAS_ASSIGN_OR_RETURN(GenerateReport report, pipeline->generate("cat.png", "cat.stl", on_progress));
//
// Each stage is also callable on its own, with its own input and output types, so tests and
// benchmarks can time or replace one stage. `generate` validates the output path and format before
// doing any work, and writes atomically: on any error no output file exists.
//
// Thread-safety: a Pipeline is immutable after create(); its methods may run concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/export/export.h"
#include "orfeas/image/preprocess.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/pipeline/post_processing.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/shape/shape_backend.h"
#include "orfeas/shape/volume.h"

namespace orfeas::pipeline {

inline constexpr std::string_view kImagePreprocessing = "image_preprocessing";
inline constexpr std::string_view kShapeGeneration = "shape_generation";
inline constexpr std::string_view kMeshExtraction = "mesh_extraction";
inline constexpr std::string_view kPostProcessing = "post_processing";
inline constexpr std::string_view kTextureSynthesis = "texture_synthesis";
inline constexpr std::string_view kExport = "export";
inline constexpr std::array<std::string_view, 6> kStageNames = {
    kImagePreprocessing, kShapeGeneration, kMeshExtraction, kPostProcessing, kTextureSynthesis, kExport};

struct PipelineOptions {
  image::PreprocessOptions preprocess;
  std::string backend = "inflate";
  shape::ShapeOptions shape;
  PostProcessOptions post;
  exporter::ExportOptions output;
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
};

// Called on the calling thread when a stage starts (`done` false) and when it ends (`done` true,
// with its duration).
struct ProgressEvent {
  std::string_view stage;
  std::size_t index = 0;  // 0-based position in kStageNames
  bool done = false;
  double seconds = 0.0;
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

// What a caller may attach to one run: progress events and a profiler job whose stage scopes the
// run opens (one per stage, named as in kStageNames).
struct RunContext {
  ProgressCallback progress;
  profiling::Profiler* profiler = nullptr;  // borrowed; nullptr: no profiling
  profiling::JobId job = profiling::kNoJob;
};

class Pipeline {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Pipeline>> create(const PipelineOptions& options);

  // The whole job: read `input`, write `output` in the format its extension names.
  [[nodiscard]] Result<GenerateReport> generate(const std::filesystem::path& input,
                                                const std::filesystem::path& output,
                                                const ProgressCallback& progress = {}) const;
  // Same, with the format given explicitly (the output path's extension is not consulted).
  [[nodiscard]] Result<GenerateReport> generate(const std::filesystem::path& input,
                                                const std::filesystem::path& output, exporter::Format format,
                                                const RunContext& context) const;

  // The stages, one by one.
  [[nodiscard]] Result<image::PreprocessedImage> image_preprocessing(const std::filesystem::path& input) const;
  [[nodiscard]] Result<image::PreprocessedImage> image_preprocessing(std::span<const std::uint8_t> bytes) const;
  [[nodiscard]] Result<shape::ScalarVolume> shape_generation(const image::PreprocessedImage& image) const;
  [[nodiscard]] Result<mesh::Mesh> mesh_extraction(const shape::ScalarVolume& volume) const;
  [[nodiscard]] Result<PostProcessStats> post_processing(mesh::Mesh& mesh) const;
  [[nodiscard]] Status texture_synthesis(mesh::Mesh& mesh, const image::PreprocessedImage& image) const;
  [[nodiscard]] Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output,
                                   exporter::Format format) const;

  [[nodiscard]] const PipelineOptions& options() const { return options_; }

 private:
  Pipeline(PipelineOptions options, std::unique_ptr<shape::ShapeBackend> backend)
      : options_(std::move(options)), backend_(std::move(backend)) {}

  PipelineOptions options_;
  std::unique_ptr<shape::ShapeBackend> backend_;
};

// Checks that `output` can be created: its directory exists, is a directory and is writable, and
// `output` itself is not a directory. Done before any work so a bad path fails in milliseconds.
[[nodiscard]] Status check_output_path(const std::filesystem::path& output);

}  // namespace orfeas::pipeline
