// Times the inflate backend's in-plane field (compute_inflate_field: the Poisson solve on the canvas
// and the grid's columns) for an image preprocessed onto canvases of several sizes.
//
//   build/release/bin/orfeas_inflate_field_bench [IMAGE] [--canvas 512,1024] [--resolutions 256,1024] [--repeats 7]
//
// For each canvas size the image is preprocessed once (as the pipeline does, with its coverage);
// then the field is computed `repeats` times after one warm-up run per resolution. Prints min /
// median / max wall and CPU milliseconds. No assertions: results go to docs/benchmarks.md.
#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <vector>

#include "bench_support.h"
#include "orfeas/core/parallel.h"
#include "orfeas/image/preprocess.h"
#include "orfeas/shape/inflate_backend.h"

int main(int argc, char** argv) {
  using namespace orfeas;
  using namespace orfeas::bench;
  std::filesystem::path image_path = std::filesystem::path(ORFEAS_SOURCE_DIR) / "examples/duck.png";
  std::vector<int> canvases = {512, 1024};
  std::vector<int> resolutions = {256, 1024};
  int repeats = 7;
  CLI::App app{"Times the inflate backend's in-plane field (the Poisson solve)", "orfeas_inflate_field_bench"};
  app.add_option("image", image_path, "Input image")->capture_default_str();
  add_list_option(app, "--canvas", canvases, "Canvas sizes (pixels per side)");
  add_list_option(app, "--resolutions", resolutions, "Grid cells per axis");
  add_repeats_option(app, repeats);
  parse_or_exit(app, argc, argv);
  fmt::print("image: {}, repeats: {} after one warm-up, threads available: {}\n", image_path.string(), repeats,
             worker_count());

  for (const int canvas : canvases) {
    image::PreprocessOptions preprocess;
    preprocess.canvas_size = canvas;
    const image::PreprocessedImage pre = value_or_die(image::preprocess_image_file(image_path, preprocess));
    for (const int resolution : resolutions) {
      const shape::ShapeOptions options{.resolution = resolution, .min_thickness = 0.034F};  // 2 mm at 100 mm
      std::vector<double> wall_ms;
      std::vector<double> cpu_ms;
      for (int run = 0; run <= repeats; ++run) {
        const std::clock_t cpu_start = std::clock();
        const double ms =
            time_ms([&] { value_or_die(shape::compute_inflate_field(pre.canvas, pre.mask, options, pre.coverage)); });
        const double cpu = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        if (run > 0) {
          wall_ms.push_back(ms);
          cpu_ms.push_back(cpu);
        }
      }
      const Summary wall = summarize(wall_ms);
      const Summary cpu = summarize(cpu_ms);
      fmt::print("canvas {:4}, grid {:4}: wall min {:.1f} / median {:.1f} / max {:.1f} ms, CPU median {:.1f} ms\n",
                 canvas, resolution, wall.min, wall.median, wall.max, cpu.median);
    }
  }
  return 0;
}
