// Volume decoding: the geometry decoder's logits on a regular grid over [-bounds, bounds]³, for
// marching cubes (notes §9).
//
//   at::Tensor kv = geo.keys_values(tokens);                                  // once per mesh
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor grid, decode_dense(geo, kv, 384, 1.01, 8000, progress));
//   // grid: [B, 385, 385, 385] float32, positive inside, iso level 0
//   ORFEAS_ASSIGN_OR_RETURN(at::Tensor sparse, decode_hierarchical(geo, kv, 384, 1.01, 8000, progress));
//   // the same grid, NaN where it was not evaluated (far from the surface)
//
// decode_dense is the reference's VanillaVolumeDecoder, bit for bit on the same LibTorch:
//   - axis coordinates as numpy's linspace(-b, b, R+1, dtype=float32): i·(2b/R) + (-b) in float64,
//     the last exactly b, rounded to f32, then to the run dtype (a double rounding);
//   - points in 'ij' order flattened row-major (z fastest), queried num_chunks at a time with the
//     remainder last, each chunk repeated over the batch ([B, chunk, 3] contiguous): the GEMM shapes,
//     and hence the bits, are the reference's;
//   - logits in the run dtype, returned as float32.
//
// decode_hierarchical is FlashVDM's coarse-to-fine idea without its top-k KV selection, done with
// correct coordinates (the reference's HierarchicalVolumeDecoding computes every refinement query
// at (-1, -1, -1): notes §1 item 17). Resolutions: R, R/2, R/4, ... while ≥ min_resolution (63),
// coarsest first (384 -> 96, 192, 384; R < 63 -> just R, which is decode_dense). The coarsest level
// is decoded densely; at each finer level a coarse point is marked when its sign differs from one
// of its 6 neighbours (unevaluated neighbours count as equal) or |logit| < 0.95 (0.95 in the points'
// dtype, as the reference compares); at intermediate levels the marks are dilated by a 3×3×3 box;
// marked coarse point (i, j, k) marks fine point (2i, 2j, 2k), and the fine marks are dilated once
// (intermediate levels) or twice (last level); only the marked fine points are evaluated. The
// box dilation is the reference's all-ones 3×3×3 convolution followed by "> 0", computed as a 3×3×3
// max-pool (the same set for non-negative marks, without the convolution's 27× im2col memory).
// With B > 1 a point is evaluated for every batch item when any item marks it.
// Refinement points take the dense grid's coordinates in the points' dtype (not the reference's
// f32 arithmetic), so every evaluated point has the value decode_dense gives it (on the CPU the
// same bits; on a GPU up to the GEMM's batch shape, which differs).
//
// Unevaluated points are NaN. What the caller (marching cubes) must do with them: treat a NaN corner
// as outside (below the level) when classifying a cube, and never place a vertex on an edge that
// has a NaN end: skip the triangles that would need one. The dilation keeps every cube that the
// coarse levels saw the surface cross fully evaluated, so only cubes far from the surface touch NaN;
// a positive (inside) point next to NaN is deep inside, not on the surface, and must not produce a
// face. (The reference's Lewiner MC interpolates NaN vertices there and trimesh then drops them with
// their faces: notes §1 item 15; the rule above gives the same mesh without the NaN vertices.)
//
// Errors: kInvalidArgument for octree_resolution < 1, num_chunks < 1, bounds not finite and > 0.
// The decoder and the field may throw c10::Error (ATen); it is not caught here.
// Progress: one step per chunk of queries. decode_hierarchical only knows a level's chunk count
// when it gets there, so its `steps` grows at each level (the last report is steps of steps).
// Thread-safety: pure functions; the decoder is only read.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "orfeas/core/progress.h"
#include "orfeas/core/status.h"
#include "orfeas/engine/shape_vae.h"

namespace orfeas::engine {

// A logit field for the decoders: points [P, 3] (the dtype and device given with it) -> logits
// [B, P] (any floating dtype; positive inside). The GeometryDecoder overloads wrap
// `geo.query(points repeated to [B, P, 3], kv)`; tests pass analytic fields.
using LogitField = std::function<at::Tensor(const at::Tensor& points)>;

struct HierarchicalStats {
  std::vector<int> resolutions;   // the levels, coarsest first
  std::int64_t evaluated = 0;     // points queried over all levels (per batch item)
  std::int64_t dense_points = 0;  // (R+1)³: what decode_dense queries
};

// numpy's linspace(-bounds, bounds, R+1, dtype=float32) as the reference computes it: [R+1] f32 CPU.
[[nodiscard]] at::Tensor dense_grid_axis(int octree_resolution, double bounds);

// The hierarchical levels for `octree_resolution`, coarsest first.
[[nodiscard]] std::vector<int> hierarchical_resolutions(int octree_resolution, int min_resolution = 63);

// -> [B, R+1, R+1, R+1] f32 on the decoder's device.
[[nodiscard]] Result<at::Tensor> decode_dense(const GeometryDecoder& decoder, const at::Tensor& kv,
                                              int octree_resolution, double bounds, std::int64_t num_chunks,
                                              const StepProgress& progress);
// `points`: the dtype and device of the query points given to `field`.
[[nodiscard]] Result<at::Tensor> decode_dense(const LogitField& field, const at::TensorOptions& points,
                                              int octree_resolution, double bounds, std::int64_t num_chunks,
                                              const StepProgress& progress);

// What unevaluated points hold: NaN (the reference's choice: its mesh export drops them), or the
// value of the nearest point of the coarser level (recursively, so always a decoded value). A point
// is left unevaluated only far from the surface, where the coarse level's sign is the field's, so
// kCoarseValue gives a finite grid any marching cubes meshes to the same surface (no faces inside
// unevaluated regions: NaN read as "outside" would put an inner shell around every region deep
// inside the object).
enum class Unevaluated { kNaN, kCoarseValue };

// -> [B, R+1, R+1, R+1] f32, unevaluated points as `unevaluated` says. `stats` (optional,
// borrowed) is filled in. `min_resolution`: the coarsest level is the last halving of R that is
// still ≥ it (63 as FlashVDM).
[[nodiscard]] Result<at::Tensor> decode_hierarchical(const GeometryDecoder& decoder, const at::Tensor& kv,
                                                     int octree_resolution, double bounds, std::int64_t num_chunks,
                                                     const StepProgress& progress, HierarchicalStats* stats = nullptr,
                                                     int min_resolution = 63,
                                                     Unevaluated unevaluated = Unevaluated::kNaN);
[[nodiscard]] Result<at::Tensor> decode_hierarchical(const LogitField& field, const at::TensorOptions& points,
                                                     int octree_resolution, double bounds, std::int64_t num_chunks,
                                                     const StepProgress& progress, HierarchicalStats* stats = nullptr,
                                                     int min_resolution = 63,
                                                     Unevaluated unevaluated = Unevaluated::kNaN);

// The near-surface marks of a grid [D, D, D] (f32, NaN = unevaluated): a valid point whose sign
// differs from one of its 6 face neighbours (edge-replicated; NaN neighbours count as equal), or
// with |logit| < threshold. Bool [D, D, D]. Exposed for tests.
[[nodiscard]] at::Tensor near_surface_marks(const at::Tensor& grid, double threshold);

}  // namespace orfeas::engine
