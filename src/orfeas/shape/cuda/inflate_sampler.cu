#include "orfeas/shape/cuda/inflate_sampler.h"

#include <cuda_runtime.h>

#include <string>

#include "orfeas/gpu/cuda/cuda_check.h"

namespace orfeas::shape {
namespace {

constexpr unsigned kThreads = 256;

// One block row per z slice: volume[k][c] = sqrt(z_k^2 + radial_sq[c]) − inradius, with the CPU's
// operations in the CPU's order (inflate_backend.cpp, sample_inflate_volume), each rounded to
// nearest on its own (no FMA contraction: the intrinsics are never fused).
__global__ void sample_inflate_kernel(float* __restrict__ volume, const float* __restrict__ radial_sq, unsigned columns,
                                      float origin_z, float spacing, float inv_thickness, float inradius) {
  const unsigned k = blockIdx.y;
  const float z = __fmul_rn(__fadd_rn(origin_z, __fmul_rn(spacing, static_cast<float>(k))), inv_thickness);
  const float z_sq = __fmul_rn(z, z);
  float* slice = volume + static_cast<unsigned long long>(k) * columns;
  for (unsigned c = blockIdx.x * blockDim.x + threadIdx.x; c < columns; c += gridDim.x * blockDim.x) {
    slice[c] = __fsub_rn(__fsqrt_rn(__fadd_rn(z_sq, radial_sq[c])), inradius);
  }
}

}  // namespace

namespace internal {

Status validate_inflate_field(const InflateField& field) {
  // 1025 points per axis is resolution 1024, the largest ShapeOptions allows; the kernel's grid
  // (one block row per slice) and 32-bit column index hold far more.
  if (field.points < 2 || field.points > 4096) {
    return make_error(ErrorCode::kInvalidArgument,
                      "inflate field: points per axis must be in [2, 4096], got " + std::to_string(field.points));
  }
  const auto columns = static_cast<std::size_t>(field.points) * static_cast<std::size_t>(field.points);
  if (field.radial_sq.size() != columns) {
    return make_error(ErrorCode::kInvalidArgument, "inflate field: " + std::to_string(field.radial_sq.size()) +
                                                       " columns for " + std::to_string(columns) + " grid columns");
  }
  if (!(field.spacing > 0.0F))
    return make_error(ErrorCode::kInvalidArgument, "inflate field: spacing must be positive");
  return ok();
}

Status enqueue_sample_inflate_volume(const InflateField& field, void* columns, float* volume, void* stream) {
  ORFEAS_RETURN_IF_ERROR(validate_inflate_field(field));
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  const auto column_count = static_cast<unsigned>(field.radial_sq.size());
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaMemcpyAsync(columns, field.radial_sq.data(), column_count * sizeof(float),
                                                          cudaMemcpyHostToDevice, cuda_stream),
                                          "inflate sampler: upload of the field's columns"));
  const unsigned blocks_x = (column_count + kThreads - 1) / kThreads;
  const dim3 grid(blocks_x, static_cast<unsigned>(field.points));
  sample_inflate_kernel<<<grid, kThreads, 0, cuda_stream>>>(volume, static_cast<const float*>(columns), column_count,
                                                            field.origin.z, field.spacing, field.inv_thickness,
                                                            field.inradius);
  return gpu::cuda::check_launch("inflate sampler: sample_inflate_kernel");
}

}  // namespace internal

Result<gpu::DeviceScalarVolume> sample_inflate_volume_cuda(const InflateField& field, gpu::MemoryPool& pool,
                                                           void* stream) {
  ORFEAS_RETURN_IF_ERROR(internal::validate_inflate_field(field));
  const auto points = static_cast<std::size_t>(field.points);
  ORFEAS_ASSIGN_OR_RETURN(const int device, gpu::cuda::stream_device(static_cast<cudaStream_t>(stream)));
  const gpu::cuda::DeviceGuard guard(device);
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::cuda_status(device, "cudaSetDevice", guard.error()));
  ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceScalarVolume volume, gpu::allocate_volume(field_grid(field), pool, stream));
  ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceAllocation columns, pool.allocate(points * points * sizeof(float), stream));
  const gpu::cuda::StreamFence fence(static_cast<cudaStream_t>(stream));  // before `columns` is freed
  ORFEAS_RETURN_IF_ERROR(internal::enqueue_sample_inflate_volume(field, columns.data(),
                                                                 static_cast<float*>(volume.values.data()), stream));
  ORFEAS_RETURN_IF_ERROR(fence.wait("inflate sampler"));
  return volume;
}

}  // namespace orfeas::shape
