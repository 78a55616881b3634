#include "orfeas/engine/dinov2.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace orfeas::engine {
namespace {

Status check_config(const models::DinoConfig& config) {
  const std::int64_t hidden = config.hidden_size;
  const std::int64_t heads = config.num_attention_heads;
  const std::int64_t patch = config.patch_size;
  if (hidden <= 0 || heads <= 0 || hidden % heads != 0 || patch <= 0 || config.config_image_size < patch ||
      config.image_size < patch || config.num_hidden_layers < 0 || config.num_channels <= 0 || config.mlp_ratio <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("DINOv2 config out of range: hidden_size {}, {} heads, patch {}, image_size {} "
                                  "(position table for {}), {} layers, {} channels, mlp_ratio {}",
                                  hidden, heads, patch, config.image_size, config.config_image_size,
                                  config.num_hidden_layers, config.num_channels, config.mlp_ratio));
  }
  if (!config.use_swiglu_ffn && !config.hidden_act.empty() && config.hidden_act != "gelu") {
    return make_error(ErrorCode::kUnsupportedFormat,
                      fmt::format("DINOv2 hidden_act '{}': only 'gelu' (exact) is implemented", config.hidden_act));
  }
  return {};
}

}  // namespace

at::Tensor DinoV2Layer::self_attention(const at::Tensor& x) const {
  const std::int64_t batch = x.size(0);
  const std::int64_t head_dim = x.size(-1) / heads;
  // Dinov2SelfAttention: each projection viewed as [B, L, H, hd] and moved to [B, H, L, hd].
  const auto split = [&](const at::Tensor& t) { return t.view({batch, -1, heads, head_dim}).transpose(1, 2); };
  const at::Tensor q = split(query(x));
  const at::Tensor k = split(key(x));
  const at::Tensor v = split(value(x));
  // SDPA with the default scale hd^-0.5, the value transformers passes explicitly.
  const at::Tensor context = attention(q, k, v).transpose(1, 2).contiguous();
  return dense(context.reshape({batch, -1, heads * head_dim}));
}

at::Tensor DinoV2Layer::mlp(const at::Tensor& x) const {
  const at::Tensor h = mlp_in(x);
  if (swiglu) {
    const auto halves = h.chunk(2, -1);  // [x1 | x2]
    return mlp_out(at::silu(halves[0]) * halves[1]);
  }
  return mlp_out(gelu_exact(h));  // ACT2FN["gelu"]: the exact erf GELU
}

at::Tensor DinoV2Layer::operator()(const at::Tensor& x) const {
  // The residual additions keep the reference's operand order (branch + residual).
  const at::Tensor h = self_attention(norm1(x)) * layer_scale1 + x;
  return mlp(norm2(h)) * layer_scale2 + h;
}

