#include "orfeas/models/model_folder.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/models/test_configs.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::models {
namespace {

namespace fs = std::filesystem;
using test_data::replace;

// `dir` with config.yaml and the named weight files (contents do not matter to locating).
fs::path make_folder(const fs::path& dir, const std::string& config, std::initializer_list<const char*> files) {
  fs::create_directories(dir);
  testing::write_text(dir / "config.yaml", config);
  for (const char* file : files) testing::write_text(dir / file, "weights");
  return dir;
}

std::string fast_config() {
  return replace(test_data::v2_0_config(), "guidance_embed: False", "guidance_embed: True");
}

std::string turbo_config(const std::string& base) {
  return replace(replace(base, "guidance_embed: False", "guidance_embed: True"),
                 "FlowMatchEulerDiscreteScheduler\n  params:\n    num_train_timesteps: 1000",
                 "ConsistencyFlowMatchEulerDiscreteScheduler\n  params:\n    num_train_timesteps: 1000\n"
                 "    pcm_timesteps: 100");
}

std::string mv_config(const std::string& base) {
  return replace(replace(base, "type: DinoImageEncoder ", "type: DinoImageEncoderMV "),
                 "preprocessors.ImageProcessorV2", "preprocessors.MVImageProcessorV2");
}

// Runs `command` through /bin/sh and returns its standard output.
std::string run_shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  ::pclose(pipe);
  return output;
}

TEST(ModelFolderTest, LocatesAFolderAndPrefersFp16Weights) {
  const testing::TempDir temp;
  const fs::path dir = make_folder(temp.file("hunyuan3d-dit-v2-0"), test_data::v2_0_config(),
                                   {"model.fp16.safetensors", "model.safetensors", "model.fp16.ckpt"});
  const Result<ModelFolder> folder = locate_model(dir);
  ASSERT_TRUE(folder) << folder.error().message();
  EXPECT_EQ(folder->dir, dir);
  EXPECT_EQ(folder->config_path, dir / "config.yaml");
  EXPECT_EQ(folder->weights_path, dir / "model.fp16.safetensors");
  EXPECT_EQ(folder->variant, ModelVariant::kV2_0);
  EXPECT_EQ(folder->variant_name(), "v2-0");
  EXPECT_EQ(folder->config.vae.num_latents, 3072);
  EXPECT_TRUE(folder->note.empty()) << folder->note;

  fs::remove(dir / "model.fp16.safetensors");
  const Result<ModelFolder> full = locate_model(dir);
  ASSERT_TRUE(full) << full.error().message();
  EXPECT_EQ(full->weights_path, dir / "model.safetensors");
}

TEST(ModelFolderTest, CheckpointOnlyFoldersSayHowToConvert) {
  const testing::TempDir temp;
  const fs::path dir = make_folder(temp.file("hunyuan3d-dit-v2-1"), test_data::v2_1_config(), {"model.fp16.ckpt"});
  const Result<ModelFolder> folder = locate_model(dir);
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::kNotFound);
  const std::string& message = folder.error().message();
  EXPECT_NE(message.find("holds only model.fp16.ckpt"), std::string::npos) << message;
  EXPECT_NE(message.find("python3 -c \"import torch, safetensors.torch as st;"), std::string::npos) << message;
  EXPECT_NE(message.find("torch.load('" + (dir / "model.fp16.ckpt").string() + "', map_location='cpu'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("f'{k}.{n}': t.contiguous().clone() for k, sd in c.items() for n, t in sd.items()"),
            std::string::npos)
      << "keys flattened as 'model.', 'vae.', 'conditioner.' + name: " << message;
  EXPECT_NE(message.find("'" + (dir / "model.fp16.safetensors").string() + "')"), std::string::npos) << message;

  fs::rename(dir / "model.fp16.ckpt", dir / "model.ckpt");
  const Result<ModelFolder> plain = locate_model(dir);
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message().find("'" + (dir / "model.safetensors").string() + "')"), std::string::npos)
      << plain.error().message();
}

TEST(ModelFolderTest, ConversionCommandSurvivesTheShellAndPython) {
  if (run_shell("command -v python3").empty()) GTEST_SKIP() << "python3 is not installed";
  const testing::TempDir temp;
  // Quotes, a dollar, a backquote and a backslash in the folder's name.
  const fs::path dir = make_folder(temp.file("it's \"$HOME\" `x` a\\b"), test_data::v2_0_config(), {"model.fp16.ckpt"});
  const Result<ModelFolder> folder = locate_model(dir);
  ASSERT_FALSE(folder);
  const std::string& message = folder.error().message();
  const std::size_t at = message.find("python3 -c ");
  ASSERT_NE(at, std::string::npos) << message;
  // Python parses the script (and prints the checkpoint's path from it) instead of running it.
  const std::string command =
      "python3 -c 'import ast, sys; tree = ast.parse(sys.argv[1]); "
      "print(next(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and "
      "str(n.value).endswith(\"ckpt\")))' " +
      message.substr(at + std::string("python3 -c ").size());
  EXPECT_EQ(run_shell(command), (dir / "model.fp16.ckpt").string() + "\n") << command;
}

