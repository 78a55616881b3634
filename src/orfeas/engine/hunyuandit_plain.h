// HunYuanDiTPlain: the U-ViT flow-matching denoiser of Hunyuan3D-2.1 with MoE feed-forwards in its
// last blocks (hy3dshape/models/denoisers/hunyuandit.py, moe_layers.py;
// /work/notes/hy3d-architecture.md §12).
//
//   ORFEAS_ASSIGN_OR_RETURN(HunyuanDitPlain dit, HunyuanDitPlain::load(all.scope("model."), plain_config));
//   at::Tensor v = dit.forward(latents, t, cond);   // [B, 4096, 64] velocity
//
// The forward pass:
//   c = t_embedder(t) [B, 1, H] (sin-first sinusoid of t itself, no ×1000; MLP with exact GELU)
//   x = cat(c, x_embedder(x)) [B, 1 + N, H]: the time token first, the only time conditioning
//   blocks 0..depth-1; block l < depth/2 pushes its output, block l > depth/2 pops one (LIFO) and
//     starts with skip_norm(skip_linear(cat(skip, x))); each block is
//     x += attn1(norm1(x)); x += attn2(norm2(x), cond); x += (moe | mlp)(norm3(x))
//   final_layer: linear(norm_final(x)[:, 1:]) -> [B, N, Cin]
// Attention splits q/k/v per head out of the concatenated projections (split_interleaved_qkv /
// split_interleaved_kv below), not the standard (K H D) way.
//
// Exactness: the reference's ATen operations in its order and dtypes; the MoE runs each expert on
// its own batch of tokens in expert order, as the reference's moe_infer does, because the GEMM's
// row count decides the kernel (and so the bits) on the GPU.
//
// Ownership: holds (shares) the tensors it took from Weights and runs on their device and dtype.
// Thread-safety: immutable after load; concurrent forward calls are safe.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/engine/layers.h"
#include "orfeas/engine/weights.h"
#include "orfeas/models/model_config.h"

namespace orfeas::engine {

// diffusers' Timesteps(dim) as HunYuanDiTPlain uses it (flip_sin_to_cos false, shift 0, scale 1,
// max_period 10000): exponent_i = −ln(10000) · i / half on t's device in float32, i < half = dim/2;
// args = float(t)[:, None] · exp(exponent); [sin(args) | cos(args)] (sin first). float32 [B, dim].
[[nodiscard]] at::Tensor hunyuandit_timestep_embedding(const at::Tensor& t, std::int64_t dim);

// The self-attention split: qkv = cat(to_q(x), to_k(x), to_v(x)) [B, N, 3C] viewed per token as
// [H, 3·hd]; head h's q, k, v are the three hd-wide slices of its 3·hd block (so head 0's q, k and
// v all come from to_q's rows). Returns q, k, v as [B, H, N, hd] (strided views, as the reference's).
[[nodiscard]] std::array<at::Tensor, 3> split_interleaved_qkv(const at::Tensor& qkv, std::int64_t heads);
// The cross-attention split: kv = cat(to_k(y), to_v(y)) [B, S, 2C] viewed per token as [H, 2·hd];
// head h's k and v are the two halves of its block. Returns k, v as [B, S, H, hd] (the layout the
// reference normalises in, before moving heads forward).
[[nodiscard]] std::array<at::Tensor, 2> split_interleaved_kv(const at::Tensor& kv, std::int64_t heads);

// The U-ViT long skips: for each block, the index of the block whose output it takes as its skip
// input, or −1 (blocks l <= depth/2). depth 21: block 11 takes block 9's, ..., block 20 block 0's.
[[nodiscard]] std::vector<std::int64_t> hunyuandit_skip_sources(std::int64_t depth);

// q_norm / k_norm over the head dimension: torch.nn.RMSNorm ("rms"), LayerNorm ("layer") or none.
struct PlainQkNorm {
  std::optional<RmsNorm> rms;
  std::optional<LayerNorm> layer;
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
};

struct PlainSelfAttention {  // `attn1`
  Linear to_q, to_k, to_v;   // [H] -> [H], bias = qkv_bias
  PlainQkNorm q_norm, k_norm;
  Linear out_proj;  // [H] -> [H] with bias
  // x [B, N, H] -> [B, N, H].
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x, std::int64_t heads) const;
};

