#include "orfeas/mesh/marching_cubes.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "orfeas/core/parallel.h"
#include "orfeas/mesh/marching_cubes_table.h"

namespace orfeas::mesh {
namespace {

constexpr int kBlockCells = 8;  // blocks of 8^3 cells are skipped or visited as a whole
constexpr float kMinEdgeFraction = 1e-4F;
constexpr float kMaxEdgeFraction = 1.0F - 1e-4F;
// Everything beyond the grid is outside; +inf also makes the interpolation put the vertex next to
// the grid point, i.e. the cap lies on the grid's bounding box.
constexpr float kOutside = std::numeric_limits<float>::infinity();
// A smooth surface crossing an 8^3 block makes about 64 vertices; a little more avoids regrowth.
constexpr std::size_t kExpectedVerticesPerActiveBlock = 80;
// Marks a triangle index that refers to a vertex created by the previous slab.
constexpr std::uint32_t kBorrowedBit = 0x80000000U;

// The volume seen with one layer of outside points around it: padded index p = grid index + 1,
// p in [0, n + 1]. Cells c in [0, n] join padded points c and c + 1.
struct PaddedGrid {
  const float* values = nullptr;  // borrowed from the volume
  int nx = 0;
  int ny = 0;
  int nz = 0;
  std::size_t row = 0;    // values between consecutive y
  std::size_t plane = 0;  // values between consecutive z

  [[nodiscard]] float at(int px, int py, int pz) const {
    if (px < 1 || py < 1 || pz < 1 || px > nx || py > ny || pz > nz) return kOutside;
    return values[static_cast<std::size_t>(pz - 1) * plane + static_cast<std::size_t>(py - 1) * row +
                  static_cast<std::size_t>(px - 1)];
  }
};

int block_count(int points) {
  return (points + 1 + kBlockCells - 1) / kBlockCells;
}  // n + 1 cells

// Which blocks of cells straddle iso, found from each block's min/max corner value.
struct ActiveBlocks {
  int bx = 0;
  int by = 0;
  int bz = 0;
  std::vector<std::uint8_t> active;           // [bz, by, bx]
  std::vector<std::size_t> active_per_layer;  // [bz]
  bool all_finite = true;

