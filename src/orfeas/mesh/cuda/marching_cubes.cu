// CUDA marching cubes, producing the CPU's mesh exactly.
//
// The order (marching_cubes_cell.h): vertices by owning cell in raster order (cz, cy, cx) over the
// padded cells, x/y/z within a cell; triangles by cell in raster order, case-table order within.
// A "row" is the n_x + 1 cells sharing (cy, cz); rows are in raster order too, so:
//
//   1. count_rows:  one warp per row counts the row's owned vertices and triangles (and flags
//                   NaN/inf values, which the CPU rejects);
//   2. scan:        an exclusive scan over rows (cub) gives each row's first vertex and triangle;
//   3. the host reads the totals, checks the limits and allocates the mesh exactly;
//   4. emit_rows:   one warp per non-empty row walks its cells 32 at a time. A warp scan gives each
//                   cell's first vertex; the vertices a cell needs but does not own belong to cells
//                   at x − 1 and in the rows at y − 1 / z − 1, so the warp scans those three rows'
//                   owned counts alongside its own (four 8-bit counts packed in one word) and
//                   carries the last lane's values from chunk to chunk. Triangles get their slot
//                   from a second warp scan.
//
// Arithmetic: the interpolation goes through marching_cubes_cell.h with __f*_rn intrinsics (and the
// file is compiled with -fmad=false), so every position is the CPU's float.
#include "orfeas/mesh/cuda/marching_cubes.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cub/device/device_scan.cuh>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/gpu/cuda/cuda_check.h"
#include "orfeas/mesh/cuda/marching_cubes_cell.h"
#include "orfeas/mesh/marching_cubes_table.h"