TEST(ModelFolderTest, FindsTheOneModelInAParentFolder) {
  const testing::TempDir temp;
  const fs::path repo = temp.file("Hunyuan3D-2");
  make_folder(repo / "hunyuan3d-dit-v2-0-turbo", turbo_config(test_data::v2_0_config()), {"model.fp16.safetensors"});
  make_folder(repo / "hunyuan3d-vae-v2-0", test_data::vae_config(), {"model.fp16.safetensors"});
  fs::create_directories(repo / "hunyuan3d-paint-v2-0");
  testing::write_text(repo / "README.md", "# Hunyuan3D-2");

  const Result<ModelFolder> folder = locate_model(repo);
  ASSERT_TRUE(folder) << folder.error().message();
  EXPECT_EQ(folder->dir, repo / "hunyuan3d-dit-v2-0-turbo");
  EXPECT_EQ(folder->weights_path, repo / "hunyuan3d-dit-v2-0-turbo" / "model.fp16.safetensors");
  EXPECT_EQ(folder->variant, ModelVariant::kV2_0Turbo);
  EXPECT_NE(folder->note.find("used hunyuan3d-dit-v2-0-turbo, the only hunyuan3d-dit-* folder in"), std::string::npos)
      << folder->note;

  const Result<VaeFolder> vae = locate_vae(repo);
  ASSERT_TRUE(vae) << vae.error().message();
  EXPECT_EQ(vae->dir, repo / "hunyuan3d-vae-v2-0");
  EXPECT_EQ(vae->config.num_latents, 3072);
  EXPECT_NE(vae->note.find("used hunyuan3d-vae-v2-0"), std::string::npos) << vae->note;
}

