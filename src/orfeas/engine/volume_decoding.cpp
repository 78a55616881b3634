#include "orfeas/engine/volume_decoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace orfeas::engine {
namespace {

// |logit| below this marks a point as near the surface (the reference's constant).
constexpr double kNearSurfaceLogit = 0.95;

Status check_request(int octree_resolution, double bounds, std::int64_t num_chunks) {
  if (octree_resolution < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("volume decoding: octree resolution {} < 1", octree_resolution));
  }
  if (num_chunks < 1) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("volume decoding: {} queries per chunk", num_chunks));
  }
  if (!std::isfinite(bounds) || bounds <= 0.0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("volume decoding: bounds {} is not > 0", bounds));
  }
  return ok();
}

LogitField decoder_field(const GeometryDecoder& decoder, const at::Tensor& kv) {
  const std::int64_t batch = kv.size(0);
  return [&decoder, kv, batch](const at::Tensor& points) {
    // The reference repeats each chunk over the batch: a contiguous [B, P, 3].
    return decoder.query(points.unsqueeze(0).expand({batch, -1, -1}).contiguous(), kv);
  };
}

at::TensorOptions points_options(const GeometryDecoder& decoder) {
  return at::TensorOptions().dtype(decoder.dtype()).device(decoder.device());
}

// Queries `field` at `count` grid points, num_chunks at a time with the remainder last: those with
// the flat (row-major, z fastest) indices `flat` [count] (int64, on the points' device), or all the
// grid's points in order when `flat` is undefined. Writes the logits into out [B, side³] f32,
// allocated from the first chunk's batch size when undefined.
void evaluate(const LogitField& field, const at::Tensor& axis, std::int64_t side, const at::Tensor& flat,
              std::int64_t count, at::Tensor& out, std::int64_t num_chunks, std::size_t& step, std::size_t steps,
              const StepProgress& progress) {
  const at::TensorOptions index_options = axis.options().dtype(at::kLong);
  for (std::int64_t start = 0; start < count; start += num_chunks) {
    const std::int64_t n = std::min(num_chunks, count - start);
    const at::Tensor idx = flat.defined() ? flat.narrow(0, start, n) : at::arange(start, start + n, index_options);
    const at::Tensor i = at::div(idx, side * side, "floor");
    const at::Tensor j = at::remainder(at::div(idx, side, "floor"), side);
    const at::Tensor k = at::remainder(idx, side);
    const at::Tensor points = at::stack({axis.index_select(0, i), axis.index_select(0, j), axis.index_select(0, k)}, 1);
    const at::Tensor logits = field(points);  // [B, n]
    if (!out.defined()) out = at::empty({logits.size(0), side * side * side}, axis.options().dtype(at::kFloat));
    TORCH_CHECK(logits.dim() == 2 && logits.size(0) == out.size(0) && logits.size(1) == n,
                "volume decoding: the field returned ", logits.sizes(), " for ", n, " points and ", out.size(0),
                " batch items");
    if (flat.defined()) {
      out.index_copy_(1, idx, logits.to(at::kFloat));
    } else {
      out.narrow(1, start, n).copy_(logits);
    }
    report(progress, ++step, steps);
  }
}

std::int64_t chunks_for(std::int64_t points, std::int64_t num_chunks) {
  return (points + num_chunks - 1) / num_chunks;
}

// "Any point of the 3×3×3 box around is marked" over marks [D, D, D] (bool): the reference's
// all-ones conv3d (zero padding) followed by > 0, for non-negative marks.
at::Tensor dilate(const at::Tensor& marks) {
  const at::Tensor m = marks.to(at::kFloat).unsqueeze(0).unsqueeze(0);
  return at::max_pool3d(m, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}).squeeze(0).squeeze(0) > 0;
}

// The grid [B, D, D, D] f32 densely, at the level's axis.
at::Tensor dense_level(const LogitField& field, const at::TensorOptions& options, int r, double bounds,
                       std::int64_t num_chunks, std::size_t& step, std::size_t& steps, const StepProgress& progress) {
  const std::int64_t side = r + 1;
  const std::int64_t total = side * side * side;
  const at::Tensor axis = dense_grid_axis(r, bounds).to(options);
  steps += static_cast<std::size_t>(chunks_for(total, num_chunks));
  at::Tensor out;
  evaluate(field, axis, side, at::Tensor(), total, out, num_chunks, step, steps, progress);
  return out.view({out.size(0), side, side, side});
}

}  // namespace

at::Tensor dense_grid_axis(int octree_resolution, double bounds) {
  const std::int64_t n = static_cast<std::int64_t>(octree_resolution) + 1;
  at::Tensor axis = at::empty({n}, at::TensorOptions().dtype(at::kFloat));
  float* out = axis.data_ptr<float>();
  // numpy: delta = stop - start and step = delta / div in float64, y = i·step + start, y[-1] = stop.
  const double start = -bounds;
  const double stop = bounds;
  const double step = (stop - start) / static_cast<double>(octree_resolution);
  for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<double>(i) * step + start);
  out[n - 1] = static_cast<float>(stop);
  return axis;
}

std::vector<int> hierarchical_resolutions(int octree_resolution, int min_resolution) {
  std::vector<int> levels;
  if (octree_resolution < min_resolution) levels.push_back(octree_resolution);
  for (int r = octree_resolution; r >= min_resolution; r /= 2) levels.push_back(r);
  std::reverse(levels.begin(), levels.end());
  return levels;
}