namespace orfeas::mesh {
namespace {

using internal::PaddedVolume;

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr unsigned kFullMask = 0xffffffffU;
constexpr std::uint64_t kMaxVertices = std::uint64_t{1} << 31;  // as the CPU (its kBorrowedBit)

// The case table (marching_cubes_table.h), uploaded once per device.
__constant__ std::uint8_t c_triangle_count[internal::kCubeCases];
__constant__ std::uint8_t c_triangle_edges[internal::kCubeCases][3 * internal::kMaxCaseTriangles];

// Per-volume counters written by the kernels: [vertices, triangles, count flags, emit flags].
enum Summary : int { kVertexTotal = 0, kTriangleTotal = 1, kCountFlags = 2, kEmitFlags = 3, kSummaryWords = 4 };
constexpr unsigned long long kFlagNonFinite = 1;
constexpr unsigned long long kFlagRowMismatch = 2;

__device__ int lane_id() {
  return static_cast<int>(threadIdx.x) & (kWarp - 1);
}

// Inclusive warp scan.
__device__ unsigned warp_inclusive_scan(unsigned value) {
  const int lane = lane_id();
#pragma unroll
  for (int offset = 1; offset < kWarp; offset <<= 1) {
    const unsigned other = __shfl_up_sync(kFullMask, value, offset);
    if (lane >= offset) value += other;
  }
  return value;
}

// Owned edges of cell (cx, cy, cz) from its corners 7, 6, 5 and 3 only (no case needed).
__device__ unsigned owned_edges_of(const PaddedVolume& volume, int cx, int cy, int cz, float iso) {
  const unsigned far = volume.at(cx + 1, cy + 1, cz + 1) < iso ? 1U : 0U;
  const unsigned x = volume.at(cx, cy + 1, cz + 1) < iso ? 1U : 0U;
  const unsigned y = volume.at(cx + 1, cy, cz + 1) < iso ? 1U : 0U;
  const unsigned z = volume.at(cx + 1, cy + 1, cz) < iso ? 1U : 0U;
  return (far ^ x) | ((far ^ y) << 1) | ((far ^ z) << 2);
}

__global__ void __launch_bounds__(kWarp* kWarpsPerBlock)
    count_rows(PaddedVolume volume, float iso, int rows_y, int rows, unsigned long long* __restrict__ vertex_counts,
               unsigned long long* __restrict__ triangle_counts, unsigned long long* __restrict__ summary) {
  __shared__ std::uint8_t triangle_count[internal::kCubeCases];
  for (unsigned i = threadIdx.x; i < internal::kCubeCases; i += blockDim.x) triangle_count[i] = c_triangle_count[i];
  __syncthreads();
  const int row = static_cast<int>(blockIdx.x) * kWarpsPerBlock + static_cast<int>(threadIdx.x) / kWarp;
  if (row >= rows) return;  // whole warps leave together
  const int cy = row % rows_y;
  const int cz = row / rows_y;
  unsigned vertices = 0;
  unsigned triangles = 0;
  bool finite = true;
  for (int cx = lane_id(); cx <= volume.nx; cx += kWarp) {
    const unsigned case_index = internal::cell_case(volume, cx, cy, cz, iso);
    vertices += internal::popcount3(internal::owned_edges(case_index));
    triangles += triangle_count[case_index];
    // Each grid point is corner 7 of exactly one cell: check it there.
    if (cx < volume.nx && cy < volume.ny && cz < volume.nz)
      finite = finite && isfinite(volume.at(cx + 1, cy + 1, cz + 1));
  }
  vertices = __reduce_add_sync(kFullMask, vertices);
  triangles = __reduce_add_sync(kFullMask, triangles);
  const bool all_finite = __all_sync(kFullMask, finite) != 0;
  if (lane_id() == 0) {
    vertex_counts[row] = vertices;
    triangle_counts[row] = triangles;
    if (!all_finite) atomicOr(&summary[kCountFlags], kFlagNonFinite);
  }
}

__global__ void write_totals(const unsigned long long* vertex_offsets, const unsigned long long* triangle_offsets,
                             int rows, unsigned long long* summary) {
  summary[kVertexTotal] = vertex_offsets[rows];
  summary[kTriangleTotal] = triangle_offsets[rows];
}

// The four rows whose cells own the vertices of row (cy, cz): index (oy + 1) + 2 (oz + 1) for the
// row at (cy + oy, cz + oz), oy, oz in {-1, 0}; index 3 is the row itself.
constexpr int kRowsSeen = 4;

__global__ void __launch_bounds__(kWarp* kWarpsPerBlock)
    emit_rows(PaddedVolume volume, internal::Float3 origin, float spacing, float iso, int rows_y, int rows,
              const unsigned long long* __restrict__ vertex_offsets,
              const unsigned long long* __restrict__ triangle_offsets, float* __restrict__ positions,
              std::uint32_t* __restrict__ triangles, unsigned long long* __restrict__ summary) {
  const int row = static_cast<int>(blockIdx.x) * kWarpsPerBlock + static_cast<int>(threadIdx.x) / kWarp;
  if (row >= rows) return;
  const unsigned long long first_triangle = triangle_offsets[row];
  const unsigned long long end_triangle = triangle_offsets[row + 1];
  if (first_triangle == end_triangle) return;  // no triangle, hence no owned vertex either
  const int lane = lane_id();
  const int cy = row % rows_y;
  const int cz = row / rows_y;

  std::uint32_t base[kRowsSeen];                     // first vertex of the current chunk, per row seen
  std::uint32_t carry_id[kRowsSeen] = {0, 0, 0, 0};  // lane 31's first vertex in the last chunk
  unsigned carry_owned[kRowsSeen] = {0, 0, 0, 0};    // lane 31's owned edges in the last chunk
  bool row_exists[kRowsSeen];
#pragma unroll
  for (int r = 0; r < kRowsSeen; ++r) {
    const int ry = cy + (r & 1) - 1;
    const int rz = cz + (r >> 1) - 1;
    row_exists[r] = ry >= 0 && rz >= 0;
    // Below 2^31 (checked on the host before launch), so 32 bits hold every id.
    base[r] = row_exists[r] ? static_cast<std::uint32_t>(vertex_offsets[rz * rows_y + ry]) : 0U;
  }
  unsigned long long next_triangle = first_triangle;

  for (int cx0 = 0; cx0 <= volume.nx; cx0 += kWarp) {
    const int cx = cx0 + lane;
    const bool in_row = cx <= volume.nx;
    const unsigned case_index = in_row ? internal::cell_case(volume, cx, cy, cz, iso) : 0U;
    unsigned owned[kRowsSeen];
#pragma unroll
    for (int r = 0; r < 3; ++r) {
      owned[r] = in_row && row_exists[r] ? owned_edges_of(volume, cx, cy + (r & 1) - 1, cz + (r >> 1) - 1, iso) : 0U;
    }
    owned[3] = internal::owned_edges(case_index);

    // Owned counts are at most 3 per cell, at most 96 per chunk: four fit in one word.
    unsigned packed = 0;
#pragma unroll
    for (int r = 0; r < kRowsSeen; ++r) packed |= internal::popcount3(owned[r]) << (8 * r);
    const unsigned inclusive = warp_inclusive_scan(packed);
    const unsigned exclusive = inclusive - packed;
    const unsigned chunk_total = __shfl_sync(kFullMask, inclusive, kWarp - 1);

    std::uint32_t id[kRowsSeen];       // this lane's cell's first vertex, per row
    std::uint32_t left_id[kRowsSeen];  // the cell at x − 1
    unsigned left_owned[kRowsSeen];
#pragma unroll
    for (int r = 0; r < kRowsSeen; ++r) {
      id[r] = base[r] + ((exclusive >> (8 * r)) & 0xffU);
      const std::uint32_t up_id = __shfl_up_sync(kFullMask, id[r], 1);
      const unsigned up_owned = __shfl_up_sync(kFullMask, owned[r], 1);
      left_id[r] = lane == 0 ? carry_id[r] : up_id;
      left_owned[r] = lane == 0 ? carry_owned[r] : up_owned;
    }

    // This row's own vertices.
    unsigned rank = 0;
#pragma unroll
    for (int axis = 0; axis < 3; ++axis) {
      if (((owned[3] >> axis) & 1U) == 0) continue;
      const internal::Float3 p = internal::owned_vertex_position(volume, origin, spacing, cx, cy, cz, axis, iso);
      const unsigned long long slot = 3ULL * (id[3] + rank);
      positions[slot] = p.x;
      positions[slot + 1] = p.y;
      positions[slot + 2] = p.z;
      ++rank;
    }

    // Its triangles.
    const unsigned triangle_count = in_row ? c_triangle_count[case_index] : 0U;
    const unsigned triangle_inclusive = warp_inclusive_scan(triangle_count);
    const unsigned long long my_first = next_triangle + (triangle_inclusive - triangle_count);
    for (unsigned t = 0; t < triangle_count; ++t) {
      for (unsigned j = 0; j < 3; ++j) {
        const internal::EdgeOwner owner = internal::edge_owner(c_triangle_edges[case_index][3 * t + j]);
        const int r = (owner.dy + 1) + 2 * (owner.dz + 1);
        // Registers, not local memory: select with constant indices.
        std::uint32_t owner_id = 0;
        unsigned owner_owned = 0;
#pragma unroll
        for (int q = 0; q < kRowsSeen; ++q) {
          if (q == r) {
            owner_id = owner.dx == 0 ? id[q] : left_id[q];
            owner_owned = owner.dx == 0 ? owned[q] : left_owned[q];
          }
        }
        triangles[3ULL * (my_first + t) + j] = owner_id + internal::popcount3(owner_owned & ((1U << owner.axis) - 1U));
      }
    }

    next_triangle += __shfl_sync(kFullMask, triangle_inclusive, kWarp - 1);
#pragma unroll
    for (int r = 0; r < kRowsSeen; ++r) {
      carry_id[r] = __shfl_sync(kFullMask, id[r], kWarp - 1);
      carry_owned[r] = __shfl_sync(kFullMask, owned[r], kWarp - 1);
      base[r] += (chunk_total >> (8 * r)) & 0xffU;
    }
  }
  // The emission must land exactly on the counted ranges; anything else is a bug, reported.
  if (lane == 0 && (next_triangle != end_triangle || base[3] != static_cast<std::uint32_t>(vertex_offsets[row + 1]))) {
    atomicOr(&summary[kEmitFlags], kFlagRowMismatch);
  }
}

// Uploads the case table to `device`'s constant memory (every device has its own copy of the
// module's __constant__ symbols), once per device. `device` must be current.
Status upload_case_table(int device) {
  static std::mutex mutex;
  static std::vector<bool> uploaded;  // guarded by mutex; by device ordinal
  const std::lock_guard lock(mutex);
  if (static_cast<std::size_t>(device) < uploaded.size() && uploaded[static_cast<std::size_t>(device)]) return ok();
  const auto& table = internal::cube_case_table();
  std::array<std::uint8_t, internal::kCubeCases> counts{};
  std::array<std::uint8_t, internal::kCubeCases * 3 * internal::kMaxCaseTriangles> edges{};
  for (std::size_t c = 0; c < table.size(); ++c) {
    counts[c] = table[c].triangle_count;
    for (std::size_t i = 0; i < table[c].edges.size(); ++i) edges[c * table[c].edges.size() + i] = table[c].edges[i];
  }
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaMemcpyToSymbol(c_triangle_count, counts.data(), sizeof(counts)),
                                          "marching cubes: case table upload"));
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaMemcpyToSymbol(c_triangle_edges, edges.data(), sizeof(edges)),
                                          "marching cubes: case table upload"));
  if (uploaded.size() <= static_cast<std::size_t>(device)) uploaded.resize(static_cast<std::size_t>(device) + 1, false);
  uploaded[static_cast<std::size_t>(device)] = true;
  return ok();
}

