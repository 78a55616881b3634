#include "orfeas/engine/hunyuan3d_dit.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace orfeas::engine {
namespace {

// einops' "B L (K H D) -> K B H L D" with K = 3: the same view and permute, so q, k and v are the
// reference's strided views of the qkv output.
std::vector<at::Tensor> split_heads_standard(const at::Tensor& qkv, std::int64_t heads) {
  const std::int64_t batch = qkv.size(0);
  const std::int64_t length = qkv.size(1);
  const std::int64_t head_dim = qkv.size(2) / (3 * heads);
  return qkv.view({batch, length, 3, heads, head_dim}).permute({2, 0, 3, 1, 4}).unbind(0);
}

// "B H L D -> B L (H D)".
at::Tensor merge_heads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// (1 + scale) · normed + shift, three roundings as in the reference.
at::Tensor modulate(const at::Tensor& normed, const at::Tensor& shift, const at::Tensor& scale) {
  return (scale + 1) * normed + shift;
}

LayerNorm plain_norm(std::int64_t dim) {
  return LayerNorm::plain(dim, 1e-6);
}

Result<Hunyuan3DModulation> load_modulation(const Weights& w, const std::string& name, std::int64_t hidden,
                                            std::int64_t triples) {
  Hunyuan3DModulation mod;
  mod.triples = triples;
  ORFEAS_ASSIGN_OR_RETURN(mod.lin, Linear::load(w, name, hidden, 3 * triples * hidden, true));
  return mod;
}

Result<Hunyuan3DStream> load_stream(const Weights& w, const std::string& s, const models::Hunyuan3DDitConfig& c,
                                    std::int64_t mlp_hidden) {
  const std::int64_t h = c.hidden_size;
  Hunyuan3DStream stream;
  ORFEAS_ASSIGN_OR_RETURN(stream.mod, load_modulation(w, s + "_mod.lin", h, 2));
  ORFEAS_ASSIGN_OR_RETURN(stream.qkv, Linear::load(w, s + "_attn.qkv", h, 3 * h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(stream.query_norm, ScaledRmsNorm::load(w, s + "_attn.norm.query_norm", c.head_dim()));
  ORFEAS_ASSIGN_OR_RETURN(stream.key_norm, ScaledRmsNorm::load(w, s + "_attn.norm.key_norm", c.head_dim()));
  ORFEAS_ASSIGN_OR_RETURN(stream.proj, Linear::load(w, s + "_attn.proj", h, h, true));
  ORFEAS_ASSIGN_OR_RETURN(stream.mlp_in, Linear::load(w, s + "_mlp.0", h, mlp_hidden, true));
  ORFEAS_ASSIGN_OR_RETURN(stream.mlp_out, Linear::load(w, s + "_mlp.2", mlp_hidden, h, true));
  return stream;
}

// int(hidden_size · mlp_ratio), as Python's int() truncates.
std::int64_t mlp_hidden_of(const models::Hunyuan3DDitConfig& c) {
  return static_cast<std::int64_t>(static_cast<double>(c.hidden_size) * c.mlp_ratio);
}

Status check_config(const models::Hunyuan3DDitConfig& c) {
  if (c.hidden_size <= 0 || c.num_heads <= 0 || c.hidden_size % c.num_heads != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("Hunyuan3DDiT: hidden_size {} is not a positive multiple of num_heads {}",
                                  c.hidden_size, c.num_heads));
  }
  const std::int64_t axes = std::accumulate(c.axes_dim.begin(), c.axes_dim.end(), std::int64_t{0});
  if (axes != c.head_dim()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("Hunyuan3DDiT: sum(axes_dim) = {} but the head dimension is {}", axes, c.head_dim()));
  }
  if (c.in_channels <= 0 || c.context_in_dim <= 0 || c.depth < 0 || c.depth_single_blocks < 0 ||
      mlp_hidden_of(c) <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "Hunyuan3DDiT: in_channels, context_in_dim and mlp_ratio must be positive, depths not negative");
  }
  return ok();
}

}  // namespace