  [[nodiscard]] const std::uint8_t* row(int block_y, int block_z) const {
    return active.data() +
           (static_cast<std::size_t>(block_z) * static_cast<std::size_t>(by) + static_cast<std::size_t>(block_y)) *
               static_cast<std::size_t>(bx);
  }
};

ActiveBlocks find_active_blocks(const PaddedGrid& grid, float iso) {
  ActiveBlocks blocks;
  blocks.bx = block_count(grid.nx);
  blocks.by = block_count(grid.ny);
  blocks.bz = block_count(grid.nz);
  blocks.active.assign(
      static_cast<std::size_t>(blocks.bx) * static_cast<std::size_t>(blocks.by) * static_cast<std::size_t>(blocks.bz),
      0);
  blocks.active_per_layer.assign(static_cast<std::size_t>(blocks.bz), 0);
  std::vector<std::uint8_t> finite_per_layer(static_cast<std::size_t>(blocks.bz), 1);
  const auto width = static_cast<std::size_t>(grid.nx) + 2;

  parallel_for(0, static_cast<std::size_t>(blocks.bz), 1, [&](std::size_t first, std::size_t last) {
    // Per padded x: min and max over the block row's points in y and z, reduced per block in x
    // afterwards; elementwise loops so that they vectorise. `poison` turns NaN for non-finite input.
    std::vector<float> low(width);
    std::vector<float> high(width);
    std::vector<float> poison(width);
    for (std::size_t block_z = first; block_z < last; ++block_z) {
      const int pz_begin = static_cast<int>(block_z) * kBlockCells;
      const int pz_end = std::min(pz_begin + kBlockCells, grid.nz + 1);  // inclusive
      for (int block_y = 0; block_y < blocks.by; ++block_y) {
        const int py_begin = block_y * kBlockCells;
        const int py_end = std::min(py_begin + kBlockCells, grid.ny + 1);
        std::fill(low.begin(), low.end(), kOutside);
        std::fill(high.begin(), high.end(), -kOutside);
        std::fill(poison.begin(), poison.end(), 0.0F);
        // Padding on either x end is outside.
        high.front() = kOutside;
        high.back() = kOutside;
        bool touches_padding = false;
        for (int pz = pz_begin; pz <= pz_end; ++pz) {
          for (int py = py_begin; py <= py_end; ++py) {
            if (pz < 1 || py < 1 || pz > grid.nz || py > grid.ny) {
              touches_padding = true;
              continue;
            }
            const float* values = &grid.values[static_cast<std::size_t>(pz - 1) * grid.plane +
                                               static_cast<std::size_t>(py - 1) * grid.row];
            float* lo = low.data() + 1;
            float* hi = high.data() + 1;
            float* bad = poison.data() + 1;
            for (int i = 0; i < grid.nx; ++i) {
              const float v = values[i];
              lo[i] = v < lo[i] ? v : lo[i];
              hi[i] = hi[i] < v ? v : hi[i];
              bad[i] += v - v;
            }
          }
        }
        bool finite = true;
        for (const float p : poison) finite = finite && p == 0.0F;
        if (!finite) finite_per_layer[block_z] = 0;
        std::uint8_t* active =
            blocks.active.data() + (block_z * static_cast<std::size_t>(blocks.by) + static_cast<std::size_t>(block_y)) *
                                       static_cast<std::size_t>(blocks.bx);
        for (int block_x = 0; block_x < blocks.bx; ++block_x) {
          const int px_begin = block_x * kBlockCells;
          const int px_end = std::min(px_begin + kBlockCells, grid.nx + 1);
          float block_low = kOutside;
          float block_high = -kOutside;
          for (int px = px_begin; px <= px_end; ++px) {
            block_low = std::min(block_low, low[static_cast<std::size_t>(px)]);
            block_high = std::max(block_high, high[static_cast<std::size_t>(px)]);
          }
          const bool any_inside = block_low < iso;
          const bool any_outside = touches_padding || block_high >= iso;
          if (any_inside && any_outside) {
            active[block_x] = 1;
            ++blocks.active_per_layer[block_z];
          }
        }
      }
    }
  });
  blocks.all_finite =
      std::all_of(finite_per_layer.begin(), finite_per_layer.end(), [](std::uint8_t finite) { return finite != 0; });
  return blocks;
}

// Vertex ids of crossed grid edges, one slot per padded (px, py) in each of five planes: x- and
// y-edges of two grid planes (by parity of z) and the z-edges of the current layer. A slot holds
// id + 1, or 0 when never written. The planes are never cleared: ids only grow, so a slot is current
// exactly when its value exceeds the vertex count at the start of the layer that writes it.
// calloc leaves the pages that no active cell reaches unmapped, and zeroing costs nothing.
class EdgeIdPlanes {
 public:
  static constexpr int kPlanes = 5;  // x even, x odd, y even, y odd, z

  explicit EdgeIdPlanes(std::size_t slots_per_plane)
      : slots_(slots_per_plane),
        data_(static_cast<std::uint32_t*>(std::calloc(kPlanes * slots_per_plane, sizeof(std::uint32_t)))) {}

  [[nodiscard]] bool allocated() const { return data_ != nullptr; }
  [[nodiscard]] std::uint32_t* plane(int axis, int z) const {
    const int index = axis == 2 ? 4 : 2 * axis + (z & 1);
    return data_.get() + static_cast<std::size_t>(index) * slots_;
  }