// The CPU's checks (marching_cubes.cpp, validate) plus what the kernels' indexing needs.
Status validate(const gpu::DeviceScalarVolume& volume) {
  if (volume.nx < 2 || volume.ny < 2 || volume.nz < 2) {
    return make_error(ErrorCode::kInvalidArgument, "marching cubes needs at least 2 grid points per axis, got " +
                                                       std::to_string(volume.nx) + "x" + std::to_string(volume.ny) +
                                                       "x" + std::to_string(volume.nz));
  }
  if (volume.values.empty() || volume.values.bytes() < volume.count() * sizeof(float)) {
    return make_error(ErrorCode::kInvalidArgument, "device volume holds fewer values than its grid");
  }
  if (!(volume.spacing > 0.0F) || !(volume.spacing <= std::numeric_limits<float>::max())) {
    return make_error(ErrorCode::kInvalidArgument, "volume spacing must be positive and finite");
  }
  const std::uint64_t rows = (static_cast<std::uint64_t>(volume.ny) + 1) * (static_cast<std::uint64_t>(volume.nz) + 1);
  if (volume.nx >= (1 << 24) || rows >= (std::uint64_t{1} << 30)) {
    return make_error(ErrorCode::kInvalidArgument, "volume too large for the CUDA marching cubes");
  }
  return ok();
}

