#include "orfeas/models/model_config.h"

#include <cmath>
#include <exception>
#include <fstream>
#include <iterator>
#include <limits>
#include <numeric>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace orfeas::models {
namespace {

constexpr std::uintmax_t kMaxConfigBytes = std::uintmax_t{1} << 20;
// Generous bounds that keep later size arithmetic far from overflow; real values are far below.
constexpr std::int64_t kMaxWidth = std::int64_t{1} << 20;  // channels, tokens, latents
constexpr std::int64_t kMaxCount = 4096;                   // layers, heads, experts, ...
constexpr std::int64_t kMaxPixels = 16384;                 // image sides
constexpr double kMaxNumber = 1e9;  // ratios, factors, theta: so that width × ratio stays an exact integer

tl::unexpected<Error> invalid(std::string_view key, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument, fmt::format("{}: {}", key, what));
}

// How a node looks, for messages: its text if scalar, else its kind.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// The last dotted component of a `target`: ".hy3dgen.shapegen.models.Hunyuan3DDiT" -> "Hunyuan3DDiT".
std::string_view class_name(std::string_view target) {
  const std::size_t dot = target.rfind('.');
  return dot == std::string_view::npos ? target : target.substr(dot + 1);
}

// A YAML mapping and its dotted path: typed, checked lookups whose errors name the key.
class Section {
 public:
  Section(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}
  static Section empty(std::string path) { return Section(YAML::Node(YAML::NodeType::Map), std::move(path)); }

  [[nodiscard]] std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }
  // Present and not null.
  [[nodiscard]] bool has(std::string_view key) const {
    const YAML::Node value = lookup(key);
    return value.IsDefined() && !value.IsNull();
  }

  [[nodiscard]] Result<Section> section(std::string_view key) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    if (!value.IsMap()) return invalid(key_path(key), fmt::format("must be a mapping, got {}", describe(value)));
    return Section(value, key_path(key));
  }
  // The mapping at `key`, or an empty one when absent or null.
  [[nodiscard]] Result<Section> section_or_empty(std::string_view key) const {
    if (!has(key)) return empty(key_path(key));
    return section(key);
  }

  [[nodiscard]] Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    return to_integer(value, key_path(key), min, max);
  }
  [[nodiscard]] Result<std::int64_t> integer_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                                std::int64_t max) const {
    return has(key) ? integer(key, min, max) : Result<std::int64_t>(fallback);
  }
  [[nodiscard]] Result<std::optional<std::int64_t>> optional_integer(std::string_view key, std::int64_t min,
                                                                     std::int64_t max) const {
    if (!has(key)) return std::optional<std::int64_t>();
    ORFEAS_ASSIGN_OR_RETURN(const std::int64_t value, integer(key, min, max));
    return std::optional<std::int64_t>(value);
  }

  // A finite number, at least `min` (or above it when `exclusive`), at most kMaxNumber.
  [[nodiscard]] Result<double> number(std::string_view key, double min, bool exclusive) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    double number = 0.0;
    if (!value.IsScalar() || !YAML::convert<double>::decode(value, number) || !std::isfinite(number)) {
      return invalid(key_path(key), fmt::format("must be a finite number, got {}", describe(value)));
    }
    if (exclusive ? number <= min : number < min) {
      return invalid(key_path(key),
                     fmt::format("must be {} {}, got {}", exclusive ? "above" : "at least", min, describe(value)));
    }
    if (number > kMaxNumber) {
      return invalid(key_path(key), fmt::format("must be at most {}, got {}", kMaxNumber, describe(value)));
    }
    return number;
  }
  [[nodiscard]] Result<double> number_or(std::string_view key, double fallback, double min, bool exclusive) const {
    return has(key) ? number(key, min, exclusive) : Result<double>(fallback);
  }

  [[nodiscard]] Result<bool> boolean(std::string_view key) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    bool flag = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, flag)) {
      return invalid(key_path(key), fmt::format("must be true or false, got {}", describe(value)));
    }
    return flag;
  }
  [[nodiscard]] Result<bool> boolean_or(std::string_view key, bool fallback) const {
    return has(key) ? boolean(key) : Result<bool>(fallback);
  }

  [[nodiscard]] Result<std::string> text(std::string_view key) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    if (!value.IsScalar()) return invalid(key_path(key), fmt::format("must be a string, got {}", describe(value)));
    return value.Scalar();
  }

  [[nodiscard]] Result<std::vector<std::int64_t>> integers(std::string_view key, std::int64_t min,
                                                           std::int64_t max) const {
    ORFEAS_ASSIGN_OR_RETURN(const YAML::Node value, required(key));
    if (!value.IsSequence()) return invalid(key_path(key), fmt::format("must be a sequence, got {}", describe(value)));
    std::vector<std::int64_t> numbers;
    for (std::size_t i = 0; i < value.size(); ++i) {
      ORFEAS_ASSIGN_OR_RETURN(const std::int64_t number,
                              to_integer(value[i], fmt::format("{}[{}]", key_path(key), i), min, max));
      numbers.push_back(number);
    }
    return numbers;
  }

  // The class name of `target` (required).
  [[nodiscard]] Result<std::string> target_class() const {
    ORFEAS_ASSIGN_OR_RETURN(const std::string target, text("target"));
    return std::string(class_name(target));
  }

 private:
  [[nodiscard]] YAML::Node lookup(std::string_view key) const {
    const YAML::Node& node = node_;  // const: a lookup never inserts
    return node[std::string(key)];
  }
  [[nodiscard]] Result<YAML::Node> required(std::string_view key) const {
    YAML::Node value = lookup(key);
    if (!value.IsDefined()) return invalid(key_path(key), "missing");
    if (value.IsNull()) return invalid(key_path(key), "is null");
    return value;
  }
  static Result<std::int64_t> to_integer(const YAML::Node& value, const std::string& path, std::int64_t min,
                                         std::int64_t max) {
    long long number = 0;
    if (!value.IsScalar() || !YAML::convert<long long>::decode(value, number)) {
      return invalid(path, fmt::format("must be an integer, got {}", describe(value)));
    }
    if (number < min || number > max) {
      return invalid(path, fmt::format("must be an integer in [{}, {}], got {}", min, max, describe(value)));
    }
    return static_cast<std::int64_t>(number);
  }

  YAML::Node node_;
  std::string path_;
};

