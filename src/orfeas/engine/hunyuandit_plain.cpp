#include "orfeas/engine/hunyuandit_plain.h"

#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "orfeas/engine/hunyuan3d_dit.h"  // RandomWeightMaker

namespace orfeas::engine {
namespace {

constexpr double kNormEps = 1e-6;

// The reference's nn.Linear(H, 4H) in MLP and FeedForward(inner_dim = int(H · 4.0)): fixed at four
// times the width, whatever the config's mlp_ratio says.
std::int64_t ffn_hidden_of(std::int64_t hidden) {
  return 4 * hidden;
}

bool uses_moe(const models::HunyuanDitPlainConfig& c, std::int64_t layer) {
  return c.depth - layer <= c.num_moe_layers;
}

bool has_skip(const models::HunyuanDitPlainConfig& c, std::int64_t layer) {
  return layer > c.depth / 2;
}

Result<PlainQkNorm> load_qk_norm(const Weights& w, const std::string& name, const models::HunyuanDitPlainConfig& c) {
  PlainQkNorm norm;
  if (!c.qk_norm) return norm;
  if (c.qk_norm_type == models::NormKind::kRms) {
    ORFEAS_ASSIGN_OR_RETURN(norm.rms, RmsNorm::load(w, name, c.head_dim(), kNormEps));
  } else {
    ORFEAS_ASSIGN_OR_RETURN(norm.layer, LayerNorm::load(w, name, c.head_dim(), kNormEps));
  }
  return norm;
}

Result<PlainFeedForward> load_ffn(const Weights& w, const std::string& in, const std::string& out,
                                  std::int64_t hidden) {
  PlainFeedForward ffn;
  ORFEAS_ASSIGN_OR_RETURN(ffn.in, Linear::load(w, in, hidden, ffn_hidden_of(hidden), true));
  ORFEAS_ASSIGN_OR_RETURN(ffn.out, Linear::load(w, out, ffn_hidden_of(hidden), hidden, true));
  return ffn;
}

Result<PlainBlock> load_block(const Weights& w, const models::HunyuanDitPlainConfig& c, std::int64_t layer) {
  const std::int64_t h = c.hidden_size;
  PlainBlock block;
  ORFEAS_ASSIGN_OR_RETURN(block.norm1, LayerNorm::load(w, "norm1", h, kNormEps));
  ORFEAS_ASSIGN_OR_RETURN(block.norm2, LayerNorm::load(w, "norm2", h, kNormEps));
  ORFEAS_ASSIGN_OR_RETURN(block.norm3, LayerNorm::load(w, "norm3", h, kNormEps));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.to_q, Linear::load(w, "attn1.to_q", h, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.to_k, Linear::load(w, "attn1.to_k", h, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.to_v, Linear::load(w, "attn1.to_v", h, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.q_norm, load_qk_norm(w, "attn1.q_norm", c));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.k_norm, load_qk_norm(w, "attn1.k_norm", c));
  ORFEAS_ASSIGN_OR_RETURN(block.attn1.out_proj, Linear::load(w, "attn1.out_proj", h, h, true));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.to_q, Linear::load(w, "attn2.to_q", h, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.to_k, Linear::load(w, "attn2.to_k", c.context_dim, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.to_v, Linear::load(w, "attn2.to_v", c.context_dim, h, c.qkv_bias));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.q_norm, load_qk_norm(w, "attn2.q_norm", c));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.k_norm, load_qk_norm(w, "attn2.k_norm", c));
  ORFEAS_ASSIGN_OR_RETURN(block.attn2.out_proj, Linear::load(w, "attn2.out_proj", h, h, true));
  if (has_skip(c, layer)) {
    ORFEAS_ASSIGN_OR_RETURN(block.skip_linear, Linear::load(w, "skip_linear", 2 * h, h, true));
    ORFEAS_ASSIGN_OR_RETURN(block.skip_norm, LayerNorm::load(w, "skip_norm", h, kNormEps));
  }
  if (uses_moe(c, layer)) {
    PlainMoe moe;
    moe.top_k = c.moe_top_k;
    ORFEAS_ASSIGN_OR_RETURN(moe.gate, w.take("moe.gate.weight", {c.num_experts, h}));
    for (std::int64_t e = 0; e < c.num_experts; ++e) {
      const std::string p = fmt::format("moe.experts.{}.", e);
      ORFEAS_ASSIGN_OR_RETURN(PlainFeedForward expert, load_ffn(w, p + "net.0.proj", p + "net.2", h));
      moe.experts.push_back(std::move(expert));
    }
    ORFEAS_ASSIGN_OR_RETURN(moe.shared, load_ffn(w, "moe.shared_experts.net.0.proj", "moe.shared_experts.net.2", h));
    block.moe = std::move(moe);
  } else {
    ORFEAS_ASSIGN_OR_RETURN(block.mlp, load_ffn(w, "mlp.fc1", "mlp.fc2", h));
  }
  return block;
}

// The reference's `view(1, −1, H, parts·hd)` then `split(hd, −1)`, each part then viewed back as
// [B, N, H, hd] (its reshape / view of the split is a view, so the strides are the same as here).
std::vector<at::Tensor> split_interleaved(const at::Tensor& x, std::int64_t heads, std::int64_t parts) {
  const std::int64_t batch = x.size(0);
  const std::int64_t tokens = x.size(1);
  const std::int64_t head_dim = x.size(-1) / heads / parts;
  std::vector<at::Tensor> out = x.view({1, -1, heads, parts * head_dim}).split(head_dim, -1);
  for (at::Tensor& part : out) part = part.view({batch, tokens, heads, head_dim});
  return out;
}

Status check_config(const models::HunyuanDitPlainConfig& c) {
  const auto unsupported = [](std::string_view what) {
    return make_error(
        ErrorCode::kUnsupportedFormat,
        fmt::format("HunYuanDiTPlain: {} is not implemented (the official 2.1 model does not use it)", what));
  };
  if (c.use_pos_emb) return unsupported("use_pos_emb");
  if (c.use_attention_pooling) return unsupported("use_attention_pooling");
  if (c.with_decoupled_ca) return unsupported("with_decoupled_ca");
  if (c.guidance_cond_proj_dim) return unsupported("guidance_cond_proj_dim");
  if (c.norm_type != models::NormKind::kLayer) return unsupported("norm_type 'rms'");
  if (c.hidden_size <= 0 || c.num_heads <= 0 || c.hidden_size % c.num_heads != 0 || c.hidden_size % 2 != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("HunYuanDiTPlain: hidden_size {} is not an even multiple of num_heads {}",
                                  c.hidden_size, c.num_heads));
  }
  if (c.in_channels <= 0 || c.context_dim <= 0 || c.depth < 0 || c.num_moe_layers < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "HunYuanDiTPlain: in_channels and context_dim must be positive, depth and num_moe_layers "
                      "not negative");
  }
  if (c.num_moe_layers > 0 && (c.num_experts <= 0 || c.moe_top_k <= 0 || c.moe_top_k > c.num_experts)) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("HunYuanDiTPlain: moe_top_k {} must be in 1..num_experts ({})", c.moe_top_k, c.num_experts));
  }
  return ok();
}

}  // namespace

