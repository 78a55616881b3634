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

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "orfeas/core/parallel.h"
#include "orfeas/mesh/simplify.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/pipeline/pipeline.h"

namespace {

using namespace orfeas;
namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "simplify_bench: {}\n", message);
  std::exit(1);
}

template <class T>
T value_or_die(Result<T> result) {
  if (!result) die(result.error().message());
  return std::move(*result);
}

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
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--resolution") {
      resolution = std::atoi(next().c_str());
    } else if (arg == "--faces") {
      faces = static_cast<std::size_t>(std::atol(next().c_str()));
    } else if (arg == "--repeats") {
      repeats = std::max(1, std::atoi(next().c_str()));
    } else {
      image_path = arg;
    }
  }

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
    const auto start = std::chrono::steady_clock::now();
    last = value_or_die(mesh::simplify_mesh(std::move(copy), faces));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double cpu = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (run > 0) {
      wall_ms.push_back(ms);
      cpu_ms.push_back(cpu);
    }
  }
  const mesh::TopologyReport after = value_or_die(mesh::analyze_topology(last.mesh));
  const bool closed = after.boundary_edges == 0 && after.nonmanifold_edges == 0;
  const bool oriented = after.inconsistently_oriented_edges == 0 && after.signed_volume > 0.0;
  for (auto* times : {&wall_ms, &cpu_ms}) {
    std::sort(times->begin(), times->end());
    fmt::print("simplify ({}): min {:.1f} ms, median {:.1f} ms, max {:.1f} ms\n", times == &wall_ms ? "wall" : "CPU",
               times->front(), (*times)[times->size() / 2], times->back());
  }
  fmt::print(
      "result: {} faces{}, closed: {}, oriented: {}, Euler characteristic {}, degenerate faces {}, "
      "volume {:+.2f} %\n",
      last.faces, last.reached() ? "" : " (" + last.note + ")", closed ? "yes" : "no", oriented ? "yes" : "no",
      after.euler_characteristic, after.degenerate_faces,
      100.0 * (after.signed_volume - before.signed_volume) / before.signed_volume);
  return 0;
}
