#include "orfeas/pipeline/pipeline.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <utility>

#include "orfeas/mesh/normals.h"
#include "orfeas/pipeline/stage_clock.h"
#include "orfeas/texture/vertex_colors.h"

namespace orfeas::pipeline {
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

Result<std::unique_ptr<Pipeline>> Pipeline::create(const PipelineOptions& options) {
  ORFEAS_RETURN_IF_ERROR(shape::validate(options.shape));
  ORFEAS_RETURN_IF_ERROR(validate(options.post));
  ORFEAS_ASSIGN_OR_RETURN(auto backend, shape::create_shape_backend(options.backend));
  return std::unique_ptr<Pipeline>(new Pipeline(options, std::move(backend)));
}

Result<image::PreprocessedImage> Pipeline::image_preprocessing(const std::filesystem::path& input) const {
  return image::preprocess_image_file(input, options_.preprocess);
}

Result<image::PreprocessedImage> Pipeline::image_preprocessing(std::span<const std::uint8_t> bytes) const {
  return image::preprocess_image(bytes, options_.preprocess);
}

Result<shape::ScalarVolume> Pipeline::shape_generation(const image::PreprocessedImage& image) const {
  return backend_->generate(image.canvas, image.mask, options_.shape);
}

Result<mesh::Mesh> Pipeline::mesh_extraction(const shape::ScalarVolume& volume) const {
  ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh mesh, mesh::marching_cubes(volume));
  if (mesh.empty()) {
    return make_error(ErrorCode::kNoForeground, "the shape is too small for the grid: no surface was found");
  }
  mesh::compute_vertex_normals(mesh);
  return mesh;
}

Result<PostProcessStats> Pipeline::post_processing(mesh::Mesh& mesh) const {
  return post_process(mesh, options_.post);
}

Status Pipeline::texture_synthesis(mesh::Mesh& mesh, const image::PreprocessedImage& image) const {
  return texture::synthesize_vertex_colors(mesh, image.canvas, image.mask);
}

Status Pipeline::export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& output,
                             exporter::Format format) const {
  return exporter::export_mesh(mesh, output, format, options_.output);
}

Result<GenerateReport> Pipeline::generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                          const ProgressCallback& progress) const {
  ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, exporter::format_from_path(output));
  return generate(input, output, format, RunContext{.progress = progress});
}

Result<GenerateReport> Pipeline::generate(const std::filesystem::path& input, const std::filesystem::path& output,
                                          exporter::Format format, const RunContext& context) const {
  ORFEAS_RETURN_IF_ERROR(check_output_path(output));
  GenerateReport report;
  report.output = output;
  report.format = format;
  StageClock clock(context, report.stages);
  const auto start = std::chrono::steady_clock::now();

  ORFEAS_ASSIGN_OR_RETURN(const image::PreprocessedImage image,
                          clock.run(kImagePreprocessing, [&] { return image_preprocessing(input); }));
  mesh::Mesh mesh;
  {
    // The volume is the largest allocation of the job (4·(resolution+1)^3 bytes): free it as soon
    // as the surface is out.
    ORFEAS_ASSIGN_OR_RETURN(const shape::ScalarVolume volume,
                            clock.run(kShapeGeneration, [&] { return shape_generation(image); }));
    ORFEAS_ASSIGN_OR_RETURN(mesh, clock.run(kMeshExtraction, [&] { return mesh_extraction(volume); }));
  }
  ORFEAS_ASSIGN_OR_RETURN(report.post, clock.run(kPostProcessing, [&] { return post_processing(mesh); }));
  ORFEAS_RETURN_IF_ERROR(clock.run(kTextureSynthesis, [&] { return texture_synthesis(mesh, image); }));
  ORFEAS_RETURN_IF_ERROR(clock.run(kExport, [&] { return export_mesh(mesh, output, format); }));
  report.vertices = mesh.positions.size();
  report.faces = mesh.triangles.size();
  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace orfeas::pipeline