at::Tensor hunyuandit_timestep_embedding(const at::Tensor& t, std::int64_t dim) {
  constexpr double kMaxPeriod = 10000.0;
  const std::int64_t half = dim / 2;
  // On t's device (unlike Hunyuan3DDiT's CPU-built frequencies); divided by the float half - 0.0.
  at::Tensor exponent =
      at::arange(0, half, at::TensorOptions().dtype(at::kFloat).device(t.device())) * (-std::log(kMaxPeriod));
  exponent = exponent / static_cast<double>(half);
  const at::Tensor args = t.unsqueeze(1).to(at::kFloat) * at::exp(exponent).unsqueeze(0);
  // (The reference's `scale * emb` with scale 1 is an exact no-op and left out.)
  at::Tensor embedding = at::cat({at::sin(args), at::cos(args)}, -1);
  if (dim % 2 != 0) embedding = at::constant_pad_nd(embedding, {0, 1, 0, 0});
  return embedding;
}

std::array<at::Tensor, 3> split_interleaved_qkv(const at::Tensor& qkv, std::int64_t heads) {
  const std::vector<at::Tensor> parts = split_interleaved(qkv, heads, 3);
  return {parts[0].transpose(1, 2), parts[1].transpose(1, 2), parts[2].transpose(1, 2)};
}

