// The built-in backend on a CUDA device: the in-plane fields on the CPU (jobs side by side), the
// volumes sampled on the device (inflate_sampler.cu) with the whole batch resident in the pool.
#include <cuda_runtime_api.h>

#include <optional>
#include <string>
#include <utility>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/cuda/cuda_check.h"
#include "orfeas/shape/cuda/inflate_sampler.h"
#include "orfeas/shape/inflate_backend.h"

namespace orfeas::shape {
namespace {

class InflateBackendCuda final : public ShapeBackend {
 public:
  explicit InflateBackendCuda(gpu::Device device) : device_(device) {}

  [[nodiscard]] std::string_view name() const override { return InflateBackend::kName; }
  [[nodiscard]] const gpu::Device& device() const override { return device_; }
  [[nodiscard]] gpu::MemoryNeed memory_need(const ShapeOptions& options) const override {
    return inflate_memory_need(options);
  }

  [[nodiscard]] Result<VolumeBatch> generate(std::span<const image::PreprocessedImage* const> images,
                                             const ShapeOptions& options, const StepProgress& progress,
                                             profiling::ScopeTargets profile) const override {
    ORFEAS_RETURN_IF_ERROR(validate(options));
    // CPU: every item's in-plane field, side by side (their solves inside `inflate_field`: the
    // workers' threads cannot open sub-stages of the calling thread's scope).
    std::vector<Result<InflateField>> fields(images.size(), make_error(ErrorCode::kInternal, "not computed"));
    std::optional<profiling::BatchScope> phase(std::in_place, profile, "inflate_field");
    parallel_for(0, images.size(), 1, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        fields[i] = compute_inflate_field(images[i]->canvas, images[i]->mask, options, images[i]->coverage);
      }
    });
    report(progress, 1, 2);
    phase.reset();

    // Device: every volume and its columns first, so a batch that cannot fit fails before any work.
    const int ordinal = device_.spec.ordinal;
    const gpu::cuda::DeviceGuard guard(ordinal);
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::cuda_status(ordinal, "cudaSetDevice", guard.error()));
    VolumeBatch volumes;
    volumes.reserve(images.size());
    std::vector<gpu::DeviceAllocation> columns(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      if (!fields[i]) {
        volumes.emplace_back(tl::unexpected(fields[i].error()));
        continue;
      }
      const std::string item = "inflate: item " + std::to_string(i + 1) + " of " + std::to_string(images.size());
      ORFEAS_ASSIGN_OR_RETURN_CTX(gpu::DeviceScalarVolume volume,
                                  gpu::allocate_volume(field_grid(*fields[i]), *device_.pool, device_.stream), item);
      const std::size_t column_bytes = fields[i]->radial_sq.size() * sizeof(float);
      ORFEAS_ASSIGN_OR_RETURN_CTX(columns[i], device_.pool->allocate(column_bytes, device_.stream), item);
      volumes.emplace_back(std::move(volume));
    }
    {
      const profiling::BatchScope sampling(profile, "volume_sampling", device_.stream);
      const gpu::cuda::StreamFence fence(static_cast<cudaStream_t>(device_.stream));  // before `columns` go
      for (std::size_t i = 0; i < images.size(); ++i) {
        if (!volumes[i]) continue;
        ORFEAS_RETURN_IF_ERROR_CTX(
            internal::enqueue_sample_inflate_volume(*fields[i], columns[i].data(), volumes[i]->data(), device_.stream),
            "inflate: item " + std::to_string(i + 1));
      }
      ORFEAS_RETURN_IF_ERROR(fence.wait("inflate sampler"));
    }
    report(progress, 2, 2);
    return volumes;
  }

 private:
  gpu::Device device_;
};

}  // namespace

Result<std::unique_ptr<ShapeBackend>> create_inflate_backend_cuda(const gpu::Device& device) {
  if (device.pool == nullptr || device.stream == nullptr) {
    return make_error(ErrorCode::kInvalidArgument, "inflate backend on CUDA needs the device's pool and stream");
  }
  return std::unique_ptr<ShapeBackend>(std::make_unique<InflateBackendCuda>(device));
}

}  // namespace orfeas::shape