tl::unexpected<Error> unsupported(std::string_view key, std::string_view what) {
  return make_error(ErrorCode::kUnsupportedFormat, fmt::format("{}: {}", key, what));
}

Status check_divisible(std::string_view key, std::int64_t value, std::string_view by_key, std::int64_t by) {
  if (value % by != 0) return invalid(key, fmt::format("{} is not divisible by {} ({})", value, by_key, by));
  return ok();
}

// A ratio that leaves an MLP without channels, or with absurdly many.
Status check_mlp(std::string_view key, double ratio, std::int64_t hidden) {
  if (hidden < 1 || hidden > kMaxWidth)
    return invalid(key, fmt::format("{} gives an MLP of {} channels", ratio, hidden));
  return ok();
}

Result<NormKind> norm_kind(const Section& params, std::string_view key, NormKind fallback) {
  if (!params.has(key)) return fallback;
  ORFEAS_ASSIGN_OR_RETURN(const std::string name, params.text(key));
  if (name == "layer") return NormKind::kLayer;
  if (name == "rms") return NormKind::kRms;
  return invalid(params.key_path(key), fmt::format("must be 'layer' or 'rms', got '{}'", name));
}

// conditioner.params.main_image_encoder
Result<DinoConfig> parse_dino(const Section& encoder, bool multiview) {
  ORFEAS_ASSIGN_OR_RETURN(const Section kwargs, encoder.section("kwargs"));
  if (!kwargs.has("config")) {
    return unsupported(kwargs.key_path("config"),
                       "missing: the encoder must be built from a Dinov2Config dict (weights from the checkpoint), "
                       "as in the official configs; loading a pretrained 'version' is not supported");
  }
  ORFEAS_ASSIGN_OR_RETURN(const Section hf, kwargs.section("config"));
  DinoConfig dino;
  ORFEAS_ASSIGN_OR_RETURN(dino.hidden_size, hf.integer("hidden_size", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dino.num_hidden_layers, hf.integer("num_hidden_layers", 1, kMaxCount));
  ORFEAS_ASSIGN_OR_RETURN(dino.num_attention_heads, hf.integer("num_attention_heads", 1, kMaxCount));
  ORFEAS_RETURN_IF_ERROR(check_divisible(hf.key_path("hidden_size"), dino.hidden_size,
                                         hf.key_path("num_attention_heads"), dino.num_attention_heads));
  ORFEAS_ASSIGN_OR_RETURN(dino.patch_size, hf.integer("patch_size", 1, kMaxPixels));
  ORFEAS_ASSIGN_OR_RETURN(dino.config_image_size, hf.integer("image_size", dino.patch_size, kMaxPixels));
  ORFEAS_ASSIGN_OR_RETURN(dino.layer_norm_eps, hf.number("layer_norm_eps", 0.0, true));
  ORFEAS_ASSIGN_OR_RETURN(dino.layerscale_value, hf.number("layerscale_value", -kMaxNumber, false));
  ORFEAS_ASSIGN_OR_RETURN(dino.mlp_ratio, hf.number("mlp_ratio", 0.0, true));
  ORFEAS_ASSIGN_OR_RETURN(dino.use_swiglu_ffn, hf.boolean("use_swiglu_ffn"));
  ORFEAS_ASSIGN_OR_RETURN(dino.qkv_bias, hf.boolean("qkv_bias"));
  ORFEAS_ASSIGN_OR_RETURN(dino.num_channels, hf.integer("num_channels", 1, 16));
  ORFEAS_ASSIGN_OR_RETURN(dino.hidden_act, hf.text("hidden_act"));
  ORFEAS_RETURN_IF_ERROR(check_mlp(hf.key_path("mlp_ratio"), dino.mlp_ratio, dino.mlp_hidden_size()));
  ORFEAS_ASSIGN_OR_RETURN(dino.image_size, kwargs.integer("image_size", dino.patch_size, kMaxPixels));
  ORFEAS_ASSIGN_OR_RETURN(dino.use_cls_token, kwargs.boolean_or("use_cls_token", true));
  if (multiview) {
    ORFEAS_ASSIGN_OR_RETURN(dino.views, kwargs.integer_or("view_num", 4, 1, 64));
  }
  return dino;
}

Result<Hunyuan3DDitConfig> parse_hunyuan3d_dit(const Section& params) {
  Hunyuan3DDitConfig dit;
  ORFEAS_ASSIGN_OR_RETURN(dit.in_channels, params.integer("in_channels", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.context_in_dim, params.integer("context_in_dim", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.hidden_size, params.integer("hidden_size", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.mlp_ratio, params.number("mlp_ratio", 0.0, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.num_heads, params.integer("num_heads", 1, kMaxCount));
  ORFEAS_RETURN_IF_ERROR(
      check_divisible(params.key_path("hidden_size"), dit.hidden_size, params.key_path("num_heads"), dit.num_heads));
  ORFEAS_ASSIGN_OR_RETURN(dit.depth, params.integer("depth", 0, kMaxCount));
  ORFEAS_ASSIGN_OR_RETURN(dit.depth_single_blocks, params.integer("depth_single_blocks", 0, kMaxCount));
  if (dit.depth + dit.depth_single_blocks == 0) {
    return invalid(params.key_path("depth"), "the model has no blocks (depth and depth_single_blocks are 0)");
  }
  ORFEAS_ASSIGN_OR_RETURN(dit.axes_dim, params.integers("axes_dim", 1, kMaxWidth));
  const std::int64_t axes_sum = std::accumulate(dit.axes_dim.begin(), dit.axes_dim.end(), std::int64_t{0});
  if (axes_sum != dit.head_dim()) {
    return invalid(
        params.key_path("axes_dim"),
        fmt::format("must sum to the head dimension {} (hidden_size / num_heads), got {}", dit.head_dim(), axes_sum));
  }
  ORFEAS_ASSIGN_OR_RETURN(dit.theta, params.number("theta", 0.0, true));
  ORFEAS_ASSIGN_OR_RETURN(dit.qkv_bias, params.boolean("qkv_bias"));
  ORFEAS_ASSIGN_OR_RETURN(dit.guidance_embed, params.boolean("guidance_embed"));
  ORFEAS_ASSIGN_OR_RETURN(dit.time_factor, params.number_or("time_factor", 1000.0, 0.0, true));
  ORFEAS_RETURN_IF_ERROR(check_mlp(params.key_path("mlp_ratio"), dit.mlp_ratio, dit.mlp_hidden_size()));
  return dit;
}

Result<HunyuanDitPlainConfig> parse_hunyuan_dit_plain(const Section& params) {
  HunyuanDitPlainConfig dit;
  ORFEAS_ASSIGN_OR_RETURN(dit.input_size, params.integer("input_size", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.in_channels, params.integer("in_channels", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.hidden_size, params.integer("hidden_size", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.context_dim, params.integer("context_dim", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.depth, params.integer("depth", 1, kMaxCount));
  ORFEAS_ASSIGN_OR_RETURN(dit.num_heads, params.integer("num_heads", 1, kMaxCount));
  ORFEAS_RETURN_IF_ERROR(
      check_divisible(params.key_path("hidden_size"), dit.hidden_size, params.key_path("num_heads"), dit.num_heads));
  ORFEAS_ASSIGN_OR_RETURN(dit.mlp_ratio, params.number_or("mlp_ratio", 4.0, 0.0, true));
  ORFEAS_RETURN_IF_ERROR(check_mlp(params.key_path("mlp_ratio"), dit.mlp_ratio, dit.mlp_hidden_size()));
  ORFEAS_ASSIGN_OR_RETURN(dit.norm_type, norm_kind(params, "norm_type", NormKind::kLayer));
  ORFEAS_ASSIGN_OR_RETURN(dit.qk_norm, params.boolean("qk_norm"));
  if (!params.has("qk_norm_type")) return invalid(params.key_path("qk_norm_type"), "missing");
  ORFEAS_ASSIGN_OR_RETURN(dit.qk_norm_type, norm_kind(params, "qk_norm_type", NormKind::kRms));
  ORFEAS_ASSIGN_OR_RETURN(dit.qkv_bias, params.boolean("qkv_bias"));
  ORFEAS_ASSIGN_OR_RETURN(dit.text_len, params.integer("text_len", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(dit.num_moe_layers, params.integer("num_moe_layers", 0, dit.depth));
  ORFEAS_ASSIGN_OR_RETURN(dit.num_experts, params.integer("num_experts", 1, kMaxCount));
  ORFEAS_ASSIGN_OR_RETURN(dit.moe_top_k, params.integer("moe_top_k", 1, dit.num_experts));
  ORFEAS_ASSIGN_OR_RETURN(dit.use_pos_emb, params.boolean("use_pos_emb"));
  ORFEAS_ASSIGN_OR_RETURN(dit.use_attention_pooling, params.boolean("use_attention_pooling"));
  ORFEAS_ASSIGN_OR_RETURN(dit.with_decoupled_ca, params.boolean("with_decoupled_ca"));
  ORFEAS_ASSIGN_OR_RETURN(dit.guidance_cond_proj_dim, params.optional_integer("guidance_cond_proj_dim", 1, kMaxWidth));
  return dit;
}

Result<ShapeVaeConfig> parse_shape_vae(const Section& params) {
  ShapeVaeConfig vae;
  ORFEAS_ASSIGN_OR_RETURN(vae.num_latents, params.integer("num_latents", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(vae.embed_dim, params.integer("embed_dim", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(vae.width, params.integer("width", 1, kMaxWidth));
  ORFEAS_ASSIGN_OR_RETURN(vae.heads, params.integer("heads", 1, kMaxCount));
  ORFEAS_RETURN_IF_ERROR(check_divisible(params.key_path("width"), vae.width, params.key_path("heads"), vae.heads));
  ORFEAS_ASSIGN_OR_RETURN(vae.num_decoder_layers, params.integer("num_decoder_layers", 0, kMaxCount));
  ORFEAS_ASSIGN_OR_RETURN(vae.num_freqs, params.integer("num_freqs", 0, 64));
  ORFEAS_ASSIGN_OR_RETURN(vae.include_pi, params.boolean("include_pi"));
  ORFEAS_ASSIGN_OR_RETURN(vae.qkv_bias, params.boolean("qkv_bias"));
  ORFEAS_ASSIGN_OR_RETURN(vae.qk_norm, params.boolean("qk_norm"));
  ORFEAS_ASSIGN_OR_RETURN(vae.scale_factor, params.number("scale_factor", 0.0, true));
  ORFEAS_ASSIGN_OR_RETURN(vae.geo_decoder_mlp_expand_ratio,
                          params.integer_or("geo_decoder_mlp_expand_ratio", 4, 1, 64));
  ORFEAS_ASSIGN_OR_RETURN(vae.geo_decoder_downsample_ratio,
                          params.integer_or("geo_decoder_downsample_ratio", 1, 1, vae.heads));
  const std::string downsample_key = params.key_path("geo_decoder_downsample_ratio");
  ORFEAS_RETURN_IF_ERROR(
      check_divisible(params.key_path("heads"), vae.heads, downsample_key, vae.geo_decoder_downsample_ratio));
  ORFEAS_RETURN_IF_ERROR(
      check_divisible(params.key_path("width"), vae.width, downsample_key, vae.geo_decoder_downsample_ratio));
  ORFEAS_ASSIGN_OR_RETURN(vae.geo_decoder_ln_post, params.boolean_or("geo_decoder_ln_post", true));
  return vae;
}

Result<SchedulerConfig> parse_scheduler(const Section& section) {
  SchedulerConfig scheduler;
  ORFEAS_ASSIGN_OR_RETURN(const std::string name, section.target_class());
  ORFEAS_ASSIGN_OR_RETURN(const Section params, section.section_or_empty("params"));
  ORFEAS_ASSIGN_OR_RETURN(scheduler.num_train_timesteps, params.integer_or("num_train_timesteps", 1000, 2, kMaxWidth));
  if (name == scheduler_name(SchedulerKind::kFlowMatchEuler)) {
    scheduler.kind = SchedulerKind::kFlowMatchEuler;
    ORFEAS_ASSIGN_OR_RETURN(scheduler.shift, params.number_or("shift", 1.0, 0.0, true));
    ORFEAS_ASSIGN_OR_RETURN(const bool dynamic_shifting, params.boolean_or("use_dynamic_shifting", false));
    if (dynamic_shifting) return unsupported(params.key_path("use_dynamic_shifting"), "true is not supported");
  } else if (name == scheduler_name(SchedulerKind::kConsistencyFlowMatchEuler)) {
    scheduler.kind = SchedulerKind::kConsistencyFlowMatchEuler;
    ORFEAS_ASSIGN_OR_RETURN(scheduler.pcm_timesteps,
                            params.integer_or("pcm_timesteps", 50, 1, scheduler.num_train_timesteps));
  } else {
    return unsupported(section.key_path("target"),
                       fmt::format("unknown scheduler '{}' (FlowMatchEulerDiscreteScheduler or "
                                   "ConsistencyFlowMatchEulerDiscreteScheduler expected)",
                                   name));
  }
  return scheduler;
}

Result<ImageProcessorConfig> parse_image_processor(const Section& section) {
  ImageProcessorConfig processor;
  ORFEAS_ASSIGN_OR_RETURN(const std::string name, section.target_class());
  if (name == "ImageProcessorV2") {
    processor.kind = ImageProcessorKind::kSingleView;
  } else if (name == "MVImageProcessorV2") {
    processor.kind = ImageProcessorKind::kMultiView;
  } else {
    return unsupported(
        section.key_path("target"),
        fmt::format("unknown image processor '{}' (ImageProcessorV2 or MVImageProcessorV2 expected)", name));
  }
  ORFEAS_ASSIGN_OR_RETURN(const Section params, section.section_or_empty("params"));
  ORFEAS_ASSIGN_OR_RETURN(processor.size, params.integer_or("size", 512, 1, kMaxPixels));
  ORFEAS_ASSIGN_OR_RETURN(processor.border_ratio, params.number_or("border_ratio", 0.15, 0.0, false));
  if (processor.border_ratio >= 1.0) {
    return invalid(params.key_path("border_ratio"), fmt::format("must be below 1, got {}", processor.border_ratio));
  }
  return processor;
}

Result<PipelineConfig> parse_pipeline(const Section& root) {
  PipelineConfig config;

  ORFEAS_ASSIGN_OR_RETURN(const Section model, root.section("model"));
  ORFEAS_ASSIGN_OR_RETURN(const std::string model_class, model.target_class());
  ORFEAS_ASSIGN_OR_RETURN(const Section model_params, model.section("params"));
  if (model_class == "Hunyuan3DDiT") {
    ORFEAS_ASSIGN_OR_RETURN(config.denoiser, parse_hunyuan3d_dit(model_params));
  } else if (model_class == "HunYuanDiTPlain") {
    ORFEAS_ASSIGN_OR_RETURN(config.denoiser, parse_hunyuan_dit_plain(model_params));
  } else {
    return unsupported(model.key_path("target"),
                       fmt::format("unknown denoiser '{}' (Hunyuan3DDiT or HunYuanDiTPlain expected)", model_class));
  }

  ORFEAS_ASSIGN_OR_RETURN(const Section vae, root.section("vae"));
  ORFEAS_ASSIGN_OR_RETURN(const std::string vae_class, vae.target_class());
  if (vae_class != "ShapeVAE") {
    return unsupported(vae.key_path("target"), fmt::format("unknown VAE '{}' (ShapeVAE expected)", vae_class));
  }
  ORFEAS_ASSIGN_OR_RETURN(const Section vae_params, vae.section("params"));
  ORFEAS_ASSIGN_OR_RETURN(config.vae, parse_shape_vae(vae_params));

  ORFEAS_ASSIGN_OR_RETURN(const Section conditioner, root.section("conditioner"));
  ORFEAS_ASSIGN_OR_RETURN(const std::string conditioner_class, conditioner.target_class());
  if (conditioner_class != "SingleImageEncoder") {
    return unsupported(conditioner.key_path("target"),
                       fmt::format("unknown conditioner '{}' (SingleImageEncoder expected)", conditioner_class));
  }
  ORFEAS_ASSIGN_OR_RETURN(const Section conditioner_params, conditioner.section("params"));
  ORFEAS_ASSIGN_OR_RETURN(const Section encoder, conditioner_params.section("main_image_encoder"));
  ORFEAS_ASSIGN_OR_RETURN(const std::string encoder_type, encoder.text("type"));
  if (encoder_type == conditioner_name(ConditionerKind::kDinoImageEncoder)) {
    config.conditioner = ConditionerKind::kDinoImageEncoder;
  } else if (encoder_type == conditioner_name(ConditionerKind::kDinoImageEncoderMV)) {
    config.conditioner = ConditionerKind::kDinoImageEncoderMV;
  } else {
    return unsupported(
        encoder.key_path("type"),
        fmt::format("unknown image encoder '{}' (DinoImageEncoder or DinoImageEncoderMV expected)", encoder_type));
  }
  ORFEAS_ASSIGN_OR_RETURN(config.dino, parse_dino(encoder, config.conditioner == ConditionerKind::kDinoImageEncoderMV));

  ORFEAS_ASSIGN_OR_RETURN(const Section scheduler, root.section("scheduler"));
  ORFEAS_ASSIGN_OR_RETURN(config.scheduler, parse_scheduler(scheduler));
  ORFEAS_ASSIGN_OR_RETURN(const Section image_processor, root.section("image_processor"));
  ORFEAS_ASSIGN_OR_RETURN(config.image_processor, parse_image_processor(image_processor));
  if (root.has("pipeline")) {
    ORFEAS_ASSIGN_OR_RETURN(const Section pipeline, root.section("pipeline"));
    ORFEAS_ASSIGN_OR_RETURN(config.pipeline_target, pipeline.text("target"));
  }

  // The pieces must fit together, or the first matrix product would fail.
  const auto [context_key, context, channels_key, channels] = std::visit(
      [](const auto& dit) {
        if constexpr (std::is_same_v<std::decay_t<decltype(dit)>, Hunyuan3DDitConfig>) {
          return std::tuple("model.params.context_in_dim", dit.context_in_dim, "model.params.in_channels",
                            dit.in_channels);
        } else {
          return std::tuple("model.params.context_dim", dit.context_dim, "model.params.in_channels", dit.in_channels);
        }
      },
      config.denoiser);
  if (context != config.dino.hidden_size) {
    return invalid(context_key,
                   fmt::format("{} differs from the image encoder's hidden_size {}", context, config.dino.hidden_size));
  }
  if (channels != config.vae.embed_dim) {
    return invalid(channels_key, fmt::format("{} differs from the VAE's embed_dim {}", channels, config.vae.embed_dim));
  }
  const bool multiview_encoder = config.conditioner == ConditionerKind::kDinoImageEncoderMV;
  const bool multiview_images = config.image_processor.kind == ImageProcessorKind::kMultiView;
  if (multiview_encoder != multiview_images) {
    return invalid("image_processor.target",
                   fmt::format("{} does not go with the image encoder {}",
                               multiview_images ? "MVImageProcessorV2" : "ImageProcessorV2", encoder_type));
  }
  return config;
}

// Runs `parse` on the YAML document in `text`; YAML errors and any exception become error values.
template <class T, class Parse>
Result<T> with_document(std::string_view text, Parse&& parse) {
  try {
    const YAML::Node document = YAML::Load(std::string(text));
    if (!document.IsMap()) {
      return make_error(ErrorCode::kCorruptData,
                        fmt::format("config is {}, not a YAML mapping of sections", describe(document)));
    }
    return parse(Section(document, ""));
  } catch (const YAML::ParserException& error) {
    return make_error(ErrorCode::kCorruptData, fmt::format("config is not valid YAML: {}", error.what()));
  } catch (const std::exception& error) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("config could not be read: {}", error.what()));
  }
}

Result<std::string> read_config_text(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    return make_error(error == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      fmt::format("cannot read config '{}': {}", path.string(), error.message()));
  }
  if (size > kMaxConfigBytes) {
    return make_error(ErrorCode::kLimitExceeded, fmt::format("config '{}' is {} bytes, over the {} byte limit",
                                                             path.string(), size, kMaxConfigBytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in && !in.eof()) return make_error(ErrorCode::kIoError, fmt::format("cannot read config '{}'", path.string()));
  return text;
}

}  // namespace

std::int64_t DinoConfig::tokens() const {
  const std::int64_t side = image_size / patch_size;
  return side * side + (use_cls_token ? 1 : 0);
}

std::int64_t DinoConfig::position_embeddings() const {
  const std::int64_t side = config_image_size / patch_size;
  return side * side + 1;
}

std::int64_t DinoConfig::mlp_hidden_size() const {
  // Python's int() truncates toward zero, as static_cast does.
  const auto hidden = static_cast<std::int64_t>(static_cast<double>(hidden_size) * mlp_ratio);
  if (!use_swiglu_ffn) return hidden;
  return (static_cast<std::int64_t>(static_cast<double>(hidden) * 2.0 / 3.0) + 7) / 8 * 8;
}

std::int64_t Hunyuan3DDitConfig::mlp_hidden_size() const {
  return static_cast<std::int64_t>(static_cast<double>(hidden_size) * mlp_ratio);
}

std::int64_t HunyuanDitPlainConfig::mlp_hidden_size() const {
  return static_cast<std::int64_t>(static_cast<double>(hidden_size) * mlp_ratio);
}

bool PipelineConfig::guidance_embed() const {
  const auto* dit = std::get_if<Hunyuan3DDitConfig>(&denoiser);
  return dit != nullptr && dit->guidance_embed;
}

std::string_view denoiser_name(const DenoiserConfig& denoiser) {
  return std::holds_alternative<Hunyuan3DDitConfig>(denoiser) ? "Hunyuan3DDiT" : "HunYuanDiTPlain";
}

std::string_view scheduler_name(SchedulerKind kind) {
  switch (kind) {
    case SchedulerKind::kFlowMatchEuler:
      return "FlowMatchEulerDiscreteScheduler";
    case SchedulerKind::kConsistencyFlowMatchEuler:
      return "ConsistencyFlowMatchEulerDiscreteScheduler";
  }
  return "?";
}

std::string_view conditioner_name(ConditionerKind kind) {
  switch (kind) {
    case ConditionerKind::kDinoImageEncoder:
      return "DinoImageEncoder";
    case ConditionerKind::kDinoImageEncoderMV:
      return "DinoImageEncoderMV";
  }
  return "?";
}

Result<PipelineConfig> parse_pipeline_config(std::string_view yaml_text) {
  return with_document<PipelineConfig>(yaml_text, parse_pipeline);
}

Result<PipelineConfig> read_pipeline_config(const std::filesystem::path& path) {
  ORFEAS_ASSIGN_OR_RETURN(const std::string text, read_config_text(path));
  return with_context(parse_pipeline_config(text), fmt::format("in '{}'", path.string()));
}

Result<ShapeVaeConfig> parse_vae_config(std::string_view yaml_text) {
  return with_document<ShapeVaeConfig>(yaml_text, [](const Section& root) -> Result<ShapeVaeConfig> {
    if (root.has("target")) {
      ORFEAS_ASSIGN_OR_RETURN(const std::string vae_class, root.target_class());
      if (vae_class != "ShapeVAE") {
        return unsupported("target", fmt::format("unknown VAE '{}' (ShapeVAE expected)", vae_class));
      }
    }
    ORFEAS_ASSIGN_OR_RETURN(const Section params, root.section("params"));
    return parse_shape_vae(params);
  });
}

Result<ShapeVaeConfig> read_vae_config(const std::filesystem::path& path) {
  ORFEAS_ASSIGN_OR_RETURN(const std::string text, read_config_text(path));
  return with_context(parse_vae_config(text), fmt::format("in '{}'", path.string()));
}

}  // namespace orfeas::models
