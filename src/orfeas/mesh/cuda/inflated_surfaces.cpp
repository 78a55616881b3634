#include "orfeas/mesh/cuda/inflated_surfaces.h"

#include <string>

#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/mesh/cuda/marching_cubes.h"
#include "orfeas/gpu/cuda/cuda_check.h"
#include "orfeas/shape/cuda/device_volume.h"
#include "orfeas/shape/cuda/inflate_sampler.h"

namespace orfeas::mesh {
namespace {

constexpr std::uint64_t kVerticesPerResolutionSquared = 8;
constexpr std::uint64_t kTrianglesPerVertex = 2;

}  // namespace

std::uint64_t estimate_inflated_surface_bytes(int resolution) {
  const auto r = static_cast<std::uint64_t>(resolution < 1 ? 1 : resolution);
  const std::uint64_t n = r + 1;
  const auto bucket = [](std::uint64_t bytes) { return static_cast<std::uint64_t>(gpu::pool_bucket_bytes(bytes)); };
  const std::uint64_t vertices = kVerticesPerResolutionSquared * r * r;
  const std::uint64_t triangles = kTrianglesPerVertex * vertices;
  return bucket(4 * n * n * n) + bucket(4 * n * n) +
         marching_cubes_cuda_row_bytes(static_cast<int>(n), static_cast<int>(n), static_cast<int>(n)) +
         bucket(12 * vertices) + bucket(12 * triangles);
}

Result<std::vector<Mesh>> extract_inflated_surfaces_cuda(std::span<const shape::InflateField* const> batch,
                                                         const MarchingCubesOptions& options, gpu::MemoryPool& pool,
                                                         void* stream) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] == nullptr) return make_error(ErrorCode::kInvalidArgument, "item " + std::to_string(i) + ": no field");
    ORFEAS_RETURN_IF_ERROR_CTX(shape::internal::validate_inflate_field(*batch[i]), "item " + std::to_string(i));
  }
  if (batch.empty()) return std::vector<Mesh>{};

  // Every item's volume and columns first: kOutOfMemory before any work when the batch cannot fit.
  std::vector<shape::DeviceScalarVolume> volumes(batch.size());
  std::vector<gpu::DeviceAllocation> columns(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const shape::InflateField& field = *batch[i];
    const auto points = static_cast<std::size_t>(field.points);
    volumes[i] = {field.points, field.points, field.points, field.origin, field.spacing, {}};
    const std::string item = "item " + std::to_string(i) + " of " + std::to_string(batch.size());
    ORFEAS_ASSIGN_OR_RETURN(volumes[i].values, pool.allocate(points * points * points * sizeof(float))
                                                   .map_error([&](const Error& e) { return e.with_context(item); }));
    ORFEAS_ASSIGN_OR_RETURN(columns[i], pool.allocate(points * points * sizeof(float))
                                            .map_error([&](const Error& e) { return e.with_context(item); }));
  }
  {
    const gpu::cuda::StreamFence fence(static_cast<cudaStream_t>(stream));  // before `columns` can go
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ORFEAS_RETURN_IF_ERROR_CTX(shape::internal::enqueue_sample_inflate_volume(
                                     *batch[i], columns[i].data(), static_cast<float*>(volumes[i].values.data()), stream),
                                 "item " + std::to_string(i));
    }
    ORFEAS_RETURN_IF_ERROR(fence.wait("inflate sampler"));
  }
  // `columns` stays allocated to the end, so the batch's peak is exactly the per-item sum that
  // estimate_inflated_surface_bytes() describes.
  std::vector<const shape::DeviceScalarVolume*> views;
  views.reserve(volumes.size());
  for (const shape::DeviceScalarVolume& volume : volumes) views.push_back(&volume);
  return marching_cubes_cuda(std::span<const shape::DeviceScalarVolume* const>(views), options, pool, stream);
}

}  // namespace orfeas::mesh
