#include "orfeas/engine/sampling.h"

#include <cmath>
#include <cstdint>

namespace orfeas::engine {

std::vector<float> schedule_sigmas(const SamplingOptions& options) {
  const int steps = options.steps;
  std::vector<float> sigmas;
  sigmas.reserve(static_cast<std::size_t>(steps) + 1);
  if (options.schedule == ScheduleKind::kFlowMatchEuler) {
    // numpy.linspace(0, 1, N) in float64 (i·step with step = 1/(N−1), the last exactly 1), then float32.
    const double step = steps > 1 ? 1.0 / (steps - 1) : 0.0;
    for (int i = 0; i < steps; ++i) sigmas.push_back(static_cast<float>(i == steps - 1 && steps > 1 ? 1.0 : i * step));
  } else {
    // The grid: linspace(0, 1, 1000) at [0] + (round(k·ratio) − 1) for k = 1 … pcm−1; the steps take
    // floor(linspace(0, pcm, N, endpoint=False)) of it.
    const int pcm = options.pcm_timesteps;
    const int ratio = 1000 / pcm;
    std::vector<int> grid{0};
    for (int k = 1; k < pcm; ++k) grid.push_back(k * ratio - 1);
    const double grid_step = 1.0 / 999.0;                       // linspace(0, 1, 1000)
    const double pick_step = static_cast<double>(pcm) / steps;  // linspace(0, pcm, N, endpoint=False)
    for (int i = 0; i < steps; ++i) {
      const auto index = static_cast<std::size_t>(std::floor(i * pick_step));
      sigmas.push_back(static_cast<float>(grid[index] * grid_step));
    }
  }
  sigmas.push_back(1.0F);
  return sigmas;
}

at::Tensor initial_noise(at::IntArrayRef shape, std::uint64_t seed, at::ScalarType dtype, at::Device device) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, generator, at::TensorOptions().dtype(dtype)).to(device);
}

at::Tensor sample_latents(const Denoise& denoise, const at::Tensor& noise, const at::Tensor& cond,
                          const at::Tensor& uncond, const SamplingOptions& options, const StepProgress& progress,
                          profiling::ScopeTargets profile) {
  const std::vector<float> sigma_values = schedule_sigmas(options);
  const at::Device device = noise.device();
  const at::ScalarType dtype = noise.scalar_type();
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  // The standard scheduler keeps σ on the device; the consistency one on the CPU (notes §1.4).
  const bool sigmas_on_device = options.schedule == ScheduleKind::kFlowMatchEuler;
  const at::Tensor sigmas = at::tensor(sigma_values, f32).to(sigmas_on_device ? device : at::Device(at::kCPU));
  const at::Tensor timesteps = (sigmas.slice(0, 0, options.steps) * 1000).to(device);

  const bool cfg = options.guidance_scale >= 0 && !options.guidance_embedded;
  const std::int64_t batch = noise.size(0);
  const at::Tensor context = cfg ? at::cat({cond, uncond}, 0).to(dtype) : cond;
  std::optional<at::Tensor> guidance;
  if (options.guidance_embedded)
    guidance = at::full({batch}, options.guidance_scale, at::TensorOptions().dtype(dtype).device(device));

  at::Tensor x = noise;
  const auto steps = static_cast<std::size_t>(options.steps);
  void* const stream = profile.empty() ? nullptr : profiling_stream(device);
  for (std::size_t i = 0; i < steps; ++i) {
    const profiling::BatchScope step(profile, "diffusion_step", stream);
    const bool wasted = sigma_values[i + 1] == sigma_values[i];  // dt = 0: x unchanged
    if (!wasted) {
      const at::Tensor x_in = cfg ? at::cat({x, x}, 0) : x;
      const at::Tensor t = timesteps[static_cast<std::int64_t>(i)].expand({x_in.size(0)}).to(dtype) / 1000;
      at::Tensor v = denoise(x_in, t, context, guidance);
      if (cfg) {
        const std::vector<at::Tensor> halves = v.chunk(2, 0);
        v = halves[1] + options.guidance_scale * (halves[0] - halves[1]);
      }
      const at::Tensor dt =
          sigmas[static_cast<std::int64_t>(i) + 1] - sigmas[static_cast<std::int64_t>(i)];  // 0-dim, σ's device
      x = (x.to(at::kFloat) + dt * v).to(v.scalar_type());
    }
    report(progress, i + 1, steps);
  }
  return x;
}

void* profiling_stream(at::Device device) {
  if (!device.is_cuda()) return nullptr;
  return reinterpret_cast<void*>(std::uintptr_t{1});  // NOLINT: cudaStreamLegacy's value
}

}  // namespace orfeas::engine
