// orfeas_parity: the engine's side of the parity harness (docs/parity.md, tools/parity/).
//
//   orfeas_parity DIR                  # every model folder under DIR that hy3d_reference.py wrote
//   orfeas_parity --make-tiny DIR      # a tiny v2-0-style folder with inputs only (local dry run)
//
// For each folder (config.yaml + model.fp16.safetensors, the official layout) and each
// io.<dtype>.safetensors in it, the checkpoint is loaded with the engine in that dtype, every
// case's inputs ('<case>.<input>') are run through our modules, and the outputs are written to
// ours.<dtype>.safetensors as '<case>.out' (float32), for compare.py. Cases: dino (DINOv2 on
// pixels), cond (Conditioner: preprocess + encode of the prepared image), prep (our
// prepare_reference_image of reference.png), dit (the denoiser), vae (decode_latents), geo (the
// geometry decoder on points), sample (Hunyuan3DPipeline::latents from the seed), mesh (our marching
// cubes of the dense volume of the sampled latents) and hier (the hierarchical decoder's field
// against the dense one on the same latents).
#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/engine/checkpoint.h"
#include "orfeas/engine/conditioner.h"
#include "orfeas/engine/dinov2.h"
#include "orfeas/engine/hunyuan3d_dit.h"
#include "orfeas/engine/hunyuan3d_pipeline.h"
#include "orfeas/engine/hunyuandit_plain.h"
#include "orfeas/engine/random_model.h"
#include "orfeas/engine/shape_vae.h"
#include "orfeas/engine/volume_decoding.h"
#include "orfeas/image/decode.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/models/model_folder.h"
#include "orfeas/models/safetensors.h"

namespace {

using namespace orfeas;
namespace fs = std::filesystem;
using Named = std::map<std::string, at::Tensor, std::less<>>;

Result<Named> read_tensors(const fs::path& path) {
  ORFEAS_ASSIGN_OR_RETURN(auto file, models::SafetensorsFile::open(path));
  Named out;
  for (const auto& info : file->tensors()) {
    const auto bytes = file->data(info);
    at::Tensor t = at::empty(info.shape, at::TensorOptions().dtype(engine::aten_dtype(info.dtype)));
    std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
    out[info.name] = t;
  }
  return out;
}

Status write_tensors(const fs::path& path, const Named& named) {
  std::vector<at::Tensor> keep;
  std::vector<models::TensorToWrite> list;
  for (const auto& [name, t] : named) {
    const at::Tensor c = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
    keep.push_back(c);
    list.push_back({name,
                    models::DType::kF32,
                    c.sizes().vec(),
                    {static_cast<const std::byte*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes())}});
  }
  return models::write_safetensors(path, list);
}

std::optional<at::ScalarType> dtype_of(const std::string& name) {
  if (name == "fp32") return at::kFloat;
  if (name == "fp16") return at::kHalf;
  if (name == "bf16") return at::kBFloat16;
  return std::nullopt;
}

// Marching cubes of a positive-inside field [R+1]^3 (index order x, y, z; z fastest) with the
// reference's vertex mapping v / (R + 1) · 2.02 − 1.01: our volume's x runs along the field's last
// index, so x and z are swapped back when the vertices are written. -> [V, 3] float32.
Result<at::Tensor> surface_vertices(const at::Tensor& field, int octree) {
  const at::Tensor neg = (-field.to(at::kCPU).to(at::kFloat)).contiguous();
  VolumeView view;
  view.grid.nx = view.grid.ny = view.grid.nz = octree + 1;
  view.grid.origin = {-1.01F, -1.01F, -1.01F};
  view.grid.spacing = static_cast<float>(2.02 / (octree + 1));
  view.values = neg.data_ptr<float>();
  view.size = static_cast<std::size_t>(neg.numel());
  ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh surface, mesh::marching_cubes(view));
  at::Tensor v = at::empty({static_cast<std::int64_t>(surface.positions.size()), 3});
  auto* p = v.data_ptr<float>();
  for (const auto& q : surface.positions) {
    *p++ = q.z;
    *p++ = q.y;
    *p++ = q.x;
  }
  return v;
}

// The hierarchical field against the dense one: the largest difference where both are evaluated,
// and how many cells that the dense surface crosses have an unevaluated corner (0: the same surface).
Named compare_fields(const at::Tensor& dense, const at::Tensor& sparse) {
  const at::Tensor d = dense[0].to(at::kFloat);
  const at::Tensor s = sparse[0].to(at::kFloat);
  const at::Tensor evaluated = ~at::isnan(s);
  const at::Tensor diff = at::where(evaluated, (d - s).abs(), at::zeros_like(d));
  const at::Tensor inside = (d > 0).to(at::kFloat).unsqueeze(0).unsqueeze(0);
  // a cell is crossed when its 8 corners are neither all inside nor all outside
  const at::Tensor corners_in = at::avg_pool3d(inside, 2, 1) * 8;
  const at::Tensor crossed = (corners_in > 0.5) & (corners_in < 7.5);
  const at::Tensor missing = at::max_pool3d((~evaluated).to(at::kFloat).unsqueeze(0).unsqueeze(0), 2, 1) > 0.5;
  Named out;
  out["hier.max_diff"] = diff.max().reshape({1}).to(at::kCPU);
  out["hier.evaluated"] = evaluated.sum().to(at::kFloat).reshape({1}).to(at::kCPU);
  out["hier.points"] = at::full({1}, static_cast<double>(d.numel()));
  out["hier.crossed_cells"] = crossed.sum().to(at::kFloat).reshape({1}).to(at::kCPU);
  out["hier.crossed_unevaluated"] = (crossed & missing).sum().to(at::kFloat).reshape({1}).to(at::kCPU);
  return out;
}