 private:
  struct Free {
    void operator()(std::uint32_t* p) const { std::free(p); }
  };
  std::size_t slots_;
  std::unique_ptr<std::uint32_t, Free> data_;
};

// An x- or y-edge on a slab's bottom plane: its vertex belongs to the slab below.
struct BorrowedEdge {
  int axis = 0;
  std::size_t slot = 0;
};

// One worker's share: cell layers [cz_begin, cz_end) and what they produced.
struct Slab {
  int cz_begin = 0;
  int cz_end = 0;
  std::size_t expected_vertices = 0;  // capacity to reserve up front (a guess, may be exceeded)
  std::vector<Vec3f> positions;
  std::vector<Triangle> triangles;  // local ids, or kBorrowedBit | index into `borrowed`
  std::vector<BorrowedEdge> borrowed;
  std::unique_ptr<EdgeIdPlanes> edge_ids;  // kept after the run: the slab above resolves from it
  std::size_t last_layer_start = 0;        // vertex count when the last layer began
};

// Per cube edge: the corner it starts from, as padded offsets, and its axis.
struct CubeEdge {
  int axis = 0;
  int dx = 0;
  int dy = 0;
  int dz = 0;
  int from = 0;  // corner ids
  int to = 0;
};

std::array<CubeEdge, internal::kCubeEdges> cube_edges() {
  std::array<CubeEdge, internal::kCubeEdges> edges{};
  for (int e = 0; e < internal::kCubeEdges; ++e) {
    const auto corners = internal::edge_corners(e);
    edges[static_cast<std::size_t>(e)] = {e / 4,           corners[0] & 1, (corners[0] >> 1) & 1,
                                          corners[0] >> 2, corners[0],     corners[1]};
  }
  return edges;
}

class SlabExtractor {
 public:
  SlabExtractor(const PaddedGrid& grid, const ActiveBlocks& blocks, const GridGeometry& volume, float iso, Slab& slab)
      : grid_(grid),
        blocks_(blocks),
        volume_(volume),
        iso_(iso),
        slab_(slab),
        table_(internal::cube_case_table()),
        edges_(cube_edges()),
        width_(static_cast<std::size_t>(grid.nx) + 2) {}

  // False when memory ran out.
  bool run() {
    slab_.edge_ids = std::make_unique<EdgeIdPlanes>(width_ * (static_cast<std::size_t>(grid_.ny) + 2));
    if (!slab_.edge_ids->allocated()) return false;
    // Reserving more than is used costs address space only; growing would copy and touch twice.
    slab_.positions.reserve(slab_.expected_vertices);
    slab_.triangles.reserve(2 * slab_.expected_vertices);
    std::size_t layer_start = 0;
    for (int cz = slab_.cz_begin; cz < slab_.cz_end; ++cz) {
      const std::size_t previous_layer_start = layer_start;
      layer_start = slab_.positions.size();
      extract_layer(cz, previous_layer_start, layer_start);
      if (cz == slab_.cz_begin) {
        // Borrowed markers would look current forever; the plane is reused two layers up.
        for (const BorrowedEdge& edge : slab_.borrowed) slab_.edge_ids->plane(edge.axis, cz)[edge.slot] = 0;
      }
    }
    slab_.last_layer_start = layer_start;
    return true;
  }

