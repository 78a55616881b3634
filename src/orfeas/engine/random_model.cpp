#include "orfeas/engine/random_model.h"

#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "orfeas/engine/checkpoint.h"
#include "orfeas/engine/dinov2.h"
#include "orfeas/engine/hunyuan3d_dit.h"
#include "orfeas/engine/hunyuandit_plain.h"
#include "orfeas/engine/shape_vae.h"
#include "orfeas/models/model_config.h"

namespace orfeas::engine {
namespace {

void add_prefixed(std::map<std::string, at::Tensor, std::less<>>& all, const std::string& prefix,
                  std::map<std::string, at::Tensor, std::less<>> part) {
  for (auto& [name, tensor] : part) all.emplace(prefix + name, std::move(tensor));
}

}  // namespace

std::string tiny_model_config() {
  return R"yaml(model:
  target: hy3dgen.shapegen.models.Hunyuan3DDiT
  params:
    in_channels: 8
    context_in_dim: 32
    hidden_size: 32
    mlp_ratio: 2.0
    num_heads: 2
    depth: 1
    depth_single_blocks: 1
    axes_dim: [ 16 ]
    theta: 10000
    qkv_bias: True
    guidance_embed: False
vae:
  target: hy3dgen.shapegen.models.ShapeVAE
  params:
    num_latents: 16
    embed_dim: 8
    num_freqs: 2
    include_pi: false
    heads: 2
    width: 32
    num_decoder_layers: 1
    qkv_bias: false
    qk_norm: true
    scale_factor: 0.9990943042622529
conditioner:
  target: hy3dgen.shapegen.models.SingleImageEncoder
  params:
    main_image_encoder:
      type: DinoImageEncoder
      kwargs:
        config:
          hidden_act: gelu
          hidden_size: 32
          image_size: 518
          layer_norm_eps: 1.e-6
          layerscale_value: 1.0
          mlp_ratio: 4
          model_type: dinov2
          num_attention_heads: 2
          num_channels: 3
          num_hidden_layers: 1
          patch_size: 14
          qkv_bias: true
          use_swiglu_ffn: false
        image_size: 518
scheduler:
  target: hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler
  params:
    num_train_timesteps: 1000
image_processor:
  target: hy3dgen.shapegen.preprocessors.ImageProcessorV2
  params:
    size: 512
    border_ratio: 0.15
)yaml";
}

Result<std::string> multiview_config(std::string config_yaml) {
  // Whole YAML values (the line's end included), so DinoImageEncoderMV is never matched as its prefix.
  for (const auto& [from, to] :
       {std::pair<std::string_view, std::string_view>{"type: DinoImageEncoder\n", "type: DinoImageEncoderMV\n"},
        {"preprocessors.ImageProcessorV2\n", "preprocessors.MVImageProcessorV2\n"}}) {
    const std::size_t at = config_yaml.find(from);
    if (at == std::string::npos)
      return make_error(ErrorCode::kInvalidArgument,
                        "not a single-view config: it has no '" + std::string(from.substr(0, from.size() - 1)) + "'");
    config_yaml.replace(at, from.size(), to);
  }
  return config_yaml;
}

Status write_random_model(const std::filesystem::path& folder, std::string_view config_yaml, std::uint64_t seed,
                          at::ScalarType stored) {
  ORFEAS_ASSIGN_OR_RETURN(const models::PipelineConfig config, models::parse_pipeline_config(config_yaml));
  std::map<std::string, at::Tensor, std::less<>> all;
  if (const auto* dit = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser)) {
    add_prefixed(all, "model.", random_hunyuan3d_dit_weights(*dit, seed));
  } else {
    add_prefixed(all, "model.",
                 random_hunyuandit_plain_weights(std::get<models::HunyuanDitPlainConfig>(config.denoiser), seed));
  }
  add_prefixed(all, "vae.", random_shape_vae_weights(config.vae, seed + 1));
  add_prefixed(all, "conditioner.", random_dinov2_weights(config.dino, seed + 2));
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return make_error(ErrorCode::kIoError, "cannot create " + folder.string() + ": " + error.message());
  {
    std::ofstream out(folder / "config.yaml", std::ios::binary | std::ios::trunc);
    out << config_yaml;
    if (!out) return make_error(ErrorCode::kIoError, "cannot write " + (folder / "config.yaml").string());
  }
  return save_weights(folder / "model.fp16.safetensors", all, stored);
}

}  // namespace orfeas::engine