TEST(ModelFolderTest, ListsTheCandidatesWhenSeveral) {
  const testing::TempDir temp;
  make_folder(temp.file("hunyuan3d-dit-v2-0"), test_data::v2_0_config(), {"model.fp16.safetensors"});
  make_folder(temp.file("hunyuan3d-dit-v2-0-fast"), fast_config(), {"model.fp16.safetensors"});
  const Result<ModelFolder> folder = locate_model(temp.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(folder.error().message().find("holds several models (hunyuan3d-dit-v2-0, hunyuan3d-dit-v2-0-fast)"),
            std::string::npos)
      << folder.error().message();
}

TEST(ModelFolderTest, ReportsWhatIsMissing) {
  const testing::TempDir temp;
  const Result<ModelFolder> absent = locate_model(temp.file("nowhere"));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(absent.error().message().find("does not exist"), std::string::npos);

  fs::create_directories(temp.file("empty"));
  const Result<ModelFolder> empty = locate_model(temp.file("empty"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(empty.error().message().find("holds no config.yaml and no hunyuan3d-dit-* folder"), std::string::npos)
      << empty.error().message();

  const fs::path no_weights = make_folder(temp.file("no-weights"), test_data::v2_0_config(), {});
  const Result<ModelFolder> unweighted = locate_model(no_weights);
  ASSERT_FALSE(unweighted);
  EXPECT_EQ(unweighted.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(unweighted.error().message().find("holds no weights (model.fp16.safetensors or model.safetensors)"),
            std::string::npos)
      << unweighted.error().message();

  fs::create_directories(temp.file("parent") / "hunyuan3d-dit-v2-0");
  const Result<ModelFolder> configless = locate_model(temp.file("parent"));
  ASSERT_FALSE(configless);
  EXPECT_EQ(configless.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(configless.error().message().find("hunyuan3d-dit-v2-0' holds no config.yaml"), std::string::npos)
      << configless.error().message();
}

TEST(ModelFolderTest, GarbageConfigIsAnErrorNamingTheFile) {
  const testing::TempDir temp;
  const fs::path dir = make_folder(temp.file("m"), "model: [unclosed\n", {"model.fp16.safetensors"});
  const Result<ModelFolder> folder = locate_model(dir);
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(folder.error().message().find((dir / "config.yaml").string()), std::string::npos)
      << folder.error().message();
}

TEST(ModelFolderTest, DetectsVariantsFromConfigAndName) {
  struct Case {
    std::string config;
    std::string folder;
    ModelVariant expected;
  };
  const std::string v2_0 = test_data::v2_0_config();
  const std::string mini = test_data::mini_config();
  const std::string mini_fast = replace(mini, "guidance_embed: False", "guidance_embed: True");
  const std::vector<Case> cases = {
      {v2_0, "hunyuan3d-dit-v2-0", ModelVariant::kV2_0},
      {v2_0, "my-model", ModelVariant::kV2_0},
      {fast_config(), "hunyuan3d-dit-v2-0-fast", ModelVariant::kV2_0Fast},
      {fast_config(), "renamed", ModelVariant::kV2_0Fast},
      {fast_config(), "hunyuan3d-dit-v2-0-turbo", ModelVariant::kV2_0Turbo},  // guidance-embedded, named turbo
      {turbo_config(v2_0), "renamed", ModelVariant::kV2_0Turbo},              // the consistency scheduler says so
      {v2_0, "hunyuan3d-dit-v2-0-fast", ModelVariant::kV2_0},  // the config has no guidance embedding: not fast
      {mini, "hunyuan3d-dit-v2-mini", ModelVariant::kMini},
      {mini, "renamed", ModelVariant::kMini},             // 8 + 16 blocks
      {mini, "hunyuan3d-dit-v2-0", ModelVariant::kV2_0},  // the name decides between the two sizes
      {v2_0, "hunyuan3d-dit-v2-mini", ModelVariant::kMini},
      {mini_fast, "hunyuan3d-dit-v2-mini-fast", ModelVariant::kMiniFast},
      {turbo_config(mini), "hunyuan3d-dit-v2-mini-turbo", ModelVariant::kMiniTurbo},
      {mv_config(v2_0), "hunyuan3d-dit-v2-mv", ModelVariant::kMultiView},
      {mv_config(v2_0), "hunyuan3d-dit-v2-mini", ModelVariant::kMultiView},  // the encoder decides
      {mv_config(fast_config()), "hunyuan3d-dit-v2-mv-fast", ModelVariant::kMultiViewFast},
      {mv_config(turbo_config(v2_0)), "hunyuan3d-dit-v2-mv-turbo", ModelVariant::kMultiViewTurbo},
      {test_data::v2_1_config(), "hunyuan3d-dit-v2-1", ModelVariant::kV2_1},
      {test_data::v2_1_config(), "hunyuan3d-dit-v2-0", ModelVariant::kV2_1},  // HunYuanDiTPlain is 2.1
  };
  for (const Case& c : cases) {
    const Result<PipelineConfig> config = parse_pipeline_config(c.config);
    ASSERT_TRUE(config) << config.error().message();
    EXPECT_EQ(variant_name(detect_variant(*config, c.folder)), variant_name(c.expected)) << c.folder;
  }
  EXPECT_EQ(variant_name(ModelVariant::kV2_0Fast), "v2-0-fast");
  EXPECT_EQ(variant_name(ModelVariant::kMiniTurbo), "v2-mini-turbo");
  EXPECT_EQ(variant_name(ModelVariant::kMultiView), "v2-mv");
  EXPECT_EQ(variant_name(ModelVariant::kMultiViewTurbo), "v2-mv-turbo");
  EXPECT_EQ(variant_name(ModelVariant::kV2_1), "v2-1");
}

TEST(ModelFolderTest, NamesAFolderGivenWithATrailingSlash) {
  const testing::TempDir temp;
  const fs::path dir = make_folder(temp.file("hunyuan3d-dit-v2-0-turbo"), fast_config(), {"model.safetensors"});
  const Result<ModelFolder> folder = locate_model(dir / "");
  ASSERT_TRUE(folder) << folder.error().message();
  EXPECT_EQ(folder->variant, ModelVariant::kV2_0Turbo);
}

TEST(ModelFolderTest, LocatesStandaloneVaeFolders) {
  const testing::TempDir temp;
  const fs::path dir = make_folder(temp.file("hunyuan3d-vae-v2-0-turbo"), test_data::vae_config(),
                                   {"model.safetensors", "model.fp16.safetensors"});
  const Result<VaeFolder> vae = locate_vae(dir);
  ASSERT_TRUE(vae) << vae.error().message();
  EXPECT_EQ(vae->dir, dir);
  EXPECT_EQ(vae->config_path, dir / "config.yaml");
  EXPECT_EQ(vae->weights_path, dir / "model.fp16.safetensors");
  EXPECT_EQ(vae->config.width, 1024);
  EXPECT_TRUE(vae->note.empty());

  fs::remove(dir / "model.safetensors");
  fs::remove(dir / "model.fp16.safetensors");
  testing::write_text(dir / "model.fp16.ckpt", "pickle");
  const Result<VaeFolder> ckpt = locate_vae(dir);
  ASSERT_FALSE(ckpt);
  EXPECT_EQ(ckpt.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(ckpt.error().message().find("{n: t.contiguous().clone() for n, t in c.items()}"), std::string::npos)
      << "unprefixed keys: " << ckpt.error().message();

  testing::write_text(dir / "model.fp16.safetensors", "weights");
  testing::write_text(dir / "config.yaml", test_data::v2_0_config());
  const Result<VaeFolder> dit_config = locate_vae(dir);
  ASSERT_FALSE(dit_config);
  EXPECT_NE(dit_config.error().message().find("params: missing"), std::string::npos) << dit_config.error().message();
}

}  // namespace
}  // namespace orfeas::models