int row_count(const gpu::DeviceScalarVolume& volume) {
  return (volume.ny + 1) * (volume.nz + 1);
}

PaddedVolume padded(const gpu::DeviceScalarVolume& volume) {
  return {volume.data(), volume.nx, volume.ny, volume.nz};
}

unsigned block_count(int rows) {
  return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

// The device buffers of one call. Declared before the StreamFence so that they outlive it.
struct Buffers {
  std::vector<gpu::DeviceAllocation> row_offsets;  // per volume: [2, rows + 1] uint64 (vertices, triangles)
  std::vector<gpu::DeviceAllocation> positions;    // per volume: float [V, 3]
  std::vector<gpu::DeviceAllocation> triangles;    // per volume: uint32 [T, 3]
  gpu::DeviceAllocation summary;                   // uint64 [volumes, 4]
  gpu::DeviceAllocation scan_scratch;
};

}  // namespace

Result<std::vector<Mesh>> marching_cubes_cuda(std::span<const gpu::DeviceScalarVolume* const> volumes,
                                              const MarchingCubesOptions& options, gpu::MemoryPool& pool,
                                              void* stream) {
  static_assert(sizeof(Vec3f) == 3 * sizeof(float) && sizeof(Triangle) == 3 * sizeof(std::uint32_t),
                "meshes are copied back as packed floats and indices");
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    if (volumes[v] == nullptr) return make_error(ErrorCode::kInvalidArgument, "marching cubes: null volume");
    ORFEAS_RETURN_IF_ERROR_CTX(validate(*volumes[v]), "volume " + std::to_string(v));
  }
  std::vector<Mesh> meshes(volumes.size());
  if (volumes.empty()) return meshes;
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  // Everything below runs on the stream's device, whatever device this thread had current.
  ORFEAS_ASSIGN_OR_RETURN(const int device, gpu::cuda::stream_device(cuda_stream));
  const gpu::cuda::DeviceGuard device_guard(device);
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::cuda_status(device, "marching cubes: cudaSetDevice", device_guard.error()));
  ORFEAS_RETURN_IF_ERROR(upload_case_table(device));
  const float iso = options.iso;

  // Everything the counting pass needs, for every volume, before any work is queued.
  Buffers buffers;
  std::size_t scratch_bytes = 0;
  for (const gpu::DeviceScalarVolume* volume : volumes) {
    const int rows = row_count(*volume);
    ORFEAS_ASSIGN_OR_RETURN(
        gpu::DeviceAllocation offsets,
        pool.allocate(2 * (static_cast<std::size_t>(rows) + 1) * sizeof(unsigned long long), stream));
    buffers.row_offsets.push_back(std::move(offsets));
    std::size_t bytes = 0;
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(
        cub::DeviceScan::ExclusiveSum(nullptr, bytes, static_cast<unsigned long long*>(nullptr), rows + 1, cuda_stream),
        "marching cubes: scan scratch size"));
    scratch_bytes = std::max(scratch_bytes, bytes);
  }
  ORFEAS_ASSIGN_OR_RETURN(buffers.summary,
                          pool.allocate(volumes.size() * kSummaryWords * sizeof(unsigned long long), stream));
  ORFEAS_ASSIGN_OR_RETURN(buffers.scan_scratch, pool.allocate(std::max<std::size_t>(scratch_bytes, 1), stream));
  const gpu::cuda::StreamFence fence(cuda_stream);
  auto* summary = static_cast<unsigned long long*>(buffers.summary.data());
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(
      cudaMemsetAsync(summary, 0, volumes.size() * kSummaryWords * sizeof(unsigned long long), cuda_stream),
      "marching cubes: cudaMemsetAsync"));

  // 1–2. Count and scan, every volume; the scans share the scratch (the stream orders them).
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    const int rows = row_count(*volumes[v]);
    auto* vertex_offsets = static_cast<unsigned long long*>(buffers.row_offsets[v].data());
    unsigned long long* triangle_offsets = vertex_offsets + rows + 1;
    unsigned long long* item_summary = summary + v * kSummaryWords;
    // The entry past the last row stays 0, so the exclusive scan leaves the total there.
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(
        cudaMemsetAsync(vertex_offsets + rows, 0, sizeof(unsigned long long), cuda_stream), "marching cubes: memset"));
    ORFEAS_RETURN_IF_ERROR(
        gpu::cuda::check(cudaMemsetAsync(triangle_offsets + rows, 0, sizeof(unsigned long long), cuda_stream),
                         "marching cubes: memset"));
    count_rows<<<block_count(rows), kWarp * kWarpsPerBlock, 0, cuda_stream>>>(
        padded(*volumes[v]), iso, volumes[v]->ny + 1, rows, vertex_offsets, triangle_offsets, item_summary);
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::check_launch("marching cubes: count_rows"));
    for (unsigned long long* offsets : {vertex_offsets, triangle_offsets}) {
      std::size_t bytes = scratch_bytes;
      ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(
          cub::DeviceScan::ExclusiveSum(buffers.scan_scratch.data(), bytes, offsets, rows + 1, cuda_stream),
          "marching cubes: row scan"));
    }
    write_totals<<<1, 1, 0, cuda_stream>>>(vertex_offsets, triangle_offsets, rows, item_summary);
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::check_launch("marching cubes: write_totals"));
  }

  // 3. Totals back, limits, exact mesh buffers.
  std::vector<unsigned long long> totals(volumes.size() * kSummaryWords);
  ORFEAS_RETURN_IF_ERROR(
      gpu::cuda::check(cudaMemcpyAsync(totals.data(), summary, totals.size() * sizeof(unsigned long long),
                                       cudaMemcpyDeviceToHost, cuda_stream),
                       "marching cubes: totals"));
  ORFEAS_RETURN_IF_ERROR(fence.wait("marching cubes: counting"));
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    const unsigned long long* item = totals.data() + v * kSummaryWords;
    const std::string which = "volume " + std::to_string(v);
    if ((item[kCountFlags] & kFlagNonFinite) != 0) {
      return make_error(ErrorCode::kInvalidArgument, which + ": volume holds NaN or infinite values");
    }
    if (item[kVertexTotal] >= kMaxVertices) {
      return make_error(ErrorCode::kLimitExceeded, which + ": marching cubes produced more than 2^31 vertices");
    }
    ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceAllocation positions,
                            pool.allocate(std::max<std::size_t>(item[kVertexTotal] * sizeof(Vec3f), 1), stream));
    ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceAllocation triangles,
                            pool.allocate(std::max<std::size_t>(item[kTriangleTotal] * sizeof(Triangle), 1), stream));
    buffers.positions.push_back(std::move(positions));
    buffers.triangles.push_back(std::move(triangles));
  }

  // 4. Emit every volume, then copy every mesh back.
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    const unsigned long long* item = totals.data() + v * kSummaryWords;
    if (item[kTriangleTotal] == 0) continue;
    const gpu::DeviceScalarVolume& volume = *volumes[v];
    const int rows = row_count(volume);
    const auto* vertex_offsets = static_cast<const unsigned long long*>(buffers.row_offsets[v].data());
    emit_rows<<<block_count(rows), kWarp * kWarpsPerBlock, 0, cuda_stream>>>(
        padded(volume), internal::Float3{volume.origin.x, volume.origin.y, volume.origin.z}, volume.spacing, iso,
        volume.ny + 1, rows, vertex_offsets, vertex_offsets + rows + 1,
        static_cast<float*>(buffers.positions[v].data()), static_cast<std::uint32_t*>(buffers.triangles[v].data()),
        summary + v * kSummaryWords);
    ORFEAS_RETURN_IF_ERROR(gpu::cuda::check_launch("marching cubes: emit_rows"));
  }
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    const unsigned long long* item = totals.data() + v * kSummaryWords;
    meshes[v].positions.resize(item[kVertexTotal]);
    meshes[v].triangles.resize(item[kTriangleTotal]);
    if (item[kTriangleTotal] == 0) continue;
    ORFEAS_RETURN_IF_ERROR(
        gpu::cuda::check(cudaMemcpyAsync(meshes[v].positions.data(), buffers.positions[v].data(),
                                         item[kVertexTotal] * sizeof(Vec3f), cudaMemcpyDeviceToHost, cuda_stream),
                         "marching cubes: positions back"));
    ORFEAS_RETURN_IF_ERROR(
        gpu::cuda::check(cudaMemcpyAsync(meshes[v].triangles.data(), buffers.triangles[v].data(),
                                         item[kTriangleTotal] * sizeof(Triangle), cudaMemcpyDeviceToHost, cuda_stream),
                         "marching cubes: triangles back"));
  }
  ORFEAS_RETURN_IF_ERROR(
      gpu::cuda::check(cudaMemcpyAsync(totals.data(), summary, totals.size() * sizeof(unsigned long long),
                                       cudaMemcpyDeviceToHost, cuda_stream),
                       "marching cubes: emit flags"));
  ORFEAS_RETURN_IF_ERROR(fence.wait("marching cubes: emitting"));
  for (std::size_t v = 0; v < volumes.size(); ++v) {
    if ((totals[v * kSummaryWords + kEmitFlags] & kFlagRowMismatch) != 0) {
      return make_error(ErrorCode::kInternal,
                        "volume " + std::to_string(v) + ": marching cubes emitted a row outside its counted range");
    }
  }
  return meshes;
}

Result<Mesh> marching_cubes_cuda(const gpu::DeviceScalarVolume& volume, const MarchingCubesOptions& options,
                                 gpu::MemoryPool& pool, void* stream) {
  const gpu::DeviceScalarVolume* one[] = {&volume};
  ORFEAS_ASSIGN_OR_RETURN(std::vector<Mesh> meshes, marching_cubes_cuda(std::span(one), options, pool, stream));
  return std::move(meshes.front());
}

}  // namespace orfeas::mesh