at::Tensor hunyuan3d_timestep_embedding(const at::Tensor& t, std::int64_t dim, double max_period, double time_factor) {
  const at::Tensor scaled = t * time_factor;  // in t's dtype: rounded to fp16 for fp16 t
  const std::int64_t half = dim / 2;
  // On the CPU in float32, as the reference builds them, whatever t's device.
  const at::Tensor freqs =
      at::exp(at::arange(0, half, at::TensorOptions().dtype(at::kFloat)) * (-std::log(max_period)) / half)
          .to(t.device());
  const at::Tensor args = scaled.unsqueeze(1).to(at::kFloat) * freqs.unsqueeze(0);
  at::Tensor embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2 != 0) {
    embedding = at::cat({embedding, at::zeros_like(embedding.slice(1, 0, 1))}, -1);
  }
  if (at::isFloatingType(t.scalar_type())) {
    embedding = embedding.to(t.options());
  }
  return embedding;
}

std::vector<at::Tensor> Hunyuan3DModulation::operator()(const at::Tensor& vec) const {
  return lin(at::silu(vec)).unsqueeze(1).chunk(3 * triples, -1);
}

std::pair<at::Tensor, at::Tensor> Hunyuan3DDoubleBlock::operator()(const at::Tensor& img_in, const at::Tensor& txt_in,
                                                                   const at::Tensor& vec, std::int64_t heads) const {
  const std::int64_t hidden = img_in.size(-1);
  const LayerNorm norm = plain_norm(hidden);
  // (shift, scale, gate) for attention, then for the MLP.
  const std::vector<at::Tensor> im = img.mod(vec);
  const std::vector<at::Tensor> tm = txt.mod(vec);

  const at::Tensor img_modulated = modulate(norm(img_in), im[0], im[1]);
  std::vector<at::Tensor> img_qkv = split_heads_standard(img.qkv(img_modulated), heads);
  const at::Tensor img_q = img.query_norm(img_qkv[0]);
  const at::Tensor img_k = img.key_norm(img_qkv[1]);

  const at::Tensor txt_modulated = modulate(norm(txt_in), tm[0], tm[1]);
  std::vector<at::Tensor> txt_qkv = split_heads_standard(txt.qkv(txt_modulated), heads);
  const at::Tensor txt_q = txt.query_norm(txt_qkv[0]);
  const at::Tensor txt_k = txt.key_norm(txt_qkv[1]);

  // Joint attention over [txt | img].
  const at::Tensor q = at::cat({txt_q, img_q}, 2);
  const at::Tensor k = at::cat({txt_k, img_k}, 2);
  const at::Tensor v = at::cat({txt_qkv[2], img_qkv[2]}, 2);
  const at::Tensor attn = merge_heads(attention(q, k, v));
  const std::int64_t txt_len = txt_in.size(1);
  const at::Tensor txt_attn = attn.slice(1, 0, txt_len);
  const at::Tensor img_attn = attn.slice(1, txt_len);

  at::Tensor img_out = img_in + im[2] * img.proj(img_attn);
  img_out = img_out + im[5] * img.mlp_out(gelu_tanh(img.mlp_in(modulate(norm(img_out), im[3], im[4]))));
  at::Tensor txt_out = txt_in + tm[2] * txt.proj(txt_attn);
  txt_out = txt_out + tm[5] * txt.mlp_out(gelu_tanh(txt.mlp_in(modulate(norm(txt_out), tm[3], tm[4]))));
  return {img_out, txt_out};
}

at::Tensor Hunyuan3DSingleBlock::operator()(const at::Tensor& x, const at::Tensor& vec, std::int64_t heads) const {
  const std::int64_t hidden = x.size(-1);
  const std::vector<at::Tensor> mod = modulation(vec);
  const at::Tensor x_mod = modulate(plain_norm(hidden)(x), mod[0], mod[1]);
  const at::Tensor projected = linear1(x_mod);
  const std::int64_t mlp_hidden = projected.size(-1) - 3 * hidden;
  const std::vector<at::Tensor> parts = at::split_with_sizes(projected, {3 * hidden, mlp_hidden}, -1);
  std::vector<at::Tensor> qkv = split_heads_standard(parts[0], heads);
  const at::Tensor q = query_norm(qkv[0]);
  const at::Tensor k = key_norm(qkv[1]);
  const at::Tensor attn = merge_heads(attention(q, k, qkv[2]));
  const at::Tensor output = linear2(at::cat({attn, gelu_tanh(parts[1])}, 2));
  return x + mod[2] * output;
}

at::Tensor Hunyuan3DDit::Embedder::operator()(const at::Tensor& x) const {
  return out_layer(at::silu(in_layer(x)));
}