Result<DinoV2Layer> DinoV2Layer::load(const Weights& layer, const models::DinoConfig& config) {
  const std::int64_t d = config.hidden_size;
  const double eps = config.layer_norm_eps;
  const bool qkv_bias = config.qkv_bias;
  DinoV2Layer out;
  out.heads = config.num_attention_heads;
  out.swiglu = config.use_swiglu_ffn;
  ORFEAS_ASSIGN_OR_RETURN(out.norm1, LayerNorm::load(layer, "norm1", d, eps));
  ORFEAS_ASSIGN_OR_RETURN(out.query, Linear::load(layer, "attention.attention.query", d, d, qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(out.key, Linear::load(layer, "attention.attention.key", d, d, qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(out.value, Linear::load(layer, "attention.attention.value", d, d, qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(out.dense, Linear::load(layer, "attention.output.dense", d, d, true));
  ORFEAS_ASSIGN_OR_RETURN(out.layer_scale1, layer.take("layer_scale1.lambda1", {d}));
  ORFEAS_ASSIGN_OR_RETURN(out.norm2, LayerNorm::load(layer, "norm2", d, eps));
  const std::int64_t f = config.mlp_hidden_size();
  if (out.swiglu) {
    ORFEAS_ASSIGN_OR_RETURN(out.mlp_in, Linear::load(layer, "mlp.weights_in", d, 2 * f, true));
    ORFEAS_ASSIGN_OR_RETURN(out.mlp_out, Linear::load(layer, "mlp.weights_out", f, d, true));
  } else {
    ORFEAS_ASSIGN_OR_RETURN(out.mlp_in, Linear::load(layer, "mlp.fc1", d, f, true));
    ORFEAS_ASSIGN_OR_RETURN(out.mlp_out, Linear::load(layer, "mlp.fc2", f, d, true));
  }
  ORFEAS_ASSIGN_OR_RETURN(out.layer_scale2, layer.take("layer_scale2.lambda1", {d}));
  return out;
}

Result<DinoV2> DinoV2::load(const Weights& weights, const models::DinoConfig& config) {
  ORFEAS_RETURN_IF_ERROR(check_config(config));
  const std::int64_t d = config.hidden_size;
  const std::int64_t p = config.patch_size;
  DinoV2 model;
  model.config_ = config;
  ORFEAS_ASSIGN_OR_RETURN(model.cls_token_, weights.take("embeddings.cls_token", {1, 1, d}));
  ORFEAS_ASSIGN_OR_RETURN(model.position_embeddings_,
                          weights.take("embeddings.position_embeddings", {1, config.position_embeddings(), d}));
  ORFEAS_ASSIGN_OR_RETURN(model.patch_weight_, weights.take("embeddings.patch_embeddings.projection.weight",
                                                            {d, config.num_channels, p, p}));
  ORFEAS_ASSIGN_OR_RETURN(model.patch_bias_, weights.take("embeddings.patch_embeddings.projection.bias", {d}));
  const std::int64_t n = config.num_hidden_layers;
  model.layers_.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    ORFEAS_ASSIGN_OR_RETURN(DinoV2Layer layer,
                            DinoV2Layer::load(weights.scope(fmt::format("encoder.layer.{}.", i)), config));
    model.layers_.push_back(std::move(layer));
  }
  ORFEAS_ASSIGN_OR_RETURN(model.layernorm_, LayerNorm::load(weights, "layernorm", d, config.layer_norm_eps));
  return model;
}

at::Tensor DinoV2::position_embeddings(std::int64_t num_patches, std::int64_t height, std::int64_t width) const {
  const std::int64_t num_positions = position_embeddings_.size(1) - 1;
  // Dinov2Embeddings.interpolate_pos_encoding returns the table untouched for a square input with
  // as many patches as positions: always so at 518 × 518, the only size Hunyuan3D-2 feeds it.
  if (num_patches == num_positions && height == width) return position_embeddings_;
  // Otherwise the current transformers (5.x) resamples the patch grid to the new size — by size, not
  // by the older releases' scale_factor (h/p + 0.1) / sqrt(N), which gives other numbers — bicubic
  // (A = −0.75, align_corners false) in float32, then back to the table's dtype.
  const std::int64_t d = position_embeddings_.size(2);
  const auto side = static_cast<std::int64_t>(std::sqrt(static_cast<double>(num_positions)));
  const std::int64_t patch = config_.patch_size;
  const at::Tensor class_pos = position_embeddings_.slice(1, 0, 1);
  const at::Tensor grid = position_embeddings_.slice(1, 1).reshape({1, side, side, d}).permute({0, 3, 1, 2});
  const at::Tensor resized = at::upsample_bicubic2d(grid.to(at::kFloat), {height / patch, width / patch},
                                                    /*align_corners=*/false)
                                 .to(position_embeddings_.scalar_type());
  return at::cat({class_pos, resized.permute({0, 2, 3, 1}).reshape({1, -1, d})}, 1);
}

at::Tensor DinoV2::embed(const at::Tensor& pixels) const {
  const std::int64_t batch = pixels.size(0);
  const std::int64_t patch = config_.patch_size;
  // Conv2d k = s = patch, then [B, D, h, w] -> [B, h·w, D] in row-major patch order.
  const at::Tensor patches = at::conv2d(pixels.to(patch_weight_.scalar_type()), patch_weight_, patch_bias_,
                                        /*stride=*/{patch, patch})
                                 .flatten(2)
                                 .transpose(1, 2);
  const at::Tensor tokens = at::cat({cls_token_.expand({batch, -1, -1}), patches}, 1);
  return tokens + position_embeddings(patches.size(1), pixels.size(2), pixels.size(3));
}

at::Tensor DinoV2::forward(const at::Tensor& pixels) const {
  at::Tensor x = embed(pixels);
  for (const DinoV2Layer& layer : layers_) x = layer(x);
  return layernorm_(x);
}

models::DinoConfig tiny_dinov2_config(bool swiglu, std::int64_t image_size) {
  models::DinoConfig config;
  config.hidden_size = 32;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.patch_size = 14;
  config.image_size = image_size;
  config.config_image_size = image_size;
  config.layer_norm_eps = 1e-6;
  config.layerscale_value = 1.0;
  config.mlp_ratio = 4.0;
  config.use_swiglu_ffn = swiglu;
  config.qkv_bias = true;
  config.num_channels = 3;
  config.hidden_act = "gelu";
  return config;
}

std::map<std::string, at::Tensor, std::less<>> random_dinov2_weights(const models::DinoConfig& config,
                                                                     std::uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const std::int64_t d = config.hidden_size;
  const std::int64_t p = config.patch_size;
  const std::int64_t c = config.num_channels;
  const auto randn = [&](at::IntArrayRef shape, double scale) { return at::randn(shape, gen) * scale; };
  const auto uniform = [&](at::IntArrayRef shape, double low, double high) {
    return at::empty(shape, at::kFloat).uniform_(low, high, gen);
  };
  std::map<std::string, at::Tensor, std::less<>> out;
  const std::string root(kDinoV2Scope);
  const auto put = [&](const std::string& name, at::Tensor t) { out.emplace(root + name, std::move(t)); };
  const auto linear = [&](const std::string& name, std::int64_t in, std::int64_t features, bool bias) {
    put(name + ".weight", randn({features, in}, 1.0 / std::sqrt(static_cast<double>(in))));
    if (bias) put(name + ".bias", randn({features}, 0.1));
  };
  const auto norm = [&](const std::string& name) {
    put(name + ".weight", 1.0 + randn({d}, 0.1));
    put(name + ".bias", randn({d}, 0.1));
  };
  put("embeddings.cls_token", randn({1, 1, d}, 1.0));
  put("embeddings.mask_token", at::zeros({1, d}));
  put("embeddings.position_embeddings", randn({1, config.position_embeddings(), d}, 0.5));
  put("embeddings.patch_embeddings.projection.weight",
      randn({d, c, p, p}, 1.0 / std::sqrt(static_cast<double>(c * p * p))));
  put("embeddings.patch_embeddings.projection.bias", randn({d}, 0.1));
  const std::int64_t f = config.mlp_hidden_size();
  for (std::int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string layer = fmt::format("encoder.layer.{}.", i);
    norm(layer + "norm1");
    for (const char* proj : {"query", "key", "value"}) {
      linear(layer + "attention.attention." + proj, d, d, config.qkv_bias);
    }
    linear(layer + "attention.output.dense", d, d, true);
    put(layer + "layer_scale1.lambda1", uniform({d}, 0.1, 1.0));
    norm(layer + "norm2");
    if (config.use_swiglu_ffn) {
      linear(layer + "mlp.weights_in", d, 2 * f, true);
      linear(layer + "mlp.weights_out", f, d, true);
    } else {
      linear(layer + "mlp.fc1", d, f, true);
      linear(layer + "mlp.fc2", f, d, true);
    }
    put(layer + "layer_scale2.lambda1", uniform({d}, 0.1, 1.0));
  }
  norm("layernorm");
  return out;
}

}  // namespace orfeas::engine
