// Per-cell arithmetic of the CUDA marching cubes, shared by the kernels (marching_cubes.cu) and by
// a host model of their output order (marching_cubes_order_test.cpp), so the rules that make the
// GPU mesh identical to mesh::marching_cubes() are written once and checked on any machine.
//
// Plain C++ when not compiled by nvcc (no CUDA header needed).
//
// The CPU extractor (mesh/marching_cubes.cpp) walks cells in raster order (z, then y, then x) over
// the grid padded with one layer of outside points, and creates a vertex the first time it meets a
// crossed edge. Every crossed edge has all four of its cells inside the padded range, so that
// first cell is the one at the smallest (cz, cy, cx): the cell whose far corner (corner 7) is the
// edge's end point. Hence:
//   - cell c "owns" the (up to three) crossed edges arriving at its corner 7 along -x, -y, -z
//     (cube edges 3, 7, 11); its vertices are created in that order, after all vertices of the
//     cells before it in raster order;
//   - the triangles of cell c come after those of every earlier cell, in case-table order.
// A vertex's id is therefore (number of owned vertices of all earlier cells) + (rank of its axis
// among the owner's owned edges), which a scan over cells reproduces on the GPU.
#pragma once

#include <cstdint>
#include <limits>

#if defined(__CUDACC__)
#define ORFEAS_HOST_DEVICE __host__ __device__
#else
#define ORFEAS_HOST_DEVICE
#endif

namespace orfeas::mesh::internal {

// The CPU extractor's constants (mesh/marching_cubes.cpp), bit for bit.
inline constexpr float kMinEdgeFraction = 1e-4F;
inline constexpr float kMaxEdgeFraction = 1.0F - 1e-4F;
// Beyond the grid is outside; +inf also puts a vertex next to the grid point (the cap).
inline constexpr float kOutside = std::numeric_limits<float>::infinity();

// IEEE round-to-nearest operations that the device compiler may not fuse into FMAs (the CPU build
// does not either: x86-64 without -mfma). Host: plain operators.
ORFEAS_HOST_DEVICE inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
ORFEAS_HOST_DEVICE inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
ORFEAS_HOST_DEVICE inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
ORFEAS_HOST_DEVICE inline float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

// A flat [nz, ny, nx] volume seen with one layer of +inf (outside) around it: padded index =
// grid index + 1.
struct PaddedVolume {
  const float* values = nullptr;  // borrowed
  int nx = 0;
  int ny = 0;
  int nz = 0;

  ORFEAS_HOST_DEVICE float at(int px, int py, int pz) const {
    if (px < 1 || py < 1 || pz < 1 || px > nx || py > ny || pz > nz) return kOutside;
    return values[(static_cast<std::uint64_t>(pz - 1) * static_cast<std::uint64_t>(ny) +
                   static_cast<std::uint64_t>(py - 1)) *
                      static_cast<std::uint64_t>(nx) +
                  static_cast<std::uint64_t>(px - 1)];
  }
};

// Case index of padded cell (cx, cy, cz), cells in [0, n] per axis: bit c set when corner c =
// (c & 1, (c >> 1) & 1, c >> 2) is inside (value < iso), as in marching_cubes_table.h.
ORFEAS_HOST_DEVICE inline unsigned cell_case(const PaddedVolume& volume, int cx, int cy, int cz, float iso) {
  unsigned case_index = 0;
  for (int c = 0; c < 8; ++c) {
    const float v = volume.at(cx + (c & 1), cy + ((c >> 1) & 1), cz + (c >> 2));
    case_index |= static_cast<unsigned>(v < iso) << c;
  }
  return case_index;
}

// The crossed edges a cell owns, bit a for the edge arriving at corner 7 along axis a (cube edges
// 3, 7, 11: corner 6→7, 5→7, 3→7).
ORFEAS_HOST_DEVICE inline unsigned owned_edges(unsigned case_index) {
  const unsigned far = (case_index >> 7) & 1U;
  return (far ^ ((case_index >> 6) & 1U)) | ((far ^ ((case_index >> 5) & 1U)) << 1) |
         ((far ^ ((case_index >> 3) & 1U)) << 2);
}

ORFEAS_HOST_DEVICE inline unsigned popcount3(unsigned bits) {
  return (bits & 1U) + ((bits >> 1) & 1U) + ((bits >> 2) & 1U);
}

// Where the vertex of cube edge `edge` of a cell lives: the owning cell's offset from this cell
// (each in {-1, 0}; 0 along the edge's axis) and the edge's axis. From the numbering in
// marching_cubes_table.h: axis = e / 4, the start corner's other two coordinates (u, v) =
// (e & 1, (e >> 1) & 1) in the order y,z / x,z / x,y; the owner is the start corner − 1 off-axis.
struct EdgeOwner {
  int dx = 0;
  int dy = 0;
  int dz = 0;
  int axis = 0;
};
ORFEAS_HOST_DEVICE inline EdgeOwner edge_owner(int edge) {
  const int axis = edge >> 2;
  const int u = (edge & 1) - 1;
  const int v = ((edge >> 1) & 1) - 1;
  if (axis == 0) return {0, u, v, 0};
  if (axis == 1) return {u, 0, v, 1};
  return {u, v, 0, 2};
}

// The CPU's edge_vertex(): the vertex's fraction along the edge from its start (lower) end, given
// the values at the start and end. Measured from the inside end, clamped to [1e-4, 1 − 1e-4].
ORFEAS_HOST_DEVICE inline float edge_fraction(float start, float end, float iso) {
  const bool from_inside = start < iso;
  const float inside = from_inside ? start : end;
  const float outside = from_inside ? end : start;
  float s = div_rn(sub_rn(iso, inside), sub_rn(outside, inside));
  if (!(s >= kMinEdgeFraction)) s = kMinEdgeFraction;  // also catches NaN
  if (s > kMaxEdgeFraction) s = kMaxEdgeFraction;
  return from_inside ? s : sub_rn(1.0F, s);
}

struct Float3 {
  float x = 0.0F;
  float y = 0.0F;
  float z = 0.0F;
};

// Position of the vertex on the edge owned by padded cell (cx, cy, cz) along `axis`: the edge runs
// from grid point (cx, cy, cz) − e_axis to grid point (cx, cy, cz). Same operations as the CPU:
// grid index (as float) + fraction on the axis, then origin + spacing · index per component.
ORFEAS_HOST_DEVICE inline Float3 owned_vertex_position(const PaddedVolume& volume, Float3 origin, float spacing, int cx,
                                                       int cy, int cz, int axis, float iso) {
  const float end = volume.at(cx + 1, cy + 1, cz + 1);
  const float start =
      volume.at(cx + 1 - (axis == 0 ? 1 : 0), cy + 1 - (axis == 1 ? 1 : 0), cz + 1 - (axis == 2 ? 1 : 0));
  const float t = edge_fraction(start, end, iso);
  float gx = static_cast<float>(cx - (axis == 0 ? 1 : 0));
  float gy = static_cast<float>(cy - (axis == 1 ? 1 : 0));
  float gz = static_cast<float>(cz - (axis == 2 ? 1 : 0));
  if (axis == 0) gx = add_rn(gx, t);
  if (axis == 1) gy = add_rn(gy, t);
  if (axis == 2) gz = add_rn(gz, t);
  return {add_rn(origin.x, mul_rn(spacing, gx)), add_rn(origin.y, mul_rn(spacing, gy)),
          add_rn(origin.z, mul_rn(spacing, gz))};
}

}  // namespace orfeas::mesh::internal