 private:
  // Bottom-plane slots were written by the previous layer; the others by this one.
  void extract_layer(int cz, std::size_t previous_layer_start, std::size_t layer_start) {
    for (int e = 0; e < internal::kCubeEdges; ++e) {
      const CubeEdge& edge = edges_[static_cast<std::size_t>(e)];
      const std::size_t offset = static_cast<std::size_t>(edge.dy) * width_ + static_cast<std::size_t>(edge.dx);
      const bool bottom = edge.axis != 2 && edge.dz == 0;
      slot_base_[static_cast<std::size_t>(e)] = slab_.edge_ids->plane(edge.axis, cz + edge.dz) + offset;
      slot_offset_[static_cast<std::size_t>(e)] = offset;
      current_above_[static_cast<std::size_t>(e)] =
          static_cast<std::uint32_t>(bottom ? previous_layer_start : layer_start);
    }
    const int block_z = cz / kBlockCells;
    if (blocks_.active_per_layer[static_cast<std::size_t>(block_z)] == 0) return;
    for (int cy = 0; cy <= grid_.ny; ++cy) {
      const std::uint8_t* active = blocks_.row(cy / kBlockCells, block_z);
      // All four rows of this cell row are inside the grid: read them directly.
      const bool interior = cy >= 1 && cy < grid_.ny && cz >= 1 && cz < grid_.nz;
      std::array<const float*, 4> rows{};  // [dy + 2 dz], rows start at grid x 0 (padded x 1)
      if (interior) {
        for (int r = 0; r < 4; ++r) {
          rows[static_cast<std::size_t>(r)] = grid_.values + static_cast<std::size_t>(cz - 1 + (r >> 1)) * grid_.plane +
                                              static_cast<std::size_t>(cy - 1 + (r & 1)) * grid_.row;
        }
      }
      for (int block_x = 0; block_x < blocks_.bx; ++block_x) {
        if (active[block_x] == 0) continue;
        const int cx_begin = block_x * kBlockCells;
        const int cx_end = std::min(cx_begin + kBlockCells, grid_.nx + 1);
        for (int cx = cx_begin; cx < cx_end; ++cx) {
          std::array<float, internal::kCubeCorners> v{};
          if (interior && cx >= 1 && cx < grid_.nx) {
            for (std::size_t c = 0; c < v.size(); ++c) v[c] = rows[c >> 1][cx - 1 + static_cast<int>(c & 1)];
          } else {
            for (int c = 0; c < internal::kCubeCorners; ++c) {
              v[static_cast<std::size_t>(c)] = grid_.at(cx + (c & 1), cy + ((c >> 1) & 1), cz + (c >> 2));
            }
          }
          unsigned case_index = 0;
          for (std::size_t c = 0; c < v.size(); ++c) case_index |= static_cast<unsigned>(v[c] < iso_) << c;
          if (case_index == 0 || case_index == internal::kCubeCases - 1) continue;
          emit_cell(case_index, cx, cy, cz, v);
        }
      }
    }
  }

  void emit_cell(unsigned case_index, int cx, int cy, int cz, const std::array<float, internal::kCubeCorners>& v) {
    const internal::CubeCase& entry = table_[case_index];
    const std::size_t cell = static_cast<std::size_t>(cy) * width_ + static_cast<std::size_t>(cx);
    std::array<std::uint32_t, internal::kCubeEdges> ids{};
    for (unsigned mask = entry.edge_mask; mask != 0; mask &= mask - 1) {
      const auto e = static_cast<std::size_t>(std::countr_zero(mask));
      std::uint32_t& slot = slot_base_[e][cell];
      if (slot > current_above_[e]) {
        ids[e] = (slot & kBorrowedBit) != 0 ? slot : slot - 1;
        continue;
      }
      const CubeEdge& edge = edges_[e];
      std::uint32_t id = 0;
      if (edge.axis != 2 && edge.dz == 0) {
        // A bottom-plane edge not seen in this slab: only possible in its first layer, where the
        // slab below created the vertex. Resolved when the slabs are merged.
        id = kBorrowedBit | static_cast<std::uint32_t>(slab_.borrowed.size());
        slab_.borrowed.push_back({edge.axis, cell + slot_offset_[e]});
      } else {
        id = static_cast<std::uint32_t>(slab_.positions.size());
        slab_.positions.push_back(edge_vertex(edge, cx, cy, cz, v));
      }
      slot = (id & kBorrowedBit) != 0 ? id : id + 1;
      ids[e] = id;
    }
    for (std::size_t t = 0; t < entry.triangle_count; ++t) {
      slab_.triangles.push_back({ids[entry.edges[3 * t]], ids[entry.edges[3 * t + 1]], ids[entry.edges[3 * t + 2]]});
    }
  }