std::array<at::Tensor, 2> split_interleaved_kv(const at::Tensor& kv, std::int64_t heads) {
  const std::vector<at::Tensor> parts = split_interleaved(kv, heads, 2);
  return {parts[0], parts[1]};
}

std::vector<std::int64_t> hunyuandit_skip_sources(std::int64_t depth) {
  std::vector<std::int64_t> sources;
  std::vector<std::int64_t> stack;
  for (std::int64_t layer = 0; layer < depth; ++layer) {
    if (layer <= depth / 2) {
      sources.push_back(-1);
    } else {
      sources.push_back(stack.back());
      stack.pop_back();
    }
    if (layer < depth / 2) stack.push_back(layer);
  }
  return sources;
}

at::Tensor PlainQkNorm::operator()(const at::Tensor& x) const {
  if (rms) return (*rms)(x);
  if (layer) return (*layer)(x);
  return x;
}

at::Tensor PlainSelfAttention::operator()(const at::Tensor& x, std::int64_t heads) const {
  const at::Tensor qkv = at::cat({to_q(x), to_k(x), to_v(x)}, -1);
  const std::array<at::Tensor, 3> split = split_interleaved_qkv(qkv, heads);
  const at::Tensor q = q_norm(split[0]);  // [B, H, N, hd]
  const at::Tensor k = k_norm(split[1]);
  const at::Tensor out = attention(q, k, split[2]).transpose(1, 2).reshape({x.size(0), x.size(1), -1});
  return out_proj(out);
}

at::Tensor PlainCrossAttention::operator()(const at::Tensor& x, const at::Tensor& cond, std::int64_t heads) const {
  const std::int64_t batch = x.size(0);
  const std::int64_t tokens = x.size(1);
  const at::Tensor q_flat = to_q(x);
  const at::Tensor kv = at::cat({to_k(cond), to_v(cond)}, -1);
  const std::array<at::Tensor, 2> split = split_interleaved_kv(kv, heads);
  const at::Tensor q = q_flat.view({batch, tokens, heads, q_flat.size(-1) / heads});
  // Normalised in [B, L, H, hd], then the heads moved forward.
  const at::Tensor qn = q_norm(q).permute({0, 2, 1, 3});
  const at::Tensor kn = k_norm(split[0]).permute({0, 2, 1, 3});
  const at::Tensor v = split[1].permute({0, 2, 1, 3});
  return out_proj(attention(qn, kn, v).transpose(1, 2).reshape({batch, tokens, -1}));
}

