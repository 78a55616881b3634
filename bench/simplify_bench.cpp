// Times mesh simplification on the inflated duck: the surface the pipeline extracts from an image
// (by default examples/duck.png at grid 256, about 245 000 faces) simplified to a face budget.
//
//   build/release/bin/orfeas_simplify_bench [IMAGE] [--resolution 256] [--faces 50000] [--repeats 9]
//
// The surface is built once, as the pipeline builds it (preprocessing, shape generation, mesh
// extraction on the CPU); then simplify_mesh runs `repeats` times after one warm-up run on a fresh
// copy each time. Prints min / median / max in milliseconds, the faces reached and whether the
// result is closed (watertight, manifold) and consistently oriented with the input's Euler
// characteristic. No assertions: results go to docs/benchmarks.md.
#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "orfeas/core/parallel.h"
#include "orfeas/mesh/simplify.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/pipeline/pipeline.h"

namespace {

using namespace orfeas;
using namespace orfeas::bench;
namespace fs = std::filesystem;

// The surface mesh_extraction hands to post-processing.
mesh::Mesh extract_surface(const fs::path& image_path, int resolution) {
  pipeline::PipelineOptions options;
  options.shape.resolution = resolution;
  const auto pipe = value_or_die(pipeline::Pipeline::create(options));
  const image::PreprocessedImage pre = value_or_die(pipe->image_preprocessing(image_path));
  const image::PreprocessedImage* images[] = {&pre};
  shape::VolumeBatch volumes = value_or_die(pipe->shape_generation(images));
  const gpu::DeviceScalarVolume volume = value_or_die(std::move(volumes.front()));
  const gpu::DeviceScalarVolume* batch[] = {&volume};
  mesh::MeshBatch meshes = value_or_die(pipe->mesh_extraction(batch));
  return value_or_die(std::move(meshes.front()));
}

}  // namespace

int main(int argc, char** argv) {
  fs::path image_path = fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png";
  int resolution = 256;
  std::size_t faces = 50000;
  int repeats = 9;
  CLI::App app{"Times simplify_mesh on the surface the pipeline extracts from an image", "orfeas_simplify_bench"};
  app.add_option("image", image_path, "Input image")->capture_default_str();
  app.add_option("--resolution", resolution, "Grid cells per axis of the extracted surface")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_option("--faces", faces, "Target face count")->capture_default_str();
  add_repeats_option(app, repeats);
  parse_or_exit(app, argc, argv);

  const mesh::Mesh surface = extract_surface(image_path, resolution);
  const mesh::TopologyReport before = value_or_die(mesh::analyze_topology(surface));
  fmt::print("image: {}, grid: {}, input: {} faces, {} vertices (watertight: {}, Euler characteristic {})\n",
             image_path.string(), resolution, surface.triangles.size(), surface.positions.size(),
             before.watertight() ? "yes" : "no", before.euler_characteristic);
  fmt::print("target: {} faces, repeats: {} after one warm-up, threads available: {}\n", faces, repeats,
             worker_count());

  // Wall time, and the process's CPU time beside it: on a shared machine the wall clock also counts
  // the time other programs held the cores.
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
  mesh::SimplifyResult last;
  for (int run = 0; run <= repeats; ++run) {
    mesh::Mesh copy = surface;
    const std::clock_t cpu_start = std::clock();
    const double ms = time_ms([&] { last = value_or_die(mesh::simplify_mesh(std::move(copy), faces)); });
    const double cpu = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (run > 0) {
      wall_ms.push_back(ms);
      cpu_ms.push_back(cpu);
    }
  }
  const mesh::TopologyReport after = value_or_die(mesh::analyze_topology(last.mesh));
  const bool closed = after.boundary_edges == 0 && after.nonmanifold_edges == 0;
  const bool oriented = after.inconsistently_oriented_edges == 0 && after.signed_volume > 0.0;
  for (const auto* times : {&wall_ms, &cpu_ms}) {
    const Summary ms = summarize(*times);
    fmt::print("simplify ({}): min {:.1f} ms, median {:.1f} ms, max {:.1f} ms\n", times == &wall_ms ? "wall" : "CPU",
               ms.min, ms.median, ms.max);
  }
  fmt::print(
      "result: {} faces{}, closed: {}, oriented: {}, Euler characteristic {}, degenerate faces {}, "
      "volume {:+.2f} %\n",
      last.faces, last.reached() ? "" : " (" + last.note + ")", closed ? "yes" : "no", oriented ? "yes" : "no",
      after.euler_characteristic, after.degenerate_faces,
      100.0 * (after.signed_volume - before.signed_volume) / before.signed_volume);
  return 0;
}
