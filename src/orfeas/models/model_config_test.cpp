#include "orfeas/models/model_config.h"

#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "orfeas/models/test_configs.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::models {
namespace {

using test_data::replace;

PipelineConfig parse_ok(const std::string& yaml) {
  Result<PipelineConfig> config = parse_pipeline_config(yaml);
  EXPECT_TRUE(config) << config.error().message();
  return config ? *config : PipelineConfig{};
}

// Parses `yaml` and checks that it fails with `code` and a message holding `fragment`.
void expect_config_error(const std::string& yaml, ErrorCode code, std::string_view fragment) {
  const Result<PipelineConfig> config = parse_pipeline_config(yaml);
  ASSERT_FALSE(config) << "accepted a config that should fail with: " << fragment;
  EXPECT_EQ(config.error().code(), code) << config.error().message();
  EXPECT_NE(config.error().message().find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << config.error().message();
}

TEST(ModelConfigTest, ReadsV2_0) {
  const PipelineConfig config = parse_ok(test_data::v2_0_config());
  ASSERT_TRUE(std::holds_alternative<Hunyuan3DDitConfig>(config.denoiser));
  EXPECT_EQ(denoiser_name(config.denoiser), "Hunyuan3DDiT");
  const auto& dit = std::get<Hunyuan3DDitConfig>(config.denoiser);
  EXPECT_EQ(dit.in_channels, 64);
  EXPECT_EQ(dit.context_in_dim, 1536);
  EXPECT_EQ(dit.hidden_size, 1024);
  EXPECT_DOUBLE_EQ(dit.mlp_ratio, 4.0);
  EXPECT_EQ(dit.mlp_hidden_size(), 4096);
  EXPECT_EQ(dit.num_heads, 16);
  EXPECT_EQ(dit.head_dim(), 64);
  EXPECT_EQ(dit.depth, 16);
  EXPECT_EQ(dit.depth_single_blocks, 32);
  EXPECT_EQ(dit.axes_dim, (std::vector<std::int64_t>{64}));
  EXPECT_DOUBLE_EQ(dit.theta, 10000.0);
  EXPECT_TRUE(dit.qkv_bias);
  EXPECT_FALSE(dit.guidance_embed);
  EXPECT_DOUBLE_EQ(dit.time_factor, 1000.0) << "not in the config: the reference's default";
  EXPECT_FALSE(config.guidance_embed());

  EXPECT_EQ(config.vae.num_latents, 3072);
  EXPECT_EQ(config.vae.embed_dim, 64);
  EXPECT_EQ(config.vae.width, 1024);
  EXPECT_EQ(config.vae.heads, 16);
  EXPECT_EQ(config.vae.head_dim(), 64);
  EXPECT_EQ(config.vae.num_decoder_layers, 16);
  EXPECT_EQ(config.vae.num_freqs, 8);
  EXPECT_EQ(config.vae.fourier_dim(), 51);
  EXPECT_FALSE(config.vae.include_pi);
  EXPECT_FALSE(config.vae.qkv_bias);
  EXPECT_TRUE(config.vae.qk_norm);
  EXPECT_DOUBLE_EQ(config.vae.scale_factor, 0.9990943042622529);
  EXPECT_EQ(config.vae.geo_decoder_mlp_expand_ratio, 4);
  EXPECT_EQ(config.vae.geo_decoder_downsample_ratio, 1);
  EXPECT_TRUE(config.vae.geo_decoder_ln_post);
  EXPECT_EQ(config.vae.geo_decoder_width(), 1024);
  EXPECT_EQ(config.vae.geo_decoder_heads(), 16);

  EXPECT_EQ(config.conditioner, ConditionerKind::kDinoImageEncoder);
  EXPECT_EQ(conditioner_name(config.conditioner), "DinoImageEncoder");
  EXPECT_EQ(config.dino.hidden_size, 1536);
  EXPECT_EQ(config.dino.num_hidden_layers, 40);
  EXPECT_EQ(config.dino.num_attention_heads, 24);
  EXPECT_EQ(config.dino.head_dim(), 64);
  EXPECT_EQ(config.dino.patch_size, 14);
  EXPECT_EQ(config.dino.image_size, 518);
  EXPECT_EQ(config.dino.config_image_size, 518);
  EXPECT_DOUBLE_EQ(config.dino.layer_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(config.dino.layerscale_value, 1.0);
  EXPECT_DOUBLE_EQ(config.dino.mlp_ratio, 4.0);
  EXPECT_TRUE(config.dino.use_swiglu_ffn);
  EXPECT_EQ(config.dino.mlp_hidden_size(), 4096) << "HF's SwiGLU rounding of 6144 * 2/3";
  EXPECT_TRUE(config.dino.qkv_bias);
  EXPECT_EQ(config.dino.num_channels, 3);
  EXPECT_EQ(config.dino.hidden_act, "gelu");
  EXPECT_TRUE(config.dino.use_cls_token);
  EXPECT_EQ(config.dino.views, 0);
  EXPECT_EQ(config.dino.tokens(), 1370);
  EXPECT_EQ(config.dino.position_embeddings(), 1370);

  EXPECT_EQ(config.scheduler.kind, SchedulerKind::kFlowMatchEuler);
  EXPECT_EQ(config.scheduler.num_train_timesteps, 1000);
  EXPECT_DOUBLE_EQ(config.scheduler.shift, 1.0);
  EXPECT_EQ(config.image_processor.kind, ImageProcessorKind::kSingleView);
  EXPECT_EQ(config.image_processor.size, 512);
  EXPECT_DOUBLE_EQ(config.image_processor.border_ratio, 0.15);
  EXPECT_EQ(config.pipeline_target, "hy3dgen.shapegen.pipelines.Hunyuan3DDiTFlowMatchingPipeline");
}

TEST(ModelConfigTest, ReadsMini) {
  const PipelineConfig config = parse_ok(test_data::mini_config());
  const auto& dit = std::get<Hunyuan3DDitConfig>(config.denoiser);
  EXPECT_EQ(dit.depth, 8);
  EXPECT_EQ(dit.depth_single_blocks, 16);
  EXPECT_EQ(dit.hidden_size, 1024);
  EXPECT_EQ(config.vae.num_latents, 512);
  EXPECT_DOUBLE_EQ(config.vae.scale_factor, 1.0188137142395404);
  EXPECT_EQ(config.dino.hidden_size, 1536);
  EXPECT_EQ(config.pipeline_target, ".hy3dgen.shapegen.pipelines.Hunyuan3DDiTFlowMatchingPipeline");
}

TEST(ModelConfigTest, ReadsV2_1) {
  const PipelineConfig config = parse_ok(test_data::v2_1_config());
  ASSERT_TRUE(std::holds_alternative<HunyuanDitPlainConfig>(config.denoiser));
  EXPECT_EQ(denoiser_name(config.denoiser), "HunYuanDiTPlain");
  const auto& dit = std::get<HunyuanDitPlainConfig>(config.denoiser);
  EXPECT_EQ(dit.input_size, 4096);
  EXPECT_EQ(dit.in_channels, 64);
  EXPECT_EQ(dit.hidden_size, 2048);
  EXPECT_EQ(dit.context_dim, 1024);
  EXPECT_EQ(dit.depth, 21);
  EXPECT_EQ(dit.num_heads, 16);
  EXPECT_EQ(dit.head_dim(), 128);
  EXPECT_DOUBLE_EQ(dit.mlp_ratio, 4.0) << "the reference's default";
  EXPECT_EQ(dit.mlp_hidden_size(), 8192);
  EXPECT_EQ(dit.norm_type, NormKind::kLayer) << "the reference's default";
  EXPECT_TRUE(dit.qk_norm);
  EXPECT_EQ(dit.qk_norm_type, NormKind::kRms);
  EXPECT_FALSE(dit.qkv_bias);
  EXPECT_EQ(dit.text_len, 1370);
  EXPECT_EQ(dit.num_moe_layers, 6);
  EXPECT_EQ(dit.num_experts, 8);
  EXPECT_EQ(dit.moe_top_k, 2);
  EXPECT_FALSE(dit.use_pos_emb);
  EXPECT_FALSE(dit.use_attention_pooling);
  EXPECT_FALSE(dit.with_decoupled_ca);
  EXPECT_EQ(dit.guidance_cond_proj_dim, std::nullopt);
  EXPECT_FALSE(config.guidance_embed());

  EXPECT_EQ(config.vae.num_latents, 4096) << "through the YAML alias *num_latents";
  EXPECT_DOUBLE_EQ(config.vae.scale_factor, 1.0039506158752403);
  EXPECT_EQ(config.dino.hidden_size, 1024);
  EXPECT_EQ(config.dino.num_hidden_layers, 24);
  EXPECT_EQ(config.dino.num_attention_heads, 16);
  EXPECT_FALSE(config.dino.use_swiglu_ffn);
  EXPECT_EQ(config.dino.mlp_hidden_size(), 4096);
  EXPECT_TRUE(config.dino.use_cls_token);
  EXPECT_EQ(config.dino.tokens(), 1370);
}

TEST(ModelConfigTest, ReadsFastTurboAndMultiViewVariants) {
  const std::string fast = replace(test_data::v2_0_config(), "guidance_embed: False", "guidance_embed: true");
  const PipelineConfig fast_config = parse_ok(fast);
  EXPECT_TRUE(std::get<Hunyuan3DDitConfig>(fast_config.denoiser).guidance_embed);
  EXPECT_TRUE(fast_config.guidance_embed());

  const std::string turbo = replace(fast, "FlowMatchEulerDiscreteScheduler\n  params:\n    num_train_timesteps: 1000",
                                    "ConsistencyFlowMatchEulerDiscreteScheduler\n  params:\n"
                                    "    num_train_timesteps: 1000\n    pcm_timesteps: 100");
  const PipelineConfig turbo_config = parse_ok(turbo);
  EXPECT_EQ(turbo_config.scheduler.kind, SchedulerKind::kConsistencyFlowMatchEuler);
  EXPECT_EQ(scheduler_name(turbo_config.scheduler.kind), "ConsistencyFlowMatchEulerDiscreteScheduler");
  EXPECT_EQ(turbo_config.scheduler.pcm_timesteps, 100);
  const PipelineConfig turbo_default = parse_ok(replace(turbo, "    pcm_timesteps: 100\n", ""));
  EXPECT_EQ(turbo_default.scheduler.pcm_timesteps, 50) << "the reference's default";

  std::string mv = replace(test_data::v2_0_config(), "type: DinoImageEncoder ", "type: DinoImageEncoderMV ");
  mv = replace(mv, "preprocessors.ImageProcessorV2", "preprocessors.MVImageProcessorV2");
  const PipelineConfig mv_config = parse_ok(mv);
  EXPECT_EQ(mv_config.conditioner, ConditionerKind::kDinoImageEncoderMV);
  EXPECT_EQ(mv_config.dino.views, 4) << "view_num's default";
  EXPECT_EQ(mv_config.image_processor.kind, ImageProcessorKind::kMultiView);
  const PipelineConfig mv_two = parse_ok(replace(mv, "        image_size: 518\n\n",
                                                 "        image_size: 518\n"
                                                 "        view_num: 2\n\n"));
  EXPECT_EQ(mv_two.dino.views, 2);
  expect_config_error(replace(mv, "MVImageProcessorV2", "ImageProcessorV2"), ErrorCode::kInvalidArgument,
                      "ImageProcessorV2 does not go with the image encoder DinoImageEncoderMV");
}

TEST(ModelConfigTest, OptionalKeysTakeTheirValuesWhenGiven) {
  std::string yaml = replace(test_data::v2_0_config(), "    guidance_embed: False\n",
                             "    guidance_embed: False\n    time_factor: 500\n");
  yaml = replace(yaml, "    scale_factor: 0.9990943042622529\n",
                 "    scale_factor: 0.9990943042622529\n    geo_decoder_mlp_expand_ratio: 2\n"
                 "    geo_decoder_downsample_ratio: 2\n    geo_decoder_ln_post: false\n");
  yaml = replace(yaml, "border_ratio: 0.15", "border_ratio: 0.2");
  const PipelineConfig config = parse_ok(yaml);
  EXPECT_DOUBLE_EQ(std::get<Hunyuan3DDitConfig>(config.denoiser).time_factor, 500.0);
  EXPECT_EQ(config.vae.geo_decoder_mlp_expand_ratio, 2);
  EXPECT_EQ(config.vae.geo_decoder_downsample_ratio, 2);
  EXPECT_FALSE(config.vae.geo_decoder_ln_post);
  EXPECT_EQ(config.vae.geo_decoder_width(), 512);
  EXPECT_EQ(config.vae.geo_decoder_heads(), 8);
  EXPECT_DOUBLE_EQ(config.image_processor.border_ratio, 0.2);

  const std::string plain = replace(test_data::v2_1_config(), "    moe_top_k: 2\n",
                                    "    moe_top_k: 2\n    guidance_cond_proj_dim: 256\n    mlp_ratio: 2.5\n"
                                    "    norm_type: rms\n");
  const PipelineConfig plain_config = parse_ok(plain);
  const auto& dit = std::get<HunyuanDitPlainConfig>(plain_config.denoiser);
  EXPECT_EQ(dit.guidance_cond_proj_dim, 256);
  EXPECT_DOUBLE_EQ(dit.mlp_ratio, 2.5);
  EXPECT_EQ(dit.norm_type, NormKind::kRms);
  const std::string null_proj =
      replace(test_data::v2_1_config(), "    moe_top_k: 2\n", "    moe_top_k: 2\n    guidance_cond_proj_dim: null\n");
  EXPECT_EQ(std::get<HunyuanDitPlainConfig>(parse_ok(null_proj).denoiser).guidance_cond_proj_dim, std::nullopt);
}

TEST(ModelConfigTest, RejectsTextThatIsNotAYamlMapping) {
  expect_config_error("model: [unclosed", ErrorCode::kCorruptData, "config is not valid YAML");
  expect_config_error("model:\n  target: x\n   bad indent: 1\n", ErrorCode::kCorruptData, "not valid YAML");
  expect_config_error("", ErrorCode::kCorruptData, "config is null, not a YAML mapping");
  expect_config_error("just a string", ErrorCode::kCorruptData, "not a YAML mapping");
  expect_config_error("- a\n- b\n", ErrorCode::kCorruptData, "config is a sequence");
}

TEST(ModelConfigTest, RejectsMissingSectionsAndKeys) {
  const std::string v2_0 = test_data::v2_0_config();
  expect_config_error(replace(v2_0, "model:\n", "modell:\n"), ErrorCode::kInvalidArgument, "model: missing");
  expect_config_error(replace(v2_0, "scheduler:\n  target", "schedule:\n  target"), ErrorCode::kInvalidArgument,
                      "scheduler: missing");
  expect_config_error(replace(v2_0, "  target: hy3dgen.shapegen.models.Hunyuan3DDiT\n", ""),
                      ErrorCode::kInvalidArgument, "model.target: missing");
  expect_config_error(replace(v2_0, "    num_heads: 16\n", ""), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: missing");
  expect_config_error(replace(v2_0, "    guidance_embed: False\n", ""), ErrorCode::kInvalidArgument,
                      "model.params.guidance_embed: missing");
  expect_config_error(replace(v2_0, "    num_latents: 3072\n", ""), ErrorCode::kInvalidArgument,
                      "vae.params.num_latents: missing");
  expect_config_error(replace(v2_0, "    scale_factor: 0.9990943042622529\n", ""), ErrorCode::kInvalidArgument,
                      "vae.params.scale_factor: missing");
  expect_config_error(replace(v2_0, "          num_hidden_layers: 40\n", ""), ErrorCode::kInvalidArgument,
                      "conditioner.params.main_image_encoder.kwargs.config.num_hidden_layers: missing");
  expect_config_error(replace(v2_0, "        image_size: 518\n\nscheduler", "\nscheduler"), ErrorCode::kInvalidArgument,
                      "conditioner.params.main_image_encoder.kwargs.image_size: missing");
  expect_config_error(replace(v2_0, "    num_heads: 16\n", "    num_heads:\n"), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: is null");
  expect_config_error(replace(test_data::v2_1_config(), "    qk_norm_type: 'rms'\n", ""), ErrorCode::kInvalidArgument,
                      "model.params.qk_norm_type: missing");
  expect_config_error(replace(test_data::v2_1_config(), "    text_len: 1370\n", ""), ErrorCode::kInvalidArgument,
                      "model.params.text_len: missing");
}

TEST(ModelConfigTest, RejectsWrongTypes) {
  const std::string v2_0 = test_data::v2_0_config();
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: sixteen"), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: must be an integer, got 'sixteen'");
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: 16.5"), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: must be an integer, got '16.5'");
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: [16]"), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: must be an integer, got a sequence");
  expect_config_error(replace(v2_0, "qkv_bias: True", "qkv_bias: maybe"), ErrorCode::kInvalidArgument,
                      "model.params.qkv_bias: must be true or false, got 'maybe'");
  expect_config_error(replace(v2_0, "mlp_ratio: 4.0", "mlp_ratio: four"), ErrorCode::kInvalidArgument,
                      "model.params.mlp_ratio: must be a finite number, got 'four'");
  expect_config_error(replace(v2_0, "scale_factor: 0.9990943042622529", "scale_factor: .nan"),
                      ErrorCode::kInvalidArgument, "vae.params.scale_factor: must be a finite number");
  expect_config_error(replace(v2_0, "axes_dim: [ 64 ]", "axes_dim: 64"), ErrorCode::kInvalidArgument,
                      "model.params.axes_dim: must be a sequence, got '64'");
  expect_config_error(replace(v2_0, "axes_dim: [ 64 ]", "axes_dim: [ 32, x ]"), ErrorCode::kInvalidArgument,
                      "model.params.axes_dim[1]: must be an integer, got 'x'");
  expect_config_error(replace(v2_0, "  params:\n    in_channels", "  params: 3\n  paramz:\n    in_channels"),
                      ErrorCode::kInvalidArgument, "model.params: must be a mapping, got '3'");
  expect_config_error(replace(v2_0, "target: hy3dgen.shapegen.models.Hunyuan3DDiT", "target: [a, b]"),
                      ErrorCode::kInvalidArgument, "model.target: must be a string, got a sequence");
  expect_config_error(replace(test_data::v2_1_config(), "qk_norm_type: 'rms'", "qk_norm_type: 'group'"),
                      ErrorCode::kInvalidArgument, "model.params.qk_norm_type: must be 'layer' or 'rms', got 'group'");
}

TEST(ModelConfigTest, RejectsImpossibleValues) {
  const std::string v2_0 = test_data::v2_0_config();
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: 0"), ErrorCode::kInvalidArgument,
                      "model.params.num_heads: must be an integer in [1, 4096], got '0'");
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: 15"), ErrorCode::kInvalidArgument,
                      "model.params.hidden_size: 1024 is not divisible by model.params.num_heads (15)");
  expect_config_error(replace(v2_0, "num_heads: 16", "num_heads: 32"), ErrorCode::kInvalidArgument,
                      "model.params.axes_dim: must sum to the head dimension 32");
  expect_config_error(replace(v2_0, "hidden_size: 1024", "hidden_size: -1024"), ErrorCode::kInvalidArgument,
                      "model.params.hidden_size: must be an integer in [1, 1048576], got '-1024'");
  expect_config_error(
      replace(replace(v2_0, "depth: 16", "depth: 0"), "depth_single_blocks: 32", "depth_single_blocks: 0"),
      ErrorCode::kInvalidArgument, "model.params.depth: the model has no blocks");
  expect_config_error(replace(v2_0, "mlp_ratio: 4.0", "mlp_ratio: 0"), ErrorCode::kInvalidArgument,
                      "model.params.mlp_ratio: must be above 0");
  expect_config_error(replace(v2_0, "mlp_ratio: 4.0", "mlp_ratio: 1e300"), ErrorCode::kInvalidArgument,
                      "model.params.mlp_ratio: must be at most 1000000000, got '1e300'");
  expect_config_error(replace(v2_0, "mlp_ratio: 4.0", "mlp_ratio: 1e-6"), ErrorCode::kInvalidArgument,
                      "model.params.mlp_ratio: 1e-06 gives an MLP of 0 channels");
  expect_config_error(replace(v2_0, "    heads: 16\n", "    heads: 24\n"), ErrorCode::kInvalidArgument,
                      "vae.params.width: 1024 is not divisible by vae.params.heads (24)");
  expect_config_error(replace(v2_0, "scale_factor: 0.9990943042622529", "scale_factor: 0"), ErrorCode::kInvalidArgument,
                      "vae.params.scale_factor: must be above 0");
  expect_config_error(replace(v2_0, "num_attention_heads: 24", "num_attention_heads: 25"), ErrorCode::kInvalidArgument,
                      "kwargs.config.hidden_size: 1536 is not divisible by "
                      "conditioner.params.main_image_encoder.kwargs.config.num_attention_heads (25)");
  expect_config_error(replace(v2_0, "layer_norm_eps: 1.e-6", "layer_norm_eps: -1"), ErrorCode::kInvalidArgument,
                      "layer_norm_eps: must be above 0");
  expect_config_error(replace(v2_0, "        image_size: 518\n\n", "        image_size: 7\n\n"),
                      ErrorCode::kInvalidArgument, "kwargs.image_size: must be an integer in [14, 16384], got '7'");
  expect_config_error(replace(v2_0, "num_train_timesteps: 1000", "num_train_timesteps: 0"), ErrorCode::kInvalidArgument,
                      "scheduler.params.num_train_timesteps");
  expect_config_error(replace(v2_0, "border_ratio: 0.15", "border_ratio: 1.5"), ErrorCode::kInvalidArgument,
                      "image_processor.params.border_ratio: must be below 1");
  const std::string v2_1 = test_data::v2_1_config();
  expect_config_error(replace(v2_1, "moe_top_k: 2", "moe_top_k: 9"), ErrorCode::kInvalidArgument,
                      "model.params.moe_top_k: must be an integer in [1, 8], got '9'");
  expect_config_error(replace(v2_1, "num_moe_layers: 6", "num_moe_layers: 22"), ErrorCode::kInvalidArgument,
                      "model.params.num_moe_layers: must be an integer in [0, 21]");
}