at::Tensor near_surface_marks(const at::Tensor& grid, double threshold) {
  const at::Tensor valid = ~at::isnan(grid);
  const at::Tensor sign = at::sign(grid);
  // 6 face neighbours with edge replication, an unevaluated neighbour replaced by the point itself.
  const at::Tensor padded =
      at::replication_pad3d(grid.unsqueeze(0).unsqueeze(0), {1, 1, 1, 1, 1, 1}).squeeze(0).squeeze(0);
  const std::int64_t d0 = grid.size(0);
  const std::int64_t d1 = grid.size(1);
  const std::int64_t d2 = grid.size(2);
  at::Tensor differs = at::zeros_like(valid);
  const std::int64_t offsets[6][3] = {{0, 1, 1}, {2, 1, 1}, {1, 0, 1}, {1, 2, 1}, {1, 1, 0}, {1, 1, 2}};
  for (const auto& o : offsets) {
    at::Tensor n = padded.narrow(0, o[0], d0).narrow(1, o[1], d1).narrow(2, o[2], d2);
    n = at::where(at::isnan(n), grid, n);
    differs = differs | (at::sign(n) != sign);
  }
  return valid & (differs | (at::abs(grid) < threshold));
}

Result<at::Tensor> decode_dense(const LogitField& field, const at::TensorOptions& points, int octree_resolution,
                                double bounds, std::int64_t num_chunks, const StepProgress& progress) {
  ORFEAS_RETURN_IF_ERROR(check_request(octree_resolution, bounds, num_chunks));
  std::size_t step = 0;
  std::size_t steps = 0;
  return dense_level(field, points, octree_resolution, bounds, num_chunks, step, steps, progress);
}

Result<at::Tensor> decode_dense(const GeometryDecoder& decoder, const at::Tensor& kv, int octree_resolution,
                                double bounds, std::int64_t num_chunks, const StepProgress& progress) {
  ORFEAS_RETURN_IF_ERROR(check_request(octree_resolution, bounds, num_chunks));
  std::size_t step = 0;
  std::size_t steps = 0;
  return dense_level(decoder_field(decoder, kv), points_options(decoder), octree_resolution, bounds, num_chunks, step,
                     steps, progress);
}

namespace {

Result<at::Tensor> hierarchical(const LogitField& field, const at::TensorOptions& options, int octree_resolution,
                                double bounds, std::int64_t num_chunks, const StepProgress& progress,
                                HierarchicalStats* stats, int min_resolution, Unevaluated unevaluated) {
  ORFEAS_RETURN_IF_ERROR(check_request(octree_resolution, bounds, num_chunks));
  if (min_resolution < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("volume decoding: minimum resolution {} < 1", min_resolution));
  }
  const std::vector<int> levels = hierarchical_resolutions(octree_resolution, min_resolution);
  std::size_t step = 0;
  std::size_t steps = 0;
  at::Tensor grid = dense_level(field, options, levels.front(), bounds, num_chunks, step, steps, progress);
  std::int64_t evaluated = grid[0].numel();
  const std::int64_t batch = grid.size(0);
  // The reference compares |logit| with 0.95 in the logits' dtype (a Python scalar is cast to it).
  const double threshold = at::scalar_tensor(kNearSurfaceLogit, options.dtype()).item<double>();
  for (std::size_t l = 1; l < levels.size(); ++l) {
    const bool last = l + 1 == levels.size();
    const std::int64_t side = levels[l] + 1;
    const std::int64_t coarse = grid.size(1);
    at::Tensor marks = near_surface_marks(grid[0], threshold);
    for (std::int64_t b = 1; b < batch; ++b) marks = marks | near_surface_marks(grid[b], threshold);
    if (!last) marks = dilate(marks);
    at::Tensor fine = at::zeros({side, side, side}, marks.options());
    const std::int64_t span = 2 * (coarse - 1) + 1;
    fine.slice(0, 0, span, 2).slice(1, 0, span, 2).slice(2, 0, span, 2).copy_(marks);
    for (int i = 0; i < (last ? 2 : 1); ++i) fine = dilate(fine);
    const at::Tensor flat = at::nonzero(fine.reshape({-1})).reshape({-1});  // ascending: row-major
    at::Tensor next =
        unevaluated == Unevaluated::kCoarseValue
            ? at::upsample_nearest3d(grid.unsqueeze(1), {side, side, side})
                  .reshape({batch, side * side * side})
                  .contiguous()
            : at::full({batch, side * side * side}, std::numeric_limits<float>::quiet_NaN(), options.dtype(at::kFloat));
    steps += static_cast<std::size_t>(chunks_for(flat.size(0), num_chunks));
    const at::Tensor axis = dense_grid_axis(levels[l], bounds).to(options);
    evaluate(field, axis, side, flat, flat.size(0), next, num_chunks, step, steps, progress);
    evaluated += flat.size(0);
    grid = next.view({batch, side, side, side});
  }
  if (stats != nullptr) {
    stats->resolutions = levels;
    stats->evaluated = evaluated;
    stats->dense_points = grid[0].numel();
  }
  return grid;
}

}  // namespace

Result<at::Tensor> decode_hierarchical(const LogitField& field, const at::TensorOptions& points, int octree_resolution,
                                       double bounds, std::int64_t num_chunks, const StepProgress& progress,
                                       HierarchicalStats* stats, int min_resolution, Unevaluated unevaluated) {
  return hierarchical(field, points, octree_resolution, bounds, num_chunks, progress, stats, min_resolution,
                      unevaluated);
}

Result<at::Tensor> decode_hierarchical(const GeometryDecoder& decoder, const at::Tensor& kv, int octree_resolution,
                                       double bounds, std::int64_t num_chunks, const StepProgress& progress,
                                       HierarchicalStats* stats, int min_resolution, Unevaluated unevaluated) {
  return hierarchical(decoder_field(decoder, kv), points_options(decoder), octree_resolution, bounds, num_chunks,
                      progress, stats, min_resolution, unevaluated);
}

}  // namespace orfeas::engine
