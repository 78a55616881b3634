// `orfeas generate --backend hunyuan3d`: the native engine through the CLI, on a tiny random model
// in the official layout (written by orfeas_tiny_model, as a user would point --model at a
// downloaded folder). Built only with LibTorch.
#include <map>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "orfeas/export/stl_reader.h"
#include "serve_process.h"

namespace orfeas {
namespace {

class CliHunyuan3DTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const std::string command = quoted(ORFEAS_TINY_MODEL_PATH) + " " + quoted(models_.string()) + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  const fs::path models_ = dir_ / "models";
  const fs::path model_ = models_ / "hunyuan3d-dit-v2-0";
};

TEST_F(CliHunyuan3DTest, GeneratesAClosedMeshFromTheModelFolder) {
  const fs::path out = work_ / "disc.stl";
  const fs::path profile = work_ / "profile.json";
  const RunResult result =
      run({"generate", (kData / "disc_rgba.png").string(), "--backend", "hunyuan3d", "--model", model_.string(),
           "--steps", "3", "--octree", "32", "-o", out.string(), "--profile", profile.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("shape_generation"), std::string::npos) << result.out;
  // The model's load, on one line: what was read, how long it took, the host memory it peaked at.
  EXPECT_NE(result.out.find("loaded hunyuan3d-dit-v2-0 (fp32 on cpu)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("peak host memory"), std::string::npos) << result.out;
  auto stl = exporter::read_stl_binary(out);
  ASSERT_TRUE(stl.has_value()) << stl.error().message();
  EXPECT_GT(stl->triangles.size(), 0U);

  // The profile holds the engine's phases under the pipeline's stages, one scope per step.
  const nlohmann::json report = nlohmann::json::parse(read_text(profile));
  const nlohmann::json& stages = report.at("profiles").at(0).at("stages");
  std::map<std::string, int> counts;  // "parent/name" or "name"
  for (const nlohmann::json& stage : stages) {
    const int parent = stage.at("parent").get<int>();
    const std::string name = stage.at("name").get<std::string>();
    counts[parent < 0 ? name
                      : stages.at(static_cast<std::size_t>(parent)).at("name").get<std::string>() + "/" + name]++;
  }
  EXPECT_EQ(counts["shape_generation"], 1);
  EXPECT_EQ(counts["shape_generation/conditioning"], 1);
  EXPECT_EQ(counts["shape_generation/diffusion"], 1);
  EXPECT_EQ(counts["diffusion/diffusion_step"], 3);
  EXPECT_EQ(counts["shape_generation/latent_decoding"], 1);
  EXPECT_EQ(counts["shape_generation/volume_decoding"], 1);
  EXPECT_EQ(counts["mesh_extraction/marching_cubes"], 1);
}

// A multi-view model (hunyuan3d-dit-v2-mv, which orfeas_tiny_model writes beside v2-0) takes the
// photo as its front view.
TEST_F(CliHunyuan3DTest, AMultiViewModelTakesThePhotoAsItsFrontView) {
  const fs::path mv = models_ / "hunyuan3d-dit-v2-mv";
  ASSERT_NE(read_text(mv / "config.yaml").find("DinoImageEncoderMV"), std::string::npos);
  const fs::path out = work_ / "front.stl";
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), "--backend", "hunyuan3d", "--model",
                                mv.string(), "--steps", "2", "--octree", "32", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(exporter::read_stl_binary(out).has_value());
}

TEST_F(CliHunyuan3DTest, TheSameSeedGivesTheSameFileAndTheHierarchicalDecoderRuns) {
  const std::vector<std::string> common = {(kData / "disc_rgba.png").string(),
                                           "--backend",
                                           "hunyuan3d",
                                           "--model",
                                           model_.string(),
                                           "--steps",
                                           "2",
                                           "--octree",
                                           "32",
                                           "--seed",
                                           "7"};
  auto with_output = [&](const fs::path& out, std::vector<std::string> extra) {
    std::vector<std::string> args{"generate"};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"-o", out.string()});
    return run(args);
  };
  ASSERT_EQ(with_output(work_ / "a.ply", {}).exit_code, 0);
  ASSERT_EQ(with_output(work_ / "b.ply", {}).exit_code, 0);
  EXPECT_EQ(read_text(work_ / "a.ply"), read_text(work_ / "b.ply"));
  const RunResult hierarchical = with_output(work_ / "c.ply", {"--decoder", "hierarchical"});
  EXPECT_EQ(hierarchical.exit_code, 0) << hierarchical.err;
}

TEST_F(CliHunyuan3DTest, WithoutAModelOrWithABrokenOneItSaysSoAndWritesNothing) {
  const fs::path out = work_ / "x.stl";
  const RunResult no_model =
      run({"generate", (kData / "disc_rgba.png").string(), "--backend", "hunyuan3d", "-o", out.string()});
  EXPECT_EQ(no_model.exit_code, 1);
  EXPECT_NE(no_model.err.find("--model"), std::string::npos) << no_model.err;
  // A truncated checkpoint.
  fs::resize_file(model_ / "model.fp16.safetensors", 1000);
  const RunResult broken = run({"generate", (kData / "disc_rgba.png").string(), "--backend", "hunyuan3d", "--model",
                                model_.string(), "-o", out.string()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("model.fp16.safetensors"), std::string::npos) << broken.err;
  // A folder without weights.
  fs::remove(model_ / "model.fp16.safetensors");
  const RunResult missing = run({"generate", (kData / "disc_rgba.png").string(), "--backend", "hunyuan3d", "--model",
                                 model_.string(), "-o", out.string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(fs::is_empty(work_));
}

// The service: `orfeas serve --model DIR` runs backend=hunyuan3d jobs; a server without a model
// refuses them at submission.
TEST_F(CliHunyuan3DTest, TheServiceRunsHunyuan3DJobsWithItsModelAndRefusesThemWithout) {
  using e2e::http_request;
  using e2e::HttpReply;
  using e2e::ServeProcess;
  using nlohmann::json;
  const std::string image = read_text(fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png");
  const std::vector<std::pair<std::string, std::string>> png = {{"Content-Type", "image/png"}};
  {
    ServeProcess server({"--port", "0", "--data-dir", (dir_ / "plain").string(), "--device", "cpu"});
    const int port = server.wait_for_port(std::chrono::seconds(30));
    ASSERT_GT(port, 0);
    const HttpReply refused = http_request(port, "POST", "/api/jobs?backend=hunyuan3d", png, image);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_NE(refused.body.find("--model"), std::string::npos) << refused.body;
    EXPECT_EQ(server.stop(SIGTERM, std::chrono::seconds(30)), 0);
  }
  ServeProcess server({"--port", "0", "--data-dir", (dir_ / "served").string(), "--device", "cpu", "--model",
                       model_.string(), "--steps", "2"});
  const int port = server.wait_for_port(std::chrono::seconds(30));
  ASSERT_GT(port, 0);
  // The weights were loaded at the start, once, and said so.
  EXPECT_NE(server.printed_before_port().find("loaded hunyuan3d-dit-v2-0 (fp32 on cpu)"), std::string::npos)
      << server.printed_before_port();
  const HttpReply submitted =
      http_request(port, "POST", "/api/jobs?backend=hunyuan3d&resolution=32&format=glb", png, image);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const std::string id = json::parse(submitted.body).value("id", "");
  std::string status;
  for (int i = 0; i < 1200 && status != "completed" && status != "failed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const HttpReply view = http_request(port, "GET", "/api/jobs/" + id);
    status = json::parse(view.body, nullptr, false).value("status", "");
  }
  ASSERT_EQ(status, "completed") << http_request(port, "GET", "/api/jobs/" + id).body;
  const HttpReply result = http_request(port, "GET", "/api/jobs/" + id + "/result");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body.substr(0, 4), "glTF");
  EXPECT_EQ(server.stop(SIGTERM, std::chrono::seconds(30)), 0);

  // A model folder that does not load stops the start, naming the file.
  fs::resize_file(model_ / "model.fp16.safetensors", 1000);
  const RunResult broken = run({"serve", "--port", "0", "--data-dir", (dir_ / "broken").string(), "--device", "cpu",
                                "--model", model_.string()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("model.fp16.safetensors"), std::string::npos) << broken.err;
}

}  // namespace
}  // namespace orfeas
