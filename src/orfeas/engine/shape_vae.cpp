#include "orfeas/engine/shape_vae.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace orfeas::engine {
namespace {

constexpr double kBlockNormEps = 1e-6;  // ln_1/ln_2/ln_3 and q_norm/k_norm
constexpr double kLnPostEps = 1e-5;     // geo_decoder.ln_post is a default nn.LayerNorm
constexpr std::int64_t kTransformerMlpRatio = 4;

Status check_config(const models::ShapeVaeConfig& c) {
  if (c.width <= 0 || c.heads <= 0 || c.width % c.heads != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ShapeVAE: width {} is not a positive multiple of heads {}", c.width, c.heads));
  }
  const std::int64_t r = c.geo_decoder_downsample_ratio;
  if (r <= 0 || c.width % r != 0 || c.heads % r != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ShapeVAE: geo_decoder_downsample_ratio {} does not divide width {} and heads {}", r,
                                  c.width, c.heads));
  }
  if (c.embed_dim <= 0 || c.num_decoder_layers < 0 || c.num_freqs < 0 || c.geo_decoder_mlp_expand_ratio <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("ShapeVAE: impossible config (embed_dim {}, num_decoder_layers {}, num_freqs {}, "
                                  "geo_decoder_mlp_expand_ratio {})",
                                  c.embed_dim, c.num_decoder_layers, c.num_freqs, c.geo_decoder_mlp_expand_ratio));
  }
  return {};
}

// The geometry decoder's qk_norm: the reference turns it off together with ln_post.
bool geo_qk_norm(const models::ShapeVaeConfig& c) {
  return c.qk_norm && c.geo_decoder_ln_post;
}

// [B, L, H·hd] per-head view -> [B, H, L, hd], as einops' 'b n h d -> b h n d' (a view).
at::Tensor heads_first(const at::Tensor& x) {
  return x.transpose(1, 2);
}

}  // namespace

// ------------------------------------------------------------------------------------------------

FourierEmbedder FourierEmbedder::make(std::int64_t num_freqs, bool include_pi, const at::TensorOptions& options) {
  // Made on the CPU in f32 like the reference's buffer, then moved and rounded by the cast.
  at::Tensor f = at::pow(2.0, at::arange(num_freqs, at::TensorOptions().dtype(at::kFloat)));
  if (include_pi) f.mul_(M_PI);
  FourierEmbedder embedder;
  embedder.frequencies_ = f.to(options);
  return embedder;
}

at::Tensor FourierEmbedder::operator()(const at::Tensor& points) const {
  if (frequencies_.size(0) == 0) return points;
  std::vector<std::int64_t> shape(points.sizes().begin(), points.sizes().end());
  shape.back() = -1;
  // [.., 3, 1] · [F] -> [.., 3, F] -> [.., 3F]: coordinate-major.
  const at::Tensor embed = (points.unsqueeze(-1).contiguous() * frequencies_).view(shape);
  return at::cat({points, embed.sin(), embed.cos()}, -1);
}

// ------------------------------------------------------------------------------------------------