  [[nodiscard]] Vec3f edge_vertex(const CubeEdge& edge, int cx, int cy, int cz,
                                  const std::array<float, internal::kCubeCorners>& v) const {
    const float a = v[static_cast<std::size_t>(edge.from)];
    const float b = v[static_cast<std::size_t>(edge.to)];
    // Measured from the inside end: the outside end may be the +inf padding, giving 0.
    const bool from_inside = a < iso_;
    const float inside = from_inside ? a : b;
    const float outside = from_inside ? b : a;
    float s = (iso_ - inside) / (outside - inside);
    if (!(s >= kMinEdgeFraction)) s = kMinEdgeFraction;  // also catches NaN
    if (s > kMaxEdgeFraction) s = kMaxEdgeFraction;
    const float t = from_inside ? s : 1.0F - s;
    // Grid index of the edge's start = padded index - 1.
    std::array<float, 3> grid_index = {static_cast<float>(cx + edge.dx - 1), static_cast<float>(cy + edge.dy - 1),
                                       static_cast<float>(cz + edge.dz - 1)};
    grid_index[static_cast<std::size_t>(edge.axis)] += t;
    return {volume_.origin.x + volume_.spacing * grid_index[0], volume_.origin.y + volume_.spacing * grid_index[1],
            volume_.origin.z + volume_.spacing * grid_index[2]};
  }

  const PaddedGrid& grid_;
  const ActiveBlocks& blocks_;
  const GridGeometry& volume_;
  float iso_;
  Slab& slab_;
  const std::array<internal::CubeCase, internal::kCubeCases>& table_;
  std::array<CubeEdge, internal::kCubeEdges> edges_;
  std::size_t width_;
  std::array<std::uint32_t*, internal::kCubeEdges> slot_base_{};
  std::array<std::size_t, internal::kCubeEdges> slot_offset_{};
  std::array<std::uint32_t, internal::kCubeEdges> current_above_{};  // slot values above this are current
};

// Cuts the cell layers [0, nz + 1) into `count` non-empty slabs of about equal work, work being the
// number of active blocks a layer crosses (the output does not depend on where the cuts fall).
std::vector<Slab> plan_slabs(const ActiveBlocks& blocks, int layers, int count) {
  count = std::clamp(count, 1, layers);
  std::vector<std::size_t> cost(static_cast<std::size_t>(layers));
  std::size_t total = 0;
  for (int cz = 0; cz < layers; ++cz) {
    cost[static_cast<std::size_t>(cz)] = 1 + blocks.active_per_layer[static_cast<std::size_t>(cz / kBlockCells)];
    total += cost[static_cast<std::size_t>(cz)];
  }
  std::vector<Slab> slabs(static_cast<std::size_t>(count));
  int cz = 0;
  std::size_t done = 0;
  for (int s = 0; s < count; ++s) {
    Slab& slab = slabs[static_cast<std::size_t>(s)];
    slab.cz_begin = cz;
    const std::size_t goal = total * static_cast<std::size_t>(s + 1) / static_cast<std::size_t>(count);
    const int last_allowed = layers - (count - s - 1);  // leave one layer for each later slab
    do {
      done += cost[static_cast<std::size_t>(cz)];
      ++cz;
    } while (cz < last_allowed && done < goal);
    slab.cz_end = cz;
  }
  slabs.back().cz_end = layers;
  // Slab 0 later receives everything (the merge appends in place), so it reserves for the whole.
  std::size_t all_vertices = 0;
  for (Slab& slab : slabs) {
    std::size_t block_layers_x8 = 0;  // active blocks crossed, counted once per cell layer
    for (int layer = slab.cz_begin; layer < slab.cz_end; ++layer) {
      block_layers_x8 += blocks.active_per_layer[static_cast<std::size_t>(layer / kBlockCells)];
    }
    slab.expected_vertices = kExpectedVerticesPerActiveBlock * block_layers_x8 / kBlockCells;
    all_vertices += slab.expected_vertices;
  }
  slabs.front().expected_vertices = all_vertices;
  return slabs;
}

Status validate(const VolumeView& volume) {
  const GridGeometry& g = volume.grid;
  if (g.nx < 2 || g.ny < 2 || g.nz < 2) {
    return make_error(ErrorCode::kInvalidArgument, "marching cubes needs at least 2 grid points per axis, got " +
                                                       std::to_string(g.nx) + "x" + std::to_string(g.ny) + "x" +
                                                       std::to_string(g.nz));
  }
  if (volume.values == nullptr || volume.size != g.count()) {
    return make_error(ErrorCode::kInvalidArgument, "volume holds " + std::to_string(volume.size) +
                                                       " values for a grid of " + std::to_string(g.count()));
  }
  if (!(g.spacing > 0.0F) || !std::isfinite(g.spacing)) {
    return make_error(ErrorCode::kInvalidArgument, "volume spacing must be positive and finite");
  }
  return ok();
}

}  // namespace

Result<Mesh> marching_cubes(const ScalarVolume& volume, const MarchingCubesOptions& options) {
  return marching_cubes(volume.view(), options);
}

Result<Mesh> marching_cubes(const VolumeView& view, const MarchingCubesOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(view));
  const GridGeometry& volume = view.grid;
  const PaddedGrid grid{view.values,
                        volume.nx,
                        volume.ny,
                        volume.nz,
                        static_cast<std::size_t>(volume.nx),
                        static_cast<std::size_t>(volume.nx) * static_cast<std::size_t>(volume.ny)};
  const ActiveBlocks blocks = find_active_blocks(grid, options.iso);
  if (!blocks.all_finite) {
    return make_error(ErrorCode::kInvalidArgument, "volume holds NaN or infinite values");
  }

