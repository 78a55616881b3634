// The whole engine on a tiny model in the official layout: config.yaml and a safetensors file
// written here from random weights, loaded as a user's folder is, run from an image to a volume.
#include "orfeas/engine/hunyuan3d_pipeline.h"

#include <array>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/engine/random_model.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::engine {
namespace {

// A tiny model folder as a user would have it: hunyuan3d-dit-v2-0/{config.yaml, model.fp16.safetensors},
// without the tensor `without` when one is named.
std::filesystem::path write_tiny_model(const testing::TempDir& dir, const std::string& without = "") {
  const std::filesystem::path folder = dir.path() / "hunyuan3d-dit-v2-0";
  EXPECT_TRUE(write_random_model(folder, tiny_model_config(), 1));
  if (!without.empty()) {
    auto file = models::SafetensorsFile::open(folder / "model.fp16.safetensors");
    EXPECT_TRUE(file);
    auto weights = load_weights(**file, "", at::kCPU, at::kFloat);
    EXPECT_TRUE(weights);
    std::map<std::string, at::Tensor, std::less<>> kept;
    for (const std::string& name : weights->names())
      if (name != without) kept.emplace(name, *weights->get(name));
    file->reset();
    EXPECT_TRUE(save_weights(folder / "model.fp16.safetensors", kept, at::kHalf));
  }
  return folder;
}

at::Tensor test_image() {
  // A light square on white, in [−1, 1], as prepare_reference_image returns.
  at::Tensor image = at::ones({1, 3, 512, 512});
  image.slice(2, 160, 352).slice(3, 160, 352).fill_(-0.4);
  return image;
}

TEST(Hunyuan3DPipeline, RunsATinyModelFromItsFolderToAVolume) {
  testing::TempDir dir;
  const std::filesystem::path folder = write_tiny_model(dir);
  LoadReport report;
  auto pipeline = Hunyuan3DPipeline::load(folder, at::kCPU, at::kFloat, &report);
  ASSERT_TRUE(pipeline) << pipeline.error().message();
  EXPECT_GT(report.tensors, 20U);
  EXPECT_EQ((*pipeline)->variant(), models::ModelVariant::kV2_0);
  EXPECT_EQ((*pipeline)->default_steps(), 50);

  GenerateOptions options;
  options.steps = 3;
  options.octree_resolution = 16;
  options.num_chunks = 1000;  // 17³ = 4913 points: five chunks, the last one short
  std::map<std::string, std::size_t> phases;
  const PhaseProgress progress = [&](std::string_view phase, std::size_t step, std::size_t) {
    phases[std::string(phase)] = step;
  };
  const auto latents = (*pipeline)->latents(test_image(), options, progress);
  ASSERT_TRUE(latents) << latents.error().message();
  EXPECT_EQ(latents->sizes(), at::IntArrayRef({1, 16, 8}));
  EXPECT_TRUE(at::isfinite(*latents).all().item<bool>());
  const auto again = (*pipeline)->latents(test_image(), options);
  ASSERT_TRUE(again);
  EXPECT_TRUE(at::equal(*latents, *again));  // the seed decides the noise
  options.seed = 1;
  const auto other = (*pipeline)->latents(test_image(), options);
  ASSERT_TRUE(other);
  EXPECT_FALSE(at::equal(*latents, *other));

  const auto volume = (*pipeline)->decode(*latents, options, progress);
  ASSERT_TRUE(volume) << volume.error().message();
  EXPECT_EQ(volume->sizes(), at::IntArrayRef({1, 17, 17, 17}));
  EXPECT_EQ(volume->scalar_type(), at::kFloat);
  EXPECT_TRUE(at::isfinite(*volume).all().item<bool>());
  EXPECT_EQ(phases["conditioning"], 1U);
  EXPECT_EQ(phases["diffusion"], 3U);
  EXPECT_EQ(phases["decoding"], 5U);

  // The hierarchical decoder agrees with the dense one wherever it looked.
  options.decoder = VolumeDecoder::kHierarchical;
  const auto sparse = (*pipeline)->decode(*latents, options);
  ASSERT_TRUE(sparse) << sparse.error().message();
  const at::Tensor looked = ~at::isnan(*sparse);
  EXPECT_TRUE(at::allclose(sparse->masked_select(looked), volume->masked_select(looked), 1e-5, 1e-5));
}

// The sub-stages a profile shows under shape_generation: conditioning, one step each, decoding.
TEST(Hunyuan3DPipeline, ProfilesConditioningEachStepAndDecoding) {
  testing::TempDir dir;
  auto pipeline = Hunyuan3DPipeline::load(write_tiny_model(dir), at::kCPU, at::kFloat);
  ASSERT_TRUE(pipeline) << pipeline.error().message();
  auto profiler = profiling::Profiler::create({});
  ASSERT_TRUE(profiler);
  const profiling::JobId job = (*profiler)->begin_pipeline("square.png");
  const std::array<profiling::ScopeTarget, 1> targets{{{profiler->get(), job}}};
  GenerateOptions options;
  options.steps = 4;
  options.octree_resolution = 16;
  for (const VolumeDecoder decoder : {VolumeDecoder::kDense, VolumeDecoder::kHierarchical}) {
    options.decoder = decoder;
    const auto latents = (*pipeline)->latents(test_image(), options, {}, targets);
    ASSERT_TRUE(latents) << latents.error().message();
    ASSERT_TRUE((*pipeline)->decode(*latents, options, {}, nullptr, targets));
  }
  auto profile = (*profiler)->end_pipeline(job);
  ASSERT_TRUE(profile);
  std::vector<std::string> tree;  // "name" or "parent/name"
  for (const profiling::StageProfile& stage : profile->stages) {
    EXPECT_GE(stage.wall_ms, 0.0);
    EXPECT_FALSE(stage.gpu_ms.has_value()) << "the CPU has no GPU time";
    tree.push_back(stage.top_level() ? stage.name
                                     : profile->stages[static_cast<std::size_t>(stage.parent)].name + "/" + stage.name);
  }
  std::vector<std::string> expected;
  if constexpr (profiling::kProfilingEnabled) {
    for (int run = 0; run < 2; ++run) {
      expected.insert(expected.end(), {"conditioning", "diffusion"});
      expected.insert(expected.end(), 4, "diffusion/diffusion_step");
      expected.insert(expected.end(), {"latent_decoding", "volume_decoding"});
    }
  }
  EXPECT_EQ(tree, expected);
}

// A multi-view model takes 1..view_num views: the unconditional context has as many views' zeros
// as were given (with 4 zero views against 2 given, CFG's batch would not concatenate).
TEST(Hunyuan3DPipeline, AMultiViewModelSamplesFromFewerViewsThanItsMost) {
  testing::TempDir dir;
  const auto yaml = multiview_config(tiny_model_config());
  ASSERT_TRUE(yaml) << yaml.error().message();
  const std::filesystem::path folder = dir.path() / "hunyuan3d-dit-v2-mv";
  ASSERT_TRUE(write_random_model(folder, *yaml, 3));
  auto pipeline = Hunyuan3DPipeline::load(folder, at::kCPU, at::kFloat);
  ASSERT_TRUE(pipeline) << pipeline.error().message();
  GenerateOptions options;
  options.steps = 2;
  for (const std::int64_t views : {1, 2, 4}) {
    const at::Tensor images = test_image().unsqueeze(1).expand({1, views, 3, 512, 512}).contiguous();
    const auto latents = (*pipeline)->latents(images, options);
    ASSERT_TRUE(latents) << views << " views: " << latents.error().message();
    EXPECT_EQ(latents->sizes(), at::IntArrayRef({1, 16, 8}));
    EXPECT_TRUE(at::isfinite(*latents).all().item<bool>());
  }
}

TEST(Hunyuan3DPipeline, BadInputsAreErrorsNotExceptions) {
  testing::TempDir dir;
  const std::filesystem::path folder = write_tiny_model(dir);
  auto pipeline = Hunyuan3DPipeline::load(folder, at::kCPU, at::kFloat);
  ASSERT_TRUE(pipeline) << pipeline.error().message();
  GenerateOptions options;
  options.steps = 0;
  EXPECT_EQ((*pipeline)->latents(test_image(), options).error().code(), ErrorCode::kInvalidArgument);
  options.steps = 2;
  EXPECT_EQ((*pipeline)->latents(at::ones({3, 512, 512}), options).error().code(), ErrorCode::kInvalidArgument);
  options.octree_resolution = 4;
  EXPECT_EQ((*pipeline)->decode(at::zeros({1, 16, 8}), options).error().code(), ErrorCode::kInvalidArgument);
  // Latents of the wrong width: LibTorch's complaint comes back as an error.
  options.octree_resolution = 16;
  const auto wrong = (*pipeline)->decode(at::zeros({1, 16, 5}), options);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kInternal);
}

TEST(Hunyuan3DPipeline, ACheckpointMissingATensorIsAClearErrorNamingIt) {
  testing::TempDir dir;
  const std::filesystem::path folder = write_tiny_model(dir, "model.cond_in.weight");
  const auto pipeline = Hunyuan3DPipeline::load(folder, at::kCPU, at::kFloat);
  ASSERT_FALSE(pipeline);
  EXPECT_EQ(pipeline.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(pipeline.error().message().find("model.cond_in.weight"), std::string::npos) << pipeline.error().message();
}

}  // namespace
}  // namespace orfeas::engine
