// Grid cells per second of the heavy built-in stages, CPU against CUDA: volume sampling
// (sample_inflate_volume vs sample_inflate_volume_cuda's kernel) and marching cubes
// (marching_cubes vs marching_cubes_cuda, mesh copied back to host memory included).
//
//   build/gpu/bin/orfeas_cuda_kernels_bench [--repeats N] [--resolutions 256,512]
//
// Each measurement is the median of `repeats` runs after one warm-up. CPU: steady_clock on all
// cores (ORFEAS_THREADS limits them). GPU: cudaEvents recorded on the stream around each region,
// read after the stream is synchronised. Cells = resolution^3. Results go to docs/benchmarks.md.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "bench_support.h"
#include "orfeas/core/parallel.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/mesh/cuda/marching_cubes.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/shape/cuda/inflate_sampler.h"
#include "orfeas/shape/inflate_backend.h"

namespace {

using namespace orfeas;
using namespace orfeas::bench;

bool check(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return true;
  std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(error));
  return false;
}

// Owns two events; elapsed milliseconds between them once the stream has passed both.
class EventPair {
 public:
  EventPair() {
    ok_ = check(cudaEventCreate(&start_), "cudaEventCreate") && check(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~EventPair() {
    if (start_ != nullptr) (void)cudaEventDestroy(start_);
    if (stop_ != nullptr) (void)cudaEventDestroy(stop_);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  bool start(cudaStream_t stream) { return ok_ && check(cudaEventRecord(start_, stream), "cudaEventRecord"); }
  bool stop(cudaStream_t stream) { return ok_ && check(cudaEventRecord(stop_, stream), "cudaEventRecord"); }
  double milliseconds() {
    float ms = 0.0F;
    if (!check(cudaEventSynchronize(stop_), "cudaEventSynchronize") ||
        !check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime")) {
      return -1.0;
    }
    return ms;
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
  bool ok_ = false;
};

image::Mask disc_mask(int size, float radius) {
  image::Mask mask(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float mx = (static_cast<float>(x) + 0.5F) / static_cast<float>(size) * 2.0F - 1.0F;
      const float my = 1.0F - (static_cast<float>(y) + 0.5F) / static_cast<float>(size) * 2.0F;
      mask.at(x, y) = std::hypot(mx, my) <= radius ? 1 : 0;
    }
  }
  return mask;
}

template <class F>
double cpu_median_ms(int repeats, F&& body) {
  body();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) ms.push_back(time_ms(body));
  return median(ms);
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 5;
  std::vector<int> resolutions = {256, 512};
  CLI::App app{"Grid cells per second of volume sampling and marching cubes, CPU against CUDA",
               "orfeas_cuda_kernels_bench"};
  add_repeats_option(app, repeats);
  add_list_option(app, "--resolutions", resolutions, "Grid cells per axis");
  parse_or_exit(app, argc, argv);
  auto pool = gpu::create_cuda_memory_pool(0);
  auto stream_owner = gpu::create_cuda_stream(0);
  if (!pool || !stream_owner) {
    std::fprintf(stderr, "no CUDA device: %s\n", (!pool ? pool.error() : stream_owner.error()).message().c_str());
    return 1;
  }
  void* stream = (*stream_owner)->native();
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  cudaDeviceProp properties{};
  if (!check(cudaGetDeviceProperties(&properties, 0), "cudaGetDeviceProperties")) return 1;
  std::printf("device: %s; CPU threads: %zu; median of %d runs\n\n", properties.name, worker_count(), repeats);
  std::printf("| stage | resolution | CPU ms | GPU ms | CPU Gcells/s | GPU Gcells/s | speed-up |\n");
  std::printf("|---|---|---|---|---|---|---|\n");

  const image::Mask mask = disc_mask(512, 0.8F);
  for (const int resolution : resolutions) {
    auto field = shape::compute_inflate_field(image::ImageRgba8(512, 512), mask, {.resolution = resolution});
    if (!field) {
      std::fprintf(stderr, "%s\n", field.error().message().c_str());
      return 1;
    }
    const double cells = std::pow(static_cast<double>(resolution), 3.0);
    const auto row = [&](const char* stage, double cpu_ms, double gpu_ms) {
      std::printf("| %s | %d | %.1f | %.2f | %.2f | %.2f | %.1fx |\n", stage, resolution, cpu_ms, gpu_ms,
                  cells / cpu_ms * 1e-6, cells / gpu_ms * 1e-6, cpu_ms / gpu_ms);
    };

    // Sampling.
    ScalarVolume host_volume;
    const double cpu_sample = cpu_median_ms(repeats, [&] { host_volume = shape::sample_inflate_volume(*field); });
    const auto points = static_cast<std::size_t>(field->points);
    auto volume = (*pool)->allocate(points * points * points * sizeof(float));
    auto columns = (*pool)->allocate(points * points * sizeof(float));
    if (!volume || !columns) {
      std::fprintf(stderr, "out of device memory at resolution %d\n", resolution);
      return 1;
    }
    std::vector<double> gpu_sample;
    for (int i = 0; i <= repeats; ++i) {
      EventPair events;
      events.start(cuda_stream);
      const Status queued = shape::internal::enqueue_sample_inflate_volume(*field, columns->data(),
                                                                           static_cast<float*>(volume->data()), stream);
      events.stop(cuda_stream);
      if (!queued) {
        std::fprintf(stderr, "%s\n", queued.error().message().c_str());
        return 1;
      }
      const double ms = events.milliseconds();
      if (ms < 0) return 1;
      if (i > 0) gpu_sample.push_back(ms);  // the first run is the warm-up
    }
    row("sample volume (+ columns upload)", cpu_sample, median(gpu_sample));

    // Marching cubes, mesh back in host memory included on both sides.
    std::size_t triangles = 0;
    const double cpu_mc = cpu_median_ms(repeats, [&] {
      auto mesh = mesh::marching_cubes(host_volume);
      triangles = mesh ? mesh->triangles.size() : 0;
    });
    const gpu::DeviceScalarVolume device{shape::field_grid(*field), std::move(*volume)};
    std::vector<double> gpu_mc;
    for (int i = 0; i <= repeats; ++i) {
      EventPair events;
      events.start(cuda_stream);
      auto mesh = mesh::marching_cubes_cuda(device, {}, **pool, stream);  // returns after the stream finished
      events.stop(cuda_stream);
      if (!mesh) {
        std::fprintf(stderr, "%s\n", mesh.error().message().c_str());
        return 1;
      }
      const double ms = events.milliseconds();
      if (ms < 0) return 1;
      if (i > 0) gpu_mc.push_back(ms);
    }
    row("marching cubes (mesh to host)", cpu_mc, median(gpu_mc));
    std::printf("|  | %d | %zu triangles | | | | |\n", resolution, triangles);
  }
  return 0;
}