struct PlainCrossAttention {  // `attn2`
  Linear to_q;                // [H] -> [H]
  Linear to_k, to_v;          // [Cctx] -> [H]
  PlainQkNorm q_norm, k_norm;
  Linear out_proj;
  // x [B, N, H], cond [B, S, Cctx] -> [B, N, H].
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x, const at::Tensor& cond, std::int64_t heads) const;
};

// A two-layer feed-forward with exact GELU: MLP (fc1, fc2) and diffusers' FeedForward
// (net.0.proj, net.2).
struct PlainFeedForward {
  Linear in;
  Linear out;
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const { return out(gelu_exact(in(x))); }
};

// MoEBlock in eval mode: softmax gate, top-k (unsorted, weights not renormalised), each expert
// run on its tokens, weighted and scatter-summed, plus the shared expert.
struct PlainMoe {
  at::Tensor gate;  // moe.gate.weight [E, H], no bias
  std::vector<PlainFeedForward> experts;
  PlainFeedForward shared;  // moe.shared_experts
  std::int64_t top_k = 2;
  // x [B, N, H] -> [B, N, H].
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x) const;
};

struct PlainBlock {
  LayerNorm norm1, norm2, norm3;  // affine, eps 1e-6
  PlainSelfAttention attn1;
  PlainCrossAttention attn2;
  std::optional<Linear> skip_linear;  // [2H] -> [H], blocks l > depth/2
  std::optional<LayerNorm> skip_norm;
  std::optional<PlainFeedForward> mlp;  // blocks without MoE
  std::optional<PlainMoe> moe;          // the last num_moe_layers blocks
  // x [B, 1 + N, H], cond [B, S, Cctx], skip [B, 1 + N, H] (defined exactly when skip_linear is).
  [[nodiscard]] at::Tensor operator()(const at::Tensor& x, const at::Tensor& cond, const at::Tensor& skip,
                                      std::int64_t heads) const;
};

class HunyuanDitPlain {
 public:
  // Takes every tensor from `model_scope` (the checkpoint's names without "model.") with its shape
  // checked. kCorruptData naming the tensor when one is missing or misshapen; kInvalidArgument for
  // an impossible config; kUnsupportedFormat for options the official 2.1 model does not use and
  // this engine does not implement (use_pos_emb, use_attention_pooling, with_decoupled_ca,
  // guidance_cond_proj_dim, norm_type "rms").
  [[nodiscard]] static Result<HunyuanDitPlain> load(const Weights& model_scope,
                                                    const models::HunyuanDitPlainConfig& config);

  // x [B, N, Cin]; t [B], as the pipeline passes it (h(σ·1000)/1000 in the weights' dtype);
  // cond [B, S, context_dim]. Returns the velocity [B, N, Cin] in the weights' dtype.
  // Throws c10::Error on mismatched shapes.
  [[nodiscard]] at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& cond) const;

  [[nodiscard]] const models::HunyuanDitPlainConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<PlainBlock>& blocks() const { return blocks_; }
  // The time token [B, 1, H] (t_embedder), the blocks' input [B, 1 + N, H] and the final layer, for
  // tests that run the blocks themselves.
  [[nodiscard]] at::Tensor embed_time(const at::Tensor& t) const;
  [[nodiscard]] at::Tensor embed_input(const at::Tensor& x, const at::Tensor& t) const;
  [[nodiscard]] at::Tensor final_layer(const at::Tensor& x) const;

 private:
  models::HunyuanDitPlainConfig config_;
  Linear x_embedder_;
  PlainFeedForward t_embedder_;  // t_embedder.mlp.0 [H] -> [4H], mlp.2 [4H] -> [H]
  std::vector<PlainBlock> blocks_;
  LayerNorm norm_final_;  // final_layer.norm_final
  Linear final_linear_;   // final_layer.linear [H] -> [Cin]
};

// Random float32 CPU tensors for every name HunyuanDitPlain::load takes (official names, without
// "model."), deterministic in `seed`, initialised as random_hunyuan3d_dit_weights does (norm
// weights around one, biases small). For tests, the parity harness and pipeline tests.
[[nodiscard]] std::map<std::string, at::Tensor, std::less<>> random_hunyuandit_plain_weights(
    const models::HunyuanDitPlainConfig& config, std::uint64_t seed);

}  // namespace orfeas::engine
