#include "orfeas/engine/layers.h"

#include <cmath>
#include <string>

#include <torch/version.h>

namespace orfeas::engine {
namespace {

std::string join(std::string_view name, std::string_view leaf) {
  std::string out(name);
  out += '.';
  out += leaf;
  return out;
}

}  // namespace

Result<Linear> Linear::load(const Weights& weights, std::string_view name, std::int64_t in, std::int64_t out,
                            bool bias) {
  Linear linear;
  ORFEAS_ASSIGN_OR_RETURN(linear.weight, weights.take(join(name, "weight"), {out, in}));
  if (bias) {
    ORFEAS_ASSIGN_OR_RETURN(linear.bias, weights.take(join(name, "bias"), {out}));
  }
  return linear;
}

Result<LayerNorm> LayerNorm::load(const Weights& weights, std::string_view name, std::int64_t dim, double eps,
                                  bool affine) {
  LayerNorm norm = plain(dim, eps);
  if (affine) {
    ORFEAS_ASSIGN_OR_RETURN(norm.weight, weights.take(join(name, "weight"), {dim}));
    ORFEAS_ASSIGN_OR_RETURN(norm.bias, weights.take(join(name, "bias"), {dim}));
  }
  return norm;
}

LayerNorm LayerNorm::plain(std::int64_t dim, double eps) {
  LayerNorm norm;
  norm.dim = dim;
  norm.eps = eps;
  return norm;
}

at::Tensor ScaledRmsNorm::operator()(const at::Tensor& x) const {
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor rrms = at::rsqrt(at::mean(x32.pow(2), {-1}, /*keepdim=*/true) + 1e-6);
  return (x32 * rrms).to(x.scalar_type()) * scale;
}

Result<ScaledRmsNorm> ScaledRmsNorm::load(const Weights& weights, std::string_view name, std::int64_t dim) {
  ScaledRmsNorm norm;
  ORFEAS_ASSIGN_OR_RETURN(norm.scale, weights.take(join(name, "scale"), {dim}));
  return norm;
}

at::Tensor RmsNorm::operator()(const at::Tensor& x) const {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::rms_norm(x, {weight.size(0)}, weight, eps);
#else
  const at::Tensor x32 = x.to(at::kFloat);
  const at::Tensor normed = x32 * at::rsqrt(at::mean(x32.pow(2), {-1}, /*keepdim=*/true) + eps);
  return (normed * weight.to(at::kFloat)).to(x.scalar_type());
#endif
}

Result<RmsNorm> RmsNorm::load(const Weights& weights, std::string_view name, std::int64_t dim, double eps) {
  RmsNorm norm;
  norm.eps = eps;
  ORFEAS_ASSIGN_OR_RETURN(norm.weight, weights.take(join(name, "weight"), {dim}));
  return norm;
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  const at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * scale;
  return at::matmul(at::softmax(scores, -1, at::kFloat).to(q.scalar_type()), v);
#endif
}

bool has_fused_attention() {
  return TORCH_VERSION_MAJOR >= 2;
}

}  // namespace orfeas::engine