TEST(ModelConfigTest, RejectsPiecesThatDoNotFit) {
  expect_config_error(replace(test_data::v2_0_config(), "context_in_dim: 1536", "context_in_dim: 1024"),
                      ErrorCode::kInvalidArgument,
                      "model.params.context_in_dim: 1024 differs from the image encoder's hidden_size 1536");
  expect_config_error(replace(test_data::v2_0_config(), "in_channels: 64", "in_channels: 32"),
                      ErrorCode::kInvalidArgument, "model.params.in_channels: 32 differs from the VAE's embed_dim 64");
  expect_config_error(replace(test_data::v2_1_config(), "context_dim: 1024", "context_dim: 1536"),
                      ErrorCode::kInvalidArgument, "model.params.context_dim: 1536 differs");
}

TEST(ModelConfigTest, RejectsUnknownTargets) {
  const std::string v2_0 = test_data::v2_0_config();
  expect_config_error(replace(v2_0, "models.Hunyuan3DDiT", "models.Flux"), ErrorCode::kUnsupportedFormat,
                      "model.target: unknown denoiser 'Flux'");
  expect_config_error(replace(v2_0, "models.ShapeVAE", "models.OtherVAE"), ErrorCode::kUnsupportedFormat,
                      "vae.target: unknown VAE 'OtherVAE'");
  expect_config_error(replace(v2_0, "models.SingleImageEncoder", "models.DualImageEncoder"),
                      ErrorCode::kUnsupportedFormat, "conditioner.target: unknown conditioner 'DualImageEncoder'");
  expect_config_error(replace(v2_0, "type: DinoImageEncoder ", "type: CLIPImageEncoder "),
                      ErrorCode::kUnsupportedFormat,
                      "conditioner.params.main_image_encoder.type: unknown image encoder 'CLIPImageEncoder'");
  expect_config_error(replace(v2_0, "schedulers.FlowMatchEulerDiscreteScheduler", "schedulers.DDIMScheduler"),
                      ErrorCode::kUnsupportedFormat, "scheduler.target: unknown scheduler 'DDIMScheduler'");
  expect_config_error(replace(v2_0, "preprocessors.ImageProcessorV2", "preprocessors.ImageProcessorV1"),
                      ErrorCode::kUnsupportedFormat, "image_processor.target: unknown image processor");
  expect_config_error(
      replace(v2_0, "num_train_timesteps: 1000", "num_train_timesteps: 1000\n    use_dynamic_shifting: true"),
      ErrorCode::kUnsupportedFormat, "scheduler.params.use_dynamic_shifting");
  const std::string pretrained =
      replace(v2_0, "        config:\n", "        version: facebook/dinov2-giant\n        unused_config:\n");
  expect_config_error(pretrained, ErrorCode::kUnsupportedFormat,
                      "conditioner.params.main_image_encoder.kwargs.config: missing");
}