Status run_dtype(const models::ModelFolder& folder, const std::string& dname, at::Device device) {
  const at::ScalarType dtype = *dtype_of(dname);
  ORFEAS_ASSIGN_OR_RETURN(Named io, read_tensors(folder.dir / ("io." + dname + ".safetensors")));
  ORFEAS_ASSIGN_OR_RETURN(auto file, models::SafetensorsFile::open(folder.weights_path));
  engine::LoadReport report;
  ORFEAS_ASSIGN_OR_RETURN(engine::Weights all, engine::load_weights(*file, "", device, dtype, &report));
  std::printf("%s %s: %zu tensors loaded in %.1f s\n", folder.dir.filename().c_str(), dname.c_str(), report.tensors,
              report.seconds);
  const auto& config = folder.config;
  const auto dev = [&](const std::string& name) { return io.at(name).to(device, dtype); };
  const engine::Weights cond_scope = all.scope("conditioner.");
  Named out;
  try {
    at::InferenceMode guard;
    ORFEAS_ASSIGN_OR_RETURN(engine::DinoV2 dino,
                            engine::DinoV2::load(cond_scope.scope(engine::kDinoV2Scope), config.dino));
    out["dino.out"] = dino.forward(dev("dino.pixels"));
    ORFEAS_ASSIGN_OR_RETURN(engine::Conditioner conditioner, engine::Conditioner::load(cond_scope, config.dino));
    out["cond.out"] = conditioner.encode(io.at("cond.image"), dtype, device);
    if (fs::exists(folder.dir / "reference.png")) {
      ORFEAS_ASSIGN_OR_RETURN(image::ImageRgba8 rgba, image::load_image_file(folder.dir / "reference.png", {}));
      ORFEAS_ASSIGN_OR_RETURN(out["prep.out"], engine::prepare_reference_image(rgba));
    }
    std::optional<at::Tensor> guidance;
    if (io.contains("dit.guidance")) guidance = dev("dit.guidance");
    if (const auto* dit_config = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser)) {
      ORFEAS_ASSIGN_OR_RETURN(engine::Hunyuan3DDit dit, engine::Hunyuan3DDit::load(all.scope("model."), *dit_config));
      out["dit.out"] = dit.forward(dev("dit.x"), dev("dit.t"), dev("dit.cond"), guidance);
    } else {
      const auto& plain_config = std::get<models::HunyuanDitPlainConfig>(config.denoiser);
      ORFEAS_ASSIGN_OR_RETURN(engine::HunyuanDitPlain dit,
                              engine::HunyuanDitPlain::load(all.scope("model."), plain_config));
      out["dit.out"] = dit.forward(dev("dit.x"), dev("dit.t"), dev("dit.cond"));
    }
    ORFEAS_ASSIGN_OR_RETURN(engine::ShapeVae vae, engine::ShapeVae::load(all.scope("vae."), config.vae));
    const at::Tensor tokens = vae.decode_latents(dev("vae.latents"));
    out["vae.out"] = tokens;
    const auto& geo = vae.geometry_decoder();
    out["geo.out"] = geo.query(dev("geo.points"), geo.keys_values(tokens));

    if (io.contains("sample.steps")) {
      ORFEAS_ASSIGN_OR_RETURN(auto pipeline, engine::Hunyuan3DPipeline::from_weights(config, all, folder.variant));
      engine::GenerateOptions options;
      options.steps = static_cast<int>(io.at("sample.steps").item<std::int64_t>());
      options.guidance_scale = 5.0;
      options.seed = 0;
      ORFEAS_ASSIGN_OR_RETURN(at::Tensor latents, pipeline->latents(io.at("cond.image"), options));
      out["sample.out"] = latents;
      if (io.contains("mesh.octree")) {
        options.octree_resolution = static_cast<int>(io.at("mesh.octree").item<std::int64_t>());
        ORFEAS_ASSIGN_OR_RETURN(at::Tensor dense, pipeline->decode(latents, options));
        auto vertices = surface_vertices(dense[0], options.octree_resolution);
        if (vertices) {
          out["mesh.out"] = *vertices;
        } else {
          std::printf("our marching cubes: %s\n", vertices.error().message().c_str());
        }
        options.decoder = engine::VolumeDecoder::kHierarchical;
        ORFEAS_ASSIGN_OR_RETURN(at::Tensor sparse, pipeline->decode(latents, options));
        out.merge(compare_fields(dense, sparse));
      }
    }
  } catch (const c10::Error& e) {
    return tl::unexpected(engine::torch_error(e, "running the parity cases"));
  }
  ORFEAS_RETURN_IF_ERROR(write_tensors(folder.dir / ("ours." + dname + ".safetensors"), out));
  std::printf("%s %s: %zu outputs written\n", folder.dir.filename().c_str(), dname.c_str(), out.size());
  return ok();
}

