// Times each pipeline stage for one image at several grid resolutions.
//
//   build/release/bin/orfeas_pipeline_bench [IMAGE] [--repeats N] [--resolutions 128,256,384]
//                                          [--faces N] [--format stl]
//
// Every stage runs `repeats` times after one warm-up run; the table gives the median of each stage
// and of the end-to-end total, in milliseconds, as Markdown for docs/benchmarks.md.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_support.h"
#include "orfeas/core/parallel.h"
#include "orfeas/export/format.h"
#include "orfeas/pipeline/pipeline.h"

using namespace orfeas;
using namespace orfeas::bench;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  fs::path image_path = fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png";
  int repeats = 5;
  std::vector<int> resolutions = {128, 256, 384};
  std::size_t faces = pipeline::PipelineOptions{}.post.target_faces;
  std::string format_name = "stl";
  CLI::App app{"Times each pipeline stage for one image at several grid resolutions", "orfeas_pipeline_bench"};
  app.add_option("image", image_path, "Input image")->capture_default_str();
  add_repeats_option(app, repeats);
  add_list_option(app, "--resolutions", resolutions, "Grid cells per axis");
  app.add_option("--faces", faces, "Target face count for simplification (0 keeps all)")->capture_default_str();
  app.add_option("--format", format_name, "Output format")->capture_default_str();
  parse_or_exit(app, argc, argv);

  const exporter::Format format = value_or_die(exporter::parse_format(format_name));
  const fs::path output = fs::temp_directory_path() / ("orfeas_bench." + format_name);

  std::printf("image: %s, repeats: %d (median), threads: %zu, faces: %zu, format: %s\n\n", image_path.c_str(), repeats,
              worker_count(), faces, format_name.c_str());
  std::printf(
      "| grid | image_preprocessing | shape_generation | mesh_extraction | post_processing | texture_synthesis | "
      "export | total | faces |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (int resolution : resolutions) {
    pipeline::PipelineOptions options;
    options.shape.resolution = resolution;
    options.post.target_faces = faces;
    const auto pipe = value_or_die(pipeline::Pipeline::create(options));
    std::vector<std::vector<double>> stage_ms(pipeline::kStageNames.size());
    std::vector<double> total_ms;
    std::size_t face_count = 0;
    for (int run = 0; run <= repeats; ++run) {
      std::vector<double> t(pipeline::kStageNames.size());
      image::PreprocessedImage pre;
      mesh::Mesh mesh;
      t[0] = time_ms([&] { pre = value_or_die(pipe->image_preprocessing(image_path)); });
      {
        const image::PreprocessedImage* images[] = {&pre};
        shape::VolumeBatch volumes;
        t[1] = time_ms([&] { volumes = value_or_die(pipe->shape_generation(images)); });
        const gpu::DeviceScalarVolume volume = value_or_die(std::move(volumes.front()));
        const gpu::DeviceScalarVolume* batch[] = {&volume};
        mesh::MeshBatch meshes;
        t[2] = time_ms([&] { meshes = value_or_die(pipe->mesh_extraction(batch)); });
        mesh = value_or_die(std::move(meshes.front()));
      }
      t[3] = time_ms([&] { value_or_die(pipe->post_processing(mesh)); });
      t[4] = time_ms([&] { ok_or_die(pipe->texture_synthesis(mesh, pre)); });
      t[5] = time_ms([&] { ok_or_die(pipe->export_mesh(mesh, output, format)); });
      face_count = mesh.triangles.size();
      if (run == 0) continue;  // warm-up
      double total = 0.0;
      for (std::size_t s = 0; s < t.size(); ++s) {
        stage_ms[s].push_back(t[s]);
        total += t[s];
      }
      total_ms.push_back(total);
    }
    std::printf("| %d³ |", resolution);
    for (const auto& samples : stage_ms) std::printf(" %.1f |", median(samples));
    std::printf(" **%.1f** | %zu |\n", median(total_ms), face_count);
  }
  fs::remove(output);
  return 0;
}