  const int slab_count = options.threads > 0 ? options.threads : static_cast<int>(worker_count());
  std::vector<Slab> slabs = plan_slabs(blocks, volume.nz + 1, slab_count);
  std::vector<std::uint8_t> slab_ok(slabs.size(), 0);
  parallel_for(0, slabs.size(), 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t s = first; s < last; ++s) {
      slab_ok[s] = SlabExtractor(grid, blocks, volume, options.iso, slabs[s]).run() ? 1 : 0;
    }
  });
  if (std::find(slab_ok.begin(), slab_ok.end(), 0) != slab_ok.end()) {
    return make_error(ErrorCode::kLimitExceeded, "marching cubes: out of memory for edge tables");
  }

  // Merge: slabs in z order, so the result equals a single-slab run.
  std::vector<std::size_t> vertex_offset(slabs.size() + 1, 0);
  for (std::size_t s = 0; s < slabs.size(); ++s) vertex_offset[s + 1] = vertex_offset[s] + slabs[s].positions.size();
  if (vertex_offset.back() >= kBorrowedBit) {
    return make_error(ErrorCode::kLimitExceeded, "marching cubes produced more than 2^31 vertices");
  }
  // The slab below created the vertices on its top plane, which is this slab's bottom plane.
  std::vector<std::vector<std::uint32_t>> borrowed_ids(slabs.size());
  for (std::size_t s = 1; s < slabs.size(); ++s) {
    const Slab& below = slabs[s - 1];
    for (const BorrowedEdge& edge : slabs[s].borrowed) {
      const std::uint32_t slot = below.edge_ids->plane(edge.axis, slabs[s].cz_begin)[edge.slot];
      if (slot <= below.last_layer_start || (slot & kBorrowedBit) != 0) {
        return make_error(ErrorCode::kInternal, "marching cubes: slab boundary vertex missing below");
      }
      borrowed_ids[s].push_back(static_cast<std::uint32_t>(vertex_offset[s - 1] + slot - 1));
    }
  }
  parallel_for(1, slabs.size(), 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t s = first; s < last; ++s) {
      const auto offset = static_cast<std::uint32_t>(vertex_offset[s]);
      for (Triangle& triangle : slabs[s].triangles) {
        for (std::uint32_t& id : triangle) {
          id = (id & kBorrowedBit) != 0 ? borrowed_ids[s][id & ~kBorrowedBit] : id + offset;
        }
      }
    }
  });
  // Appending to slab 0's buffers (reserved for the whole) writes each byte of output only once more.
  Mesh mesh;
  mesh.positions = std::move(slabs.front().positions);
  mesh.triangles = std::move(slabs.front().triangles);
  for (std::size_t s = 1; s < slabs.size(); ++s) {
    mesh.positions.insert(mesh.positions.end(), slabs[s].positions.begin(), slabs[s].positions.end());
    mesh.triangles.insert(mesh.triangles.end(), slabs[s].triangles.begin(), slabs[s].triangles.end());
  }
  return mesh;
}

}  // namespace orfeas::mesh