at::Tensor PlainMoe::operator()(const at::Tensor& x) const {
  const std::int64_t width = x.size(-1);
  const at::Tensor tokens = x.view({-1, width});  // [T, H]
  const at::Tensor scores = at::softmax(at::linear(tokens, gate), -1);
  const auto [topk_weight, topk_idx] = at::topk(scores, top_k, -1, /*largest=*/true, /*sorted=*/false);
  const at::Tensor flat_idx = topk_idx.view({-1});           // [T·k]
  const at::Tensor flat_weight = topk_weight.view({-1, 1});  // [T·k, 1]

  // moe_infer: the (token, slot) pairs sorted by expert; each expert runs once on its tokens.
  at::Tensor cache = at::zeros_like(tokens);
  const at::Tensor order = flat_idx.argsort();
  const at::Tensor ends = at::bincount(flat_idx).cpu().cumsum(0);
  const at::Tensor token_of = at::div(order, top_k, "floor");
  const auto ends_at = ends.accessor<std::int64_t, 1>();
  for (std::int64_t e = 0; e < ends.size(0); ++e) {
    const std::int64_t start = e == 0 ? 0 : ends_at[e - 1];
    const std::int64_t end = ends_at[e];
    if (start == end) continue;
    const at::Tensor expert_tokens = token_of.slice(0, start, end);
    at::Tensor out = experts[static_cast<std::size_t>(e)](tokens.index_select(0, expert_tokens));
    out.mul_(flat_weight.index_select(0, order.slice(0, start, end)));
    cache = cache.to(out.scalar_type());
    cache.scatter_reduce_(0, expert_tokens.view({-1, 1}).repeat({1, width}), out, "sum");
  }
  return cache.view(x.sizes()) + shared(x);
}

at::Tensor PlainBlock::operator()(const at::Tensor& x_in, const at::Tensor& cond, const at::Tensor& skip,
                                  std::int64_t heads) const {
  at::Tensor x = x_in;
  if (skip_linear) {
    TORCH_CHECK(skip.defined(), "HunYuanDiTPlain: a skip block needs its skip input");
    x = (*skip_norm)((*skip_linear)(at::cat({skip, x}, -1)));
  }
  x = x + attn1(norm1(x), heads);
  x = x + attn2(norm2(x), cond, heads);
  const at::Tensor ffn_in = norm3(x);
  return x + (moe ? (*moe)(ffn_in) : (*mlp)(ffn_in));
}

Result<HunyuanDitPlain> HunyuanDitPlain::load(const Weights& w, const models::HunyuanDitPlainConfig& config) {
  ORFEAS_RETURN_IF_ERROR(check_config(config));
  const std::int64_t h = config.hidden_size;
  HunyuanDitPlain dit;
  dit.config_ = config;
  ORFEAS_ASSIGN_OR_RETURN(dit.x_embedder_, Linear::load(w, "x_embedder", config.in_channels, h, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.t_embedder_, load_ffn(w, "t_embedder.mlp.0", "t_embedder.mlp.2", h));
  dit.blocks_.reserve(static_cast<std::size_t>(config.depth));
  for (std::int64_t layer = 0; layer < config.depth; ++layer) {
    ORFEAS_ASSIGN_OR_RETURN(PlainBlock block, load_block(w.scope(fmt::format("blocks.{}.", layer)), config, layer));
    dit.blocks_.push_back(std::move(block));
  }
  ORFEAS_ASSIGN_OR_RETURN(dit.norm_final_, LayerNorm::load(w, "final_layer.norm_final", h, kNormEps));
  ORFEAS_ASSIGN_OR_RETURN(dit.final_linear_, Linear::load(w, "final_layer.linear", h, config.in_channels, true));
  return dit;
}

at::Tensor HunyuanDitPlain::embed_time(const at::Tensor& t) const {
  const at::Tensor freq = hunyuandit_timestep_embedding(t, config_.hidden_size).to(t_embedder_.in.weight.scalar_type());
  return t_embedder_(freq).unsqueeze(1);
}

at::Tensor HunyuanDitPlain::embed_input(const at::Tensor& x, const at::Tensor& t) const {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == config_.in_channels, "HunYuanDiTPlain: x must be [B, N, ",
              config_.in_channels, "], got ", x.sizes());
  TORCH_CHECK(t.dim() == 1 && t.size(0) == x.size(0), "HunYuanDiTPlain: t must be [B], got ", t.sizes());
  const at::Tensor time_token = embed_time(t);
  return at::cat({time_token, x_embedder_(x)}, 1);
}

at::Tensor HunyuanDitPlain::final_layer(const at::Tensor& x) const {
  return final_linear_(norm_final_(x).slice(1, 1));
}