// A tiny v2-0-style model with inputs only: the local dry run of the whole flow (no reference).
constexpr const char* kTinyConfig = R"(model:
  target: hy3dgen.shapegen.models.Hunyuan3DDiT
  params: {in_channels: 64, context_in_dim: 32, hidden_size: 64, mlp_ratio: 4.0, num_heads: 2, depth: 1,
           depth_single_blocks: 1, axes_dim: [32], theta: 10000, qkv_bias: true, guidance_embed: false}
vae:
  target: hy3dgen.shapegen.models.ShapeVAE
  params: {num_latents: 64, embed_dim: 64, num_freqs: 4, include_pi: false, heads: 2, width: 32,
           num_decoder_layers: 2, qkv_bias: false, qk_norm: true, scale_factor: 0.9990943042622529}
conditioner:
  target: hy3dgen.shapegen.models.SingleImageEncoder
  params:
    main_image_encoder:
      type: DinoImageEncoder
      kwargs:
        config: {hidden_act: gelu, hidden_size: 32, image_size: 28, layer_norm_eps: 1.0e-06, layerscale_value: 1.0,
                 mlp_ratio: 4, model_type: dinov2, num_attention_heads: 2, num_channels: 3, num_hidden_layers: 2,
                 patch_size: 14, qkv_bias: true, use_swiglu_ffn: true}
        image_size: 28
scheduler:
  target: hy3dgen.shapegen.schedulers.FlowMatchEulerDiscreteScheduler
  params: {num_train_timesteps: 1000}
image_processor:
  target: hy3dgen.shapegen.preprocessors.ImageProcessorV2
  params: {size: 512, border_ratio: 0.15}
pipeline:
  target: hy3dgen.shapegen.pipelines.Hunyuan3DDiTFlowMatchingPipeline
)";

Status make_tiny(const fs::path& root) {
  const fs::path dir = root / "hunyuan3d-dit-v2-0-tiny";
  ORFEAS_RETURN_IF_ERROR(engine::write_random_model(dir, kTinyConfig, 1, at::kHalf));
  at::manual_seed(0);
  Named io;
  io["dino.pixels"] = at::randn({1, 3, 28, 28});
  io["cond.image"] = at::rand({1, 3, 512, 512}) * 2 - 1;
  io["dit.x"] = at::randn({2, 64, 64});
  io["dit.t"] = at::tensor({0.37F, 0.905F});
  io["dit.cond"] = at::randn({2, 5, 32});
  io["vae.latents"] = at::randn({1, 64, 64});
  io["geo.points"] = at::rand({1, 500, 3}) * 2 - 1;
  io["sample.steps"] = at::tensor({3}, at::kLong);
  io["mesh.octree"] = at::tensor({16}, at::kLong);
  std::vector<models::TensorToWrite> io_list;
  std::vector<at::Tensor> keep;
  for (const auto& [name, t] : io) {
    keep.push_back(t.contiguous());
    io_list.push_back({name,
                       t.scalar_type() == at::kLong ? models::DType::kI64 : models::DType::kF32,
                       t.sizes().vec(),
                       {static_cast<const std::byte*>(keep.back().data_ptr()), static_cast<std::size_t>(t.nbytes())}});
  }
  return models::write_safetensors(dir / "io.fp32.safetensors", io_list);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--make-tiny") {
    const Status made = make_tiny(argv[2]);
    if (!made) std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return made ? 0 : 1;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: orfeas_parity DIR | orfeas_parity --make-tiny DIR\n");
    return 2;
  }
  // fp32 rows are true fp32, as the reference script sets it (cuDNN's default is TF32 convolutions)
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  const at::Device device = at::hasCUDA() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  int failures = 0;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(argv[1]))
    if (fs::exists(entry.path() / "config.yaml")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    auto folder = models::locate_model(dir);
    if (!folder) {
      std::fprintf(stderr, "%s: %s\n", dir.c_str(), folder.error().message().c_str());
      ++failures;
      continue;
    }
    for (const char* dname : {"fp32", "fp16", "bf16"}) {
      if (!fs::exists(dir / (std::string("io.") + dname + ".safetensors"))) continue;
      const Status done = run_dtype(*folder, dname, device);
      if (!done) {
        std::fprintf(stderr, "%s %s: %s\n", dir.c_str(), dname, done.error().message().c_str());
        ++failures;
      }
    }
  }
  return failures == 0 ? 0 : 1;
}