TEST(ModelConfigTest, ReadsFilesAndNamesThemInErrors) {
  const testing::TempDir dir;
  testing::write_text(dir.file("config.yaml"), test_data::mini_config());
  const Result<PipelineConfig> config = read_pipeline_config(dir.file("config.yaml"));
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->vae.num_latents, 512);

  testing::write_text(dir.file("broken.yaml"), replace(test_data::mini_config(), "num_heads: 16", "num_heads: 0"));
  const Result<PipelineConfig> broken = read_pipeline_config(dir.file("broken.yaml"));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(broken.error().message().rfind("in '" + dir.file("broken.yaml").string() + "': model.params.num_heads", 0),
            0U)
      << broken.error().message();

  const Result<PipelineConfig> missing = read_pipeline_config(dir.file("absent.yaml"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);

  testing::write_text(dir.file("huge.yaml"), std::string(2 << 20, '#'));
  const Result<PipelineConfig> huge = read_pipeline_config(dir.file("huge.yaml"));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code(), ErrorCode::kLimitExceeded);
}

TEST(ModelConfigTest, ReadsStandaloneVaeConfigs) {
  const Result<ShapeVaeConfig> vae = parse_vae_config(test_data::vae_config());
  ASSERT_TRUE(vae) << vae.error().message();
  EXPECT_EQ(vae->num_latents, 3072);
  EXPECT_EQ(vae->width, 1024);
  EXPECT_DOUBLE_EQ(vae->scale_factor, 0.9990943042622529);
  EXPECT_EQ(vae->geo_decoder_downsample_ratio, 1);

  const Result<ShapeVaeConfig> untargeted =
      parse_vae_config(replace(test_data::vae_config(), "target: hy3dgen.shapegen.models.ShapeVAE\n", ""));
  ASSERT_TRUE(untargeted) << untargeted.error().message();
  EXPECT_EQ(untargeted->num_latents, 3072);

  const Result<ShapeVaeConfig> wrong_target =
      parse_vae_config(replace(test_data::vae_config(), "models.ShapeVAE", "models.Hunyuan3DDiT"));
  ASSERT_FALSE(wrong_target);
  EXPECT_EQ(wrong_target.error().code(), ErrorCode::kUnsupportedFormat);

  const Result<ShapeVaeConfig> no_params = parse_vae_config(test_data::v2_0_config());
  ASSERT_FALSE(no_params);
  EXPECT_EQ(no_params.error().message(), "params: missing");

  const Result<ShapeVaeConfig> bad = parse_vae_config(replace(test_data::vae_config(), "width: 1024", "width: 1000"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "params.width: 1000 is not divisible by params.heads (16)");

  const testing::TempDir dir;
  testing::write_text(dir.file("config.yaml"), test_data::vae_config());
  const Result<ShapeVaeConfig> read = read_vae_config(dir.file("config.yaml"));
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->heads, 16);
}

}  // namespace
}  // namespace orfeas::models