Result<ShapeVaeBlock> ShapeVaeBlock::load(const Weights& block, const models::ShapeVaeConfig& config) {
  const std::int64_t w = config.width;
  const std::int64_t hd = config.head_dim();
  ShapeVaeBlock b;
  b.heads = config.heads;
  ORFEAS_ASSIGN_OR_RETURN(b.ln_1, LayerNorm::load(block, "ln_1", w, kBlockNormEps));
  ORFEAS_ASSIGN_OR_RETURN(b.c_qkv, Linear::load(block, "attn.c_qkv", w, 3 * w, config.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(b.c_proj, Linear::load(block, "attn.c_proj", w, w, true));
  if (config.qk_norm) {
    ORFEAS_ASSIGN_OR_RETURN(b.q_norm, LayerNorm::load(block, "attn.attention.q_norm", hd, kBlockNormEps));
    ORFEAS_ASSIGN_OR_RETURN(b.k_norm, LayerNorm::load(block, "attn.attention.k_norm", hd, kBlockNormEps));
  }
  ORFEAS_ASSIGN_OR_RETURN(b.ln_2, LayerNorm::load(block, "ln_2", w, kBlockNormEps));
  ORFEAS_ASSIGN_OR_RETURN(b.mlp_c_fc, Linear::load(block, "mlp.c_fc", w, kTransformerMlpRatio * w, true));
  ORFEAS_ASSIGN_OR_RETURN(b.mlp_c_proj, Linear::load(block, "mlp.c_proj", kTransformerMlpRatio * w, w, true));
  return b;
}

at::Tensor ShapeVaeBlock::operator()(const at::Tensor& x) const {
  const std::int64_t batch = x.size(0);
  const std::int64_t tokens = x.size(1);
  // Per-head interleaved split: [B, N, 3W] viewed [B, N, H, 3·hd], then q | k | v of hd each.
  const at::Tensor qkv = c_qkv(ln_1(x)).view({batch, tokens, heads, -1});
  const std::int64_t hd = qkv.size(-1) / 3;
  at::Tensor q = qkv.narrow(-1, 0, hd);
  at::Tensor k = qkv.narrow(-1, hd, hd);
  const at::Tensor v = qkv.narrow(-1, 2 * hd, hd);
  if (q_norm) q = (*q_norm)(q);
  if (k_norm) k = (*k_norm)(k);
  const at::Tensor attended =
      attention(heads_first(q), heads_first(k), heads_first(v)).transpose(1, 2).reshape({batch, tokens, -1});
  at::Tensor out = x + c_proj(attended);
  out = out + mlp_c_proj(at::gelu(mlp_c_fc(ln_2(out))));
  return out;
}

// ------------------------------------------------------------------------------------------------

Result<GeometryDecoder> GeometryDecoder::load(const Weights& geo, const models::ShapeVaeConfig& config) {
  ORFEAS_RETURN_IF_ERROR(check_config(config));
  const std::int64_t w = config.geo_decoder_width();
  const std::int64_t heads = config.geo_decoder_heads();
  const std::int64_t hd = w / heads;
  const std::int64_t mlp = w * config.geo_decoder_mlp_expand_ratio;
  GeometryDecoder d;
  d.heads_ = heads;
  ORFEAS_ASSIGN_OR_RETURN(d.query_proj_, Linear::load(geo, "query_proj", config.fourier_dim(), w, true));
  if (config.geo_decoder_downsample_ratio != 1) {
    ORFEAS_ASSIGN_OR_RETURN(d.latents_proj_, Linear::load(geo, "latents_proj", config.width, w, true));
  }
  const Weights block = geo.scope("cross_attn_decoder.");
  ORFEAS_ASSIGN_OR_RETURN(d.ln_1_, LayerNorm::load(block, "ln_1", w, kBlockNormEps));
  ORFEAS_ASSIGN_OR_RETURN(d.ln_2_, LayerNorm::load(block, "ln_2", w, kBlockNormEps));
  ORFEAS_ASSIGN_OR_RETURN(d.ln_3_, LayerNorm::load(block, "ln_3", w, kBlockNormEps));
  ORFEAS_ASSIGN_OR_RETURN(d.c_q_, Linear::load(block, "attn.c_q", w, w, config.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(d.c_kv_, Linear::load(block, "attn.c_kv", w, 2 * w, config.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(d.c_proj_, Linear::load(block, "attn.c_proj", w, w, true));
  if (geo_qk_norm(config)) {
    ORFEAS_ASSIGN_OR_RETURN(d.q_norm_, LayerNorm::load(block, "attn.attention.q_norm", hd, kBlockNormEps));
    ORFEAS_ASSIGN_OR_RETURN(d.k_norm_, LayerNorm::load(block, "attn.attention.k_norm", hd, kBlockNormEps));
  }
  ORFEAS_ASSIGN_OR_RETURN(d.mlp_c_fc_, Linear::load(block, "mlp.c_fc", w, mlp, true));
  ORFEAS_ASSIGN_OR_RETURN(d.mlp_c_proj_, Linear::load(block, "mlp.c_proj", mlp, w, true));
  if (config.geo_decoder_ln_post) {
    ORFEAS_ASSIGN_OR_RETURN(d.ln_post_, LayerNorm::load(geo, "ln_post", w, kLnPostEps));
  }
  ORFEAS_ASSIGN_OR_RETURN(d.output_proj_, Linear::load(geo, "output_proj", w, 1, true));
  d.fourier_ = FourierEmbedder::make(config.num_freqs, config.include_pi, d.query_proj_.weight.options());
  return d;
}

at::Tensor GeometryDecoder::keys_values(const at::Tensor& decoded) const {
  const at::Tensor latents = latents_proj_ ? (*latents_proj_)(decoded) : decoded;
  // Per-head interleaved split: [B, N, 2W] viewed [B, N, H, 2·hd], then k | v of hd each.
  const at::Tensor kv = c_kv_(ln_2_(latents)).view({latents.size(0), latents.size(1), heads_, -1});
  if (!k_norm_) return kv;
  const std::int64_t hd = kv.size(-1) / 2;
  return at::cat({(*k_norm_)(kv.narrow(-1, 0, hd)), kv.narrow(-1, hd, hd)}, -1);
}

at::Tensor GeometryDecoder::query(const at::Tensor& points, const at::Tensor& kv) const {
  const std::int64_t batch = points.size(0);
  const std::int64_t count = points.size(1);
  const at::Tensor x = query_proj_(fourier_(points).to(dtype()));
  at::Tensor q = c_q_(ln_1_(x)).view({batch, count, heads_, -1});
  if (q_norm_) q = (*q_norm_)(q);
  const std::int64_t hd = kv.size(-1) / 2;
  at::Tensor k = kv.narrow(-1, 0, hd);
  // The reference's k is k_norm's fresh [B, N, H, hd] tensor when qk_norm is on, a view otherwise;
  // give attention the same layout.
  if (k_norm_) k = k.contiguous();
  const at::Tensor v = kv.narrow(-1, hd, hd);
  const at::Tensor attended =
      attention(heads_first(q), heads_first(k), heads_first(v)).transpose(1, 2).reshape({batch, count, -1});
  at::Tensor out = x + c_proj_(attended);
  out = out + mlp_c_proj_(at::gelu(mlp_c_fc_(ln_3_(out))));
  if (ln_post_) out = (*ln_post_)(out);
  return output_proj_(out).squeeze(-1);
}

// ------------------------------------------------------------------------------------------------

Result<ShapeVae> ShapeVae::load(const Weights& vae, const models::ShapeVaeConfig& config) {
  ORFEAS_RETURN_IF_ERROR(check_config(config));
  ShapeVae model;
  model.config_ = config;
  ORFEAS_ASSIGN_OR_RETURN(model.post_kl_, Linear::load(vae, "post_kl", config.embed_dim, config.width, true));
  model.blocks_.reserve(static_cast<std::size_t>(config.num_decoder_layers));
  for (std::int64_t i = 0; i < config.num_decoder_layers; ++i) {
    ORFEAS_ASSIGN_OR_RETURN(ShapeVaeBlock block,
                            ShapeVaeBlock::load(vae.scope(fmt::format("transformer.resblocks.{}.", i)), config));
    model.blocks_.push_back(std::move(block));
  }
  ORFEAS_ASSIGN_OR_RETURN(model.geo_decoder_, GeometryDecoder::load(vae.scope("geo_decoder."), config));
  return model;
}

at::Tensor ShapeVae::decode_latents(const at::Tensor& latents) const {
  at::Tensor x = post_kl_(latents);
  for (const ShapeVaeBlock& block : blocks_) x = block(x);
  return x;
}

// ------------------------------------------------------------------------------------------------

models::ShapeVaeConfig tiny_shape_vae_config() {
  models::ShapeVaeConfig c;
  c.num_latents = 64;
  c.embed_dim = 64;
  c.width = 32;
  c.heads = 2;
  c.num_decoder_layers = 2;
  c.num_freqs = 4;
  c.include_pi = false;
  c.qkv_bias = false;
  c.qk_norm = true;
  c.scale_factor = 1.0;
  return c;
}

std::map<std::string, at::Tensor, std::less<>> random_shape_vae_weights(const models::ShapeVaeConfig& config,
                                                                        std::uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  std::map<std::string, at::Tensor, std::less<>> out;
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  // Weights ~ N(0, 1/in) keep activations O(1) through the residual stack; norms near identity.
  auto linear = [&](const std::string& name, std::int64_t in, std::int64_t outs, bool bias) {
    out[name + ".weight"] = at::randn({outs, in}, gen, f32) / std::sqrt(static_cast<double>(in));
    if (bias) out[name + ".bias"] = at::randn({outs}, gen, f32) * 0.1;
  };
  auto norm = [&](const std::string& name, std::int64_t dim) {
    out[name + ".weight"] = at::randn({dim}, gen, f32) * 0.1 + 1.0;
    out[name + ".bias"] = at::randn({dim}, gen, f32) * 0.1;
  };
  const std::int64_t w = config.width;
  const std::int64_t hd = config.head_dim();
  linear("post_kl", config.embed_dim, w, true);
  for (std::int64_t i = 0; i < config.num_decoder_layers; ++i) {
    const std::string b = fmt::format("transformer.resblocks.{}.", i);
    norm(b + "ln_1", w);
    linear(b + "attn.c_qkv", w, 3 * w, config.qkv_bias);
    linear(b + "attn.c_proj", w, w, true);
    if (config.qk_norm) {
      norm(b + "attn.attention.q_norm", hd);
      norm(b + "attn.attention.k_norm", hd);
    }
    norm(b + "ln_2", w);
    linear(b + "mlp.c_fc", w, kTransformerMlpRatio * w, true);
    linear(b + "mlp.c_proj", kTransformerMlpRatio * w, w, true);
  }
  const std::int64_t gw = config.geo_decoder_width();
  const std::int64_t ghd = gw / config.geo_decoder_heads();
  const std::int64_t mlp = gw * config.geo_decoder_mlp_expand_ratio;
  linear("geo_decoder.query_proj", config.fourier_dim(), gw, true);
  if (config.geo_decoder_downsample_ratio != 1) linear("geo_decoder.latents_proj", w, gw, true);
  const std::string c = "geo_decoder.cross_attn_decoder.";
  linear(c + "attn.c_q", gw, gw, config.qkv_bias);
  linear(c + "attn.c_kv", gw, 2 * gw, config.qkv_bias);
  linear(c + "attn.c_proj", gw, gw, true);
  if (geo_qk_norm(config)) {
    norm(c + "attn.attention.q_norm", ghd);
    norm(c + "attn.attention.k_norm", ghd);
  }
  norm(c + "ln_1", gw);
  norm(c + "ln_2", gw);
  norm(c + "ln_3", gw);
  linear(c + "mlp.c_fc", gw, mlp, true);
  linear(c + "mlp.c_proj", mlp, gw, true);
  if (config.geo_decoder_ln_post) norm("geo_decoder.ln_post", gw);
  linear("geo_decoder.output_proj", gw, 1, true);
  return out;
}

}  // namespace orfeas::engine
