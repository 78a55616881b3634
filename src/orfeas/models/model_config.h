// The official Hunyuan3D-2 / 2.1 `config.yaml`, read into plain structs (yaml-cpp stays inside).
//
// A DiT folder's config has the sections model, vae, conditioner, scheduler, image_processor
// (each `target` + `params`) and pipeline (`target` only). The class named by `target` (its last
// dotted component, so "hy3dgen.shapegen.models.Hunyuan3DDiT", ".hy3dgen...Hunyuan3DDiT" and
// "hy3dshape.models.denoisers.hunyuandit.HunYuanDiTPlain" all work) decides the struct:
//   model:           Hunyuan3DDiT (v2-0, mini, mv, -fast, -turbo) | HunYuanDiTPlain (2.1)
//   vae:             ShapeVAE
//   conditioner:     SingleImageEncoder with main_image_encoder.type DinoImageEncoder | DinoImageEncoderMV
//   scheduler:       FlowMatchEulerDiscreteScheduler | ConsistencyFlowMatchEulerDiscreteScheduler (turbo)
//   image_processor: ImageProcessorV2 | MVImageProcessorV2
// A standalone VAE folder's config holds only `params` (and perhaps `target`) of a ShapeVAE.
//
//   ORFEAS_ASSIGN_OR_RETURN(models::PipelineConfig config, models::read_pipeline_config(dir / "config.yaml"));
//   if (const auto* dit = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser)) build_dit(*dit);
//   const std::int64_t tokens = config.dino.tokens();   // 1370 per view
//
// Which keys are required: those that every official config we have seen states (v2-0, mini, 2.1,
// a -fast copy; /work/notes/hy3d-architecture.md §2.2). A key the official configs leave out takes
// the reference constructor's default, written beside the member below. Unknown keys are ignored,
// as the reference's `**kwargs` and encoder-only VAE keys (pc_size, point_feats...) require.
//
// Errors (messages name the key as a dotted path, e.g. "model.params.num_heads"):
//   kCorruptData       the text is not YAML, or not a mapping at the top
//   kInvalidArgument   a required key is missing, has the wrong type, or an impossible value (zero
//                      heads, a width not divisible by the heads, a context width unequal to DINO's)
//   kUnsupportedFormat a target class or encoder type this engine does not implement
//   kNotFound / kIoError / kLimitExceeded   read_*: the file is absent, unreadable or over 1 MB
// No exception leaves these functions.
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::models {

// HF Dinov2Config (conditioner.params.main_image_encoder.kwargs.config) and the encoder's kwargs.
struct DinoConfig {
  std::int64_t hidden_size = 0;          // D: 1536 giant (v2-0, mini, mv), 1024 large (2.1)
  std::int64_t num_hidden_layers = 0;    // 40 giant, 24 large
  std::int64_t num_attention_heads = 0;  // 24 giant, 16 large
  std::int64_t patch_size = 0;           // 14
  std::int64_t image_size = 0;           // kwargs.image_size: the side the image is resized to, 518
  std::int64_t config_image_size = 0;    // config.image_size: sizes embeddings.position_embeddings, 518
  double layer_norm_eps = 0.0;           // 1e-6
  double layerscale_value = 0.0;         // 1.0
  double mlp_ratio = 0.0;                // 4
  bool use_swiglu_ffn = false;           // true giant (mlp.weights_in/out), false large (mlp.fc1/fc2)
  bool qkv_bias = false;                 // true
  std::int64_t num_channels = 0;         // 3
  std::string hidden_act;                // "gelu": the plain MLP's activation (exact erf GELU)
  bool use_cls_token = true;             // kwargs.use_cls_token, default true: CLS kept at token 0
  std::int64_t views = 0;                // 0: DinoImageEncoder; N: DinoImageEncoderMV (kwargs.view_num, default 4)

  [[nodiscard]] std::int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Tokens per view that the encoder returns: (image_size / patch_size)² (+1 with the CLS token); 1370.
  [[nodiscard]] std::int64_t tokens() const;
  // Rows of embeddings.position_embeddings: (config_image_size / patch_size)² + 1.
  [[nodiscard]] std::int64_t position_embeddings() const;
  // Hidden width of one layer's MLP: int(D · mlp_ratio), or for SwiGLU HF's rounding
  // (int(int(D · mlp_ratio) · 2/3) + 7) / 8 · 8 = 4096 for the giant (weights_in has twice that).
  [[nodiscard]] std::int64_t mlp_hidden_size() const;
};

// hy3dgen.shapegen.models.Hunyuan3DDiT (FLUX-style double + single stream blocks).
struct Hunyuan3DDitConfig {
  std::int64_t in_channels = 0;          // latent channels, 64
  std::int64_t context_in_dim = 0;       // conditioner width (DINO's hidden_size), 1536
  std::int64_t hidden_size = 0;          // 1024
  double mlp_ratio = 0.0;                // 4.0
  std::int64_t num_heads = 0;            // 16
  std::int64_t depth = 0;                // double-stream blocks: 16 (mini 8)
  std::int64_t depth_single_blocks = 0;  // 32 (mini 16)
  std::vector<std::int64_t> axes_dim;    // [64]; the model uses no positional encoding, but the
                                         // reference checks sum(axes_dim) == head_dim, and so do we
  double theta = 0.0;                    // 10000, unused by the model (no positional encoding)
  bool qkv_bias = false;                 // true
  bool guidance_embed = false;           // true for the guidance-distilled -fast / -turbo models
  double time_factor = 1000.0;           // default 1000; passed as max_period to the timestep embedding

  [[nodiscard]] std::int64_t head_dim() const { return hidden_size / num_heads; }
  [[nodiscard]] std::int64_t mlp_hidden_size() const;  // int(hidden_size · mlp_ratio)
};

enum class NormKind { kLayer, kRms };  // "layer" | "rms"

// hy3dshape.models.denoisers.hunyuandit.HunYuanDiTPlain (2.1: U-ViT skips, MoE).
struct HunyuanDitPlainConfig {
  std::int64_t input_size = 0;                         // latent tokens, 4096
  std::int64_t in_channels = 0;                        // 64
  std::int64_t hidden_size = 0;                        // 2048
  std::int64_t context_dim = 0;                        // DINO's hidden_size, 1024
  std::int64_t depth = 0;                              // 21
  std::int64_t num_heads = 0;                          // 16
  double mlp_ratio = 4.0;                              // default 4.0
  NormKind norm_type = NormKind::kLayer;               // default "layer"
  bool qk_norm = false;                                // true
  NormKind qk_norm_type = NormKind::kRms;              // "rms"
  bool qkv_bias = false;                               // false
  std::int64_t text_len = 0;                           // 1370
  std::int64_t num_moe_layers = 0;                     // 6: the last six blocks
  std::int64_t num_experts = 0;                        // 8
  std::int64_t moe_top_k = 0;                          // 2
  bool use_pos_emb = false;                            // false
  bool use_attention_pooling = false;                  // false
  bool with_decoupled_ca = false;                      // false
  std::optional<std::int64_t> guidance_cond_proj_dim;  // default None (absent or null)

  [[nodiscard]] std::int64_t head_dim() const { return hidden_size / num_heads; }
  [[nodiscard]] std::int64_t mlp_hidden_size() const;  // int(hidden_size · mlp_ratio)
};

using DenoiserConfig = std::variant<Hunyuan3DDitConfig, HunyuanDitPlainConfig>;

// ShapeVAE: the decoder half is what shape generation uses (post_kl, transformer, geo_decoder).
struct ShapeVaeConfig {
  std::int64_t num_latents = 0;                   // 3072 v2-0 / mv, 512 mini, 4096 2.1
  std::int64_t embed_dim = 0;                     // latent channels, 64
  std::int64_t width = 0;                         // 1024
  std::int64_t heads = 0;                         // 16
  std::int64_t num_decoder_layers = 0;            // 16
  std::int64_t num_freqs = 0;                     // 8
  bool include_pi = false;                        // false
  bool qkv_bias = false;                          // false
  bool qk_norm = false;                           // true
  double scale_factor = 0.0;                      // latents are divided by it before decoding
  std::int64_t geo_decoder_mlp_expand_ratio = 4;  // default 4
  std::int64_t geo_decoder_downsample_ratio = 1;  // default 1
  bool geo_decoder_ln_post = true;                // default true; false also turns off the
                                                  // geometry decoder's qk_norm (reference quirk)

  [[nodiscard]] std::int64_t head_dim() const { return width / heads; }
  // Fourier features per query point: 3 · (2 · num_freqs + 1) = 51 (the input is included).
  [[nodiscard]] std::int64_t fourier_dim() const { return 3 * (2 * num_freqs + 1); }
  [[nodiscard]] std::int64_t geo_decoder_width() const { return width / geo_decoder_downsample_ratio; }
  [[nodiscard]] std::int64_t geo_decoder_heads() const { return heads / geo_decoder_downsample_ratio; }
};

enum class SchedulerKind { kFlowMatchEuler, kConsistencyFlowMatchEuler };

struct SchedulerConfig {
  SchedulerKind kind = SchedulerKind::kFlowMatchEuler;
  std::int64_t num_train_timesteps = 1000;  // default 1000
  double shift = 1.0;                       // FlowMatchEuler only; default 1.0 (identity)
  std::int64_t pcm_timesteps = 50;          // ConsistencyFlowMatchEuler only; code default 50 (turbo hubs: 100?)
};

enum class ImageProcessorKind { kSingleView, kMultiView };  // ImageProcessorV2 | MVImageProcessorV2

struct ImageProcessorConfig {
  ImageProcessorKind kind = ImageProcessorKind::kSingleView;
  std::int64_t size = 512;     // default 512: the square side after recentring, px
  double border_ratio = 0.15;  // default 0.15 (the reference's __call__ default when the config gives none)
};

enum class ConditionerKind { kDinoImageEncoder, kDinoImageEncoderMV };

struct PipelineConfig {
  DenoiserConfig denoiser;
  ShapeVaeConfig vae;
  ConditionerKind conditioner = ConditionerKind::kDinoImageEncoder;
  DinoConfig dino;
  SchedulerConfig scheduler;
  ImageProcessorConfig image_processor;
  std::string pipeline_target;  // pipeline.target as written, "" when absent (informative only)

  // True when the denoiser embeds the guidance scale (Hunyuan3DDiT with guidance_embed): no CFG batch.
  [[nodiscard]] bool guidance_embed() const;
};

[[nodiscard]] std::string_view denoiser_name(const DenoiserConfig& denoiser);  // "Hunyuan3DDiT" | "HunYuanDiTPlain"
[[nodiscard]] std::string_view scheduler_name(SchedulerKind kind);             // the reference's class name
[[nodiscard]] std::string_view conditioner_name(ConditionerKind kind);         // "DinoImageEncoder" | "...MV"

// A DiT folder's config.yaml.
[[nodiscard]] Result<PipelineConfig> parse_pipeline_config(std::string_view yaml_text);
[[nodiscard]] Result<PipelineConfig> read_pipeline_config(const std::filesystem::path& path);

// A standalone VAE folder's config.yaml (top-level `params`).
[[nodiscard]] Result<ShapeVaeConfig> parse_vae_config(std::string_view yaml_text);
[[nodiscard]] Result<ShapeVaeConfig> read_vae_config(const std::filesystem::path& path);

}  // namespace orfeas::models
