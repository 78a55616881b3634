// Flow-matching sampling as Hunyuan3D-2 does it: σ runs from 0 (noise) to 1 (data), the denoiser
// predicts a velocity v, and an Euler step moves x by (σ_next − σ)·v. Two schedules:
//   - flow_match_euler (v2-0, mini, mv, -fast, 2.1): σ = linspace(0, 1, N) then 1.0, so the last
//     step has dt = 0 (the reference still runs it; we skip it: the result is the same);
//   - consistency (the step-distilled -turbo models): σ picked from a 1000-point grid thinned to
//     `pcm_timesteps`, then 1.0: every step is a real one.
// Classifier-free guidance runs the denoiser on [cond, uncond] (zeros) and takes
// v_u + s·(v_c − v_u); guidance-distilled models get s as an embedding instead.
//
//   SamplingOptions options{.steps = 50, .guidance_scale = 5.0};
//   at::Tensor noise = initial_noise({1, 3072, 64}, /*seed=*/0, at::kHalf, device);
//   at::Tensor latents = sample_latents(denoise, noise, cond, uncond, options, progress);
//
// Exactness: the reference's arithmetic is reproduced op for op, dtypes included (notes §1.4–1.6):
// the noise is drawn by a seeded CPU generator in the run's dtype then moved, the model sees
// h(σ·1000)/1000 in the run dtype, the standard schedule's dt is a device tensor (rounded to the run
// dtype before it multiplies v) and the consistency schedule's a CPU scalar (kept in float32).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "orfeas/core/progress.h"
#include "orfeas/profiling/batch_scope.h"

namespace orfeas::engine {

enum class ScheduleKind { kFlowMatchEuler, kConsistency };

struct SamplingOptions {
  int steps = 50;
  double guidance_scale = 5.0;
  ScheduleKind schedule = ScheduleKind::kFlowMatchEuler;
  int pcm_timesteps = 50;          // the consistency schedule's grid (the reference's default)
  bool guidance_embedded = false;  // a guidance-distilled model: no CFG batch, s goes in as an embedding
};

// σ for `steps` steps, then 1.0 (steps + 1 values, float32 as the reference stores them).
[[nodiscard]] std::vector<float> schedule_sigmas(const SamplingOptions& options);

// The denoiser: velocity [B, N, C] for x [B, N, C], t [B] (already h(σ·1000)/1000), cond [B, L, D]
// and, for guidance-distilled models, guidance [B].
using Denoise = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond,
                                         const std::optional<at::Tensor>& guidance)>;

// Standard normal noise of `shape` from a CPU generator seeded with `seed`, drawn in `dtype` (as
// torch.randn(..., generator=torch.Generator().manual_seed(seed), dtype=dtype)), then moved.
[[nodiscard]] at::Tensor initial_noise(at::IntArrayRef shape, std::uint64_t seed, at::ScalarType dtype,
                                       at::Device device);

// Runs the schedule from `noise` [B, N, C]; `cond` and `uncond` [B, L, D] (uncond unused for
// guidance-distilled models or a negative guidance scale). `progress` hears each denoiser call;
// each step is a "diffusion_step" sub-stage on `profile` (GPU time on profiling_stream()).
[[nodiscard]] at::Tensor sample_latents(const Denoise& denoise, const at::Tensor& noise, const at::Tensor& cond,
                                        const at::Tensor& uncond, const SamplingOptions& options,
                                        const StepProgress& progress = {}, profiling::ScopeTargets profile = {});

// The stream LibTorch queues the calling thread's work on, as the profiler's GPU timer takes it
// (profiling/gpu_timer.h): cudaStreamLegacy, (cudaStream_t)0x1, for a CUDA device (LibTorch's
// default stream is the legacy default stream, and the engine sets no other); nullptr on the CPU
// (no GPU time). On a GPU a sub-stage's wall time is the time to queue its work; its GPU time is
// the device's.
[[nodiscard]] void* profiling_stream(at::Device device);

}  // namespace orfeas::engine