Result<Hunyuan3DDit> Hunyuan3DDit::load(const Weights& w, const models::Hunyuan3DDitConfig& config) {
  ORFEAS_RETURN_IF_ERROR(check_config(config));
  const std::int64_t h = config.hidden_size;
  const std::int64_t m = mlp_hidden_of(config);
  const std::int64_t hd = config.head_dim();
  constexpr std::int64_t kTimeDim = 256;

  Hunyuan3DDit dit;
  dit.config_ = config;
  ORFEAS_ASSIGN_OR_RETURN(dit.latent_in_, Linear::load(w, "latent_in", config.in_channels, h, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.time_in_.in_layer, Linear::load(w, "time_in.in_layer", kTimeDim, h, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.time_in_.out_layer, Linear::load(w, "time_in.out_layer", h, h, true));
  if (config.guidance_embed) {
    Embedder guidance;
    ORFEAS_ASSIGN_OR_RETURN(guidance.in_layer, Linear::load(w, "guidance_in.in_layer", kTimeDim, h, true));
    ORFEAS_ASSIGN_OR_RETURN(guidance.out_layer, Linear::load(w, "guidance_in.out_layer", h, h, true));
    dit.guidance_in_ = std::move(guidance);
  }
  ORFEAS_ASSIGN_OR_RETURN(dit.cond_in_, Linear::load(w, "cond_in", config.context_in_dim, h, true));

  dit.double_blocks_.reserve(static_cast<std::size_t>(config.depth));
  for (std::int64_t i = 0; i < config.depth; ++i) {
    const Weights b = w.scope(fmt::format("double_blocks.{}.", i));
    Hunyuan3DDoubleBlock block;
    ORFEAS_ASSIGN_OR_RETURN(block.img, load_stream(b, "img", config, m));
    ORFEAS_ASSIGN_OR_RETURN(block.txt, load_stream(b, "txt", config, m));
    dit.double_blocks_.push_back(std::move(block));
  }
  dit.single_blocks_.reserve(static_cast<std::size_t>(config.depth_single_blocks));
  for (std::int64_t i = 0; i < config.depth_single_blocks; ++i) {
    const Weights b = w.scope(fmt::format("single_blocks.{}.", i));
    Hunyuan3DSingleBlock block;
    ORFEAS_ASSIGN_OR_RETURN(block.linear1, Linear::load(b, "linear1", h, 3 * h + m, true));
    ORFEAS_ASSIGN_OR_RETURN(block.linear2, Linear::load(b, "linear2", h + m, h, true));
    ORFEAS_ASSIGN_OR_RETURN(block.query_norm, ScaledRmsNorm::load(b, "norm.query_norm", hd));
    ORFEAS_ASSIGN_OR_RETURN(block.key_norm, ScaledRmsNorm::load(b, "norm.key_norm", hd));
    ORFEAS_ASSIGN_OR_RETURN(block.modulation, load_modulation(b, "modulation.lin", h, 1));
    dit.single_blocks_.push_back(std::move(block));
  }
  ORFEAS_ASSIGN_OR_RETURN(dit.final_linear_, Linear::load(w, "final_layer.linear", h, config.in_channels, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.final_modulation_, Linear::load(w, "final_layer.adaLN_modulation.1", h, 2 * h, true));
  return dit;
}

at::Tensor Hunyuan3DDit::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond,
                                 const std::optional<at::Tensor>& guidance) const {
  constexpr std::int64_t kTimeDim = 256;
  constexpr double kTimeFactor = 1000.0;  // the embedding function's own default
  TORCH_CHECK(x.dim() == 3 && x.size(2) == config_.in_channels, "Hunyuan3DDiT: x must be [B, N, ", config_.in_channels,
              "], got ", x.sizes());
  TORCH_CHECK(cond.dim() == 3 && cond.size(0) == x.size(0) && cond.size(2) == config_.context_in_dim,
              "Hunyuan3DDiT: cond must be [B, L, ", config_.context_in_dim, "], got ", cond.sizes());
  TORCH_CHECK(t.dim() == 1 && t.size(0) == x.size(0), "Hunyuan3DDiT: t must be [B], got ", t.sizes());

  at::Tensor latent = latent_in_(x);
  // max_period = time_factor: the reference passes time_factor positionally into max_period.
  at::Tensor vec =
      time_in_(hunyuan3d_timestep_embedding(t, kTimeDim, config_.time_factor, kTimeFactor).to(latent.scalar_type()));
  if (guidance_in_) {
    TORCH_CHECK(guidance.has_value() && guidance->defined(),
                "Hunyuan3DDiT: a guidance-distilled model needs the guidance strength");
    // Not cast to the latent's dtype: the reference embeds in the guidance tensor's own dtype.
    vec = vec + (*guidance_in_)(hunyuan3d_timestep_embedding(*guidance, kTimeDim, config_.time_factor, kTimeFactor));
  }
  at::Tensor txt = cond_in_(cond);
  const std::int64_t heads = config_.num_heads;
  for (const Hunyuan3DDoubleBlock& block : double_blocks_) {
    std::tie(latent, txt) = block(latent, txt, vec, heads);
  }
  latent = at::cat({txt, latent}, 1);
  for (const Hunyuan3DSingleBlock& block : single_blocks_) {
    latent = block(latent, vec, heads);
  }
  latent = latent.slice(1, txt.size(1));

  const std::vector<at::Tensor> shift_scale = final_modulation_(at::silu(vec)).chunk(2, 1);
  const at::Tensor normed = plain_norm(config_.hidden_size)(latent);
  return final_linear_((shift_scale[1].unsqueeze(1) + 1) * normed + shift_scale[0].unsqueeze(1));
}

RandomWeightMaker::RandomWeightMaker(std::uint64_t seed) : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

void RandomWeightMaker::normal(const std::string& name, at::IntArrayRef shape, double mean, double std) {
  tensors_[name] = at::randn(shape, generator_, at::TensorOptions().dtype(at::kFloat)) * std + mean;
}

void RandomWeightMaker::linear(const std::string& name, std::int64_t in, std::int64_t out, bool bias) {
  normal(name + ".weight", {out, in}, 0.0, 0.5 / std::sqrt(static_cast<double>(in)));
  if (bias) normal(name + ".bias", {out}, 0.0, 0.02);
}

void RandomWeightMaker::around_one(const std::string& name, std::int64_t dim) {
  normal(name, {dim}, 1.0, 0.1);
}

std::map<std::string, at::Tensor, std::less<>> random_hunyuan3d_dit_weights(const models::Hunyuan3DDitConfig& c,
                                                                            std::uint64_t seed) {
  RandomWeightMaker make(seed);
  const std::int64_t h = c.hidden_size;
  const std::int64_t m = mlp_hidden_of(c);
  const std::int64_t hd = c.head_dim();
  make.linear("latent_in", c.in_channels, h, true);
  make.linear("time_in.in_layer", 256, h, true);
  make.linear("time_in.out_layer", h, h, true);
  if (c.guidance_embed) {
    make.linear("guidance_in.in_layer", 256, h, true);
    make.linear("guidance_in.out_layer", h, h, true);
  }
  make.linear("cond_in", c.context_in_dim, h, true);
  for (std::int64_t i = 0; i < c.depth; ++i) {
    for (const char* s : {"img", "txt"}) {
      const std::string p = fmt::format("double_blocks.{}.{}", i, s);
      make.linear(p + "_mod.lin", h, 6 * h, true);
      make.linear(p + "_attn.qkv", h, 3 * h, c.qkv_bias);
      make.around_one(p + "_attn.norm.query_norm.scale", hd);
      make.around_one(p + "_attn.norm.key_norm.scale", hd);
      make.linear(p + "_attn.proj", h, h, true);
      make.linear(p + "_mlp.0", h, m, true);
      make.linear(p + "_mlp.2", m, h, true);
    }
  }
  for (std::int64_t i = 0; i < c.depth_single_blocks; ++i) {
    const std::string p = fmt::format("single_blocks.{}.", i);
    make.linear(p + "linear1", h, 3 * h + m, true);
    make.linear(p + "linear2", h + m, h, true);
    make.around_one(p + "norm.query_norm.scale", hd);
    make.around_one(p + "norm.key_norm.scale", hd);
    make.linear(p + "modulation.lin", h, 3 * h, true);
  }
  make.linear("final_layer.linear", h, c.in_channels, true);
  make.linear("final_layer.adaLN_modulation.1", h, 2 * h, true);
  return make.take();
}

}  // namespace orfeas::engine