at::Tensor HunyuanDitPlain::forward(const at::Tensor& x_in, const at::Tensor& t, const at::Tensor& cond) const {
  TORCH_CHECK(cond.dim() == 3 && cond.size(0) == x_in.size(0) && cond.size(2) == config_.context_dim,
              "HunYuanDiTPlain: cond must be [B, S, ", config_.context_dim, "], got ", cond.sizes());
  at::Tensor x = embed_input(x_in, t);
  const std::int64_t depth = config_.depth;
  std::vector<at::Tensor> skips;
  for (std::int64_t layer = 0; layer < depth; ++layer) {
    at::Tensor skip;
    if (layer > depth / 2) {
      skip = std::move(skips.back());
      skips.pop_back();
    }
    x = blocks_[static_cast<std::size_t>(layer)](x, cond, skip, config_.num_heads);
    if (layer < depth / 2) skips.push_back(x);
  }
  return final_layer(x);
}

std::map<std::string, at::Tensor, std::less<>> random_hunyuandit_plain_weights(const models::HunyuanDitPlainConfig& c,
                                                                               std::uint64_t seed) {
  RandomWeightMaker make(seed);
  const std::int64_t h = c.hidden_size;
  const std::int64_t f = ffn_hidden_of(h);
  const auto layer_norm = [&](const std::string& name, std::int64_t dim) {
    make.around_one(name + ".weight", dim);
    make.normal(name + ".bias", {dim}, 0.0, 0.02);
  };
  const auto qk_norm = [&](const std::string& name) {
    if (!c.qk_norm) return;
    if (c.qk_norm_type == models::NormKind::kRms) {
      make.around_one(name + ".weight", c.head_dim());
    } else {
      layer_norm(name, c.head_dim());
    }
  };
  make.linear("x_embedder", c.in_channels, h, true);
  make.linear("t_embedder.mlp.0", h, f, true);
  make.linear("t_embedder.mlp.2", f, h, true);
  for (std::int64_t layer = 0; layer < c.depth; ++layer) {
    const std::string p = fmt::format("blocks.{}.", layer);
    for (const char* norm : {"norm1", "norm2", "norm3"}) layer_norm(p + norm, h);
    for (const char* proj : {"attn1.to_q", "attn1.to_k", "attn1.to_v", "attn2.to_q"}) {
      make.linear(p + proj, h, h, c.qkv_bias);
    }
    make.linear(p + "attn2.to_k", c.context_dim, h, c.qkv_bias);
    make.linear(p + "attn2.to_v", c.context_dim, h, c.qkv_bias);
    for (const char* norm : {"attn1.q_norm", "attn1.k_norm", "attn2.q_norm", "attn2.k_norm"}) qk_norm(p + norm);
    make.linear(p + "attn1.out_proj", h, h, true);
    make.linear(p + "attn2.out_proj", h, h, true);
    if (has_skip(c, layer)) {
      make.linear(p + "skip_linear", 2 * h, h, true);
      layer_norm(p + "skip_norm", h);
    }
    if (uses_moe(c, layer)) {
      make.linear(p + "moe.gate", h, c.num_experts, false);
      for (std::int64_t e = 0; e < c.num_experts; ++e) {
        make.linear(fmt::format("{}moe.experts.{}.net.0.proj", p, e), h, f, true);
        make.linear(fmt::format("{}moe.experts.{}.net.2", p, e), f, h, true);
      }
      make.linear(p + "moe.shared_experts.net.0.proj", h, f, true);
      make.linear(p + "moe.shared_experts.net.2", f, h, true);
    } else {
      make.linear(p + "mlp.fc1", h, f, true);
      make.linear(p + "mlp.fc2", f, h, true);
    }
  }
  layer_norm("final_layer.norm_final", h);
  make.linear("final_layer.linear", h, c.in_channels, true);
  return make.take();
}

}  // namespace orfeas::engine
