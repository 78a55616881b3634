// orfeas_parity: the engine's side of the parity harness (docs/parity.md, tools/parity/).
//
//   orfeas_parity DIR                  # every model folder under DIR that hy3d_reference.py wrote
//   orfeas_parity --make-tiny DIR      # tiny v2-0-, -fast- and mv-style folders with inputs only (dry run)
//   orfeas_parity --bench MODEL_DIR OUT.json   # timings of Hunyuan3DPipeline end to end (fp16 on CUDA)
//
// For each folder (config.yaml + model.fp16.safetensors, the official layout) and each
// io.<dtype>.safetensors in it, the checkpoint is loaded with the engine in that dtype, every
// case's inputs ('<case>.<input>') are run through our modules, and the outputs are written to
// ours.<dtype>.safetensors as '<case>.out' (float32), for compare.py. Cases: dino (DINOv2 on
// pixels), cond (Conditioner: preprocess + encode of the prepared image; multi-view: the four views
// in index order), cond2 (multi-view: two named views through encode_views), prep (our
// prepare_reference_image of reference.png, or of each view<k>.png), dit (the denoiser), vae
// (decode_latents), geo (the geometry decoder on points), sample (Hunyuan3DPipeline::latents from the
// seed), sample2 / sample2c (multi-view, two views: Hunyuan3DPipeline::latents, and the same steps
// composed from the engine's parts; a failure is written as '<case>.error'), and per octree
// resolution R mesh.R (our marching cubes of the dense volume of the sampled latents, as the
// hunyuan3d backend hands it over) and hier.R (the hierarchical decoder's field and surface against
// the dense one on the same latents).
//
// --bench runs the pipeline as the hunyuan3d backend does (prepare_reference_image of reference.png,
// latents, decode, the volume handed to the mesh stage's extract_surfaces on the device) for
// 30 steps / octree 256 and 50 steps / octree 384 (dense and hierarchical), CFG 5, after a warm-up,
// and writes each stage's seconds and the peak device memory (LibTorch's allocator when this build
// can read it, and the mesh stage's pool) as JSON (docs/benchmarks.md).
#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
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
#include "orfeas/engine/sampling.h"
#include "orfeas/engine/shape_vae.h"
#include "orfeas/engine/volume_decoding.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/device.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/host_memory_pool.h"
#include "orfeas/image/decode.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/surface_extraction.h"
#include "orfeas/models/model_folder.h"
#include "orfeas/models/safetensors.h"

#if defined(ORFEAS_PARITY_ALLOC_STATS)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

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

// The volume as the hunyuan3d backend hands it to the mesh stage (shape/hunyuan3d_backend.cpp): ours
// is negative inside and x fastest, the reference's field [R+1]³ positive inside with (i, j, k) = (x,
// y, z); NaN (not evaluated) is outside. With spacing 2b/(R+1) from −b, a vertex lands where the
// reference's mapping v / (R + 1) · 2b − b puts it. [R+1]³ float32 [z][y][x] on the field's device.
at::Tensor handed_over_volume(const at::Tensor& field) {
  const at::Tensor f = field.to(at::kFloat);
  return at::where(at::isnan(f), at::scalar_tensor(1.0, f.options()), -f).permute({2, 1, 0}).contiguous();
}

GridGeometry reference_grid(int octree, double bounds) {
  GridGeometry grid;
  grid.nx = grid.ny = grid.nz = octree + 1;
  const auto b = static_cast<float>(bounds);
  grid.origin = {-b, -b, -b};
  grid.spacing = static_cast<float>(2.0 * bounds / (octree + 1));
  return grid;
}

// Triangles with a vertex on a grid edge that has an unevaluated (NaN) end, for volume_decoding.h's
// rule: such an edge separates a deep-inside point from one the decoder skipped, not inside from
// outside, so what lies there is no surface. `field` [R+1]³ (i, j, k) = (x, y, z), CPU float.
std::vector<bool> faces_on_unevaluated_edges(const mesh::Mesh& surface, const at::Tensor& field, int octree) {
  const auto acc = field.accessor<float, 3>();
  const GridGeometry grid = reference_grid(octree, 1.01);
  std::vector<bool> bad_vertex(surface.positions.size(), false);
  for (std::size_t v = 0; v < surface.positions.size(); ++v) {
    const Vec3f& q = surface.positions[v];
    const std::array<double, 3> g = {(q.x - grid.origin.x) / grid.spacing, (q.y - grid.origin.y) / grid.spacing,
                                     (q.z - grid.origin.z) / grid.spacing};
    int axis = 0;  // the edge runs along the coordinate farthest from a grid point
    for (int a = 1; a < 3; ++a)
      if (std::abs(g[a] - std::round(g[a])) > std::abs(g[axis] - std::round(g[axis]))) axis = a;
    std::array<std::int64_t, 3> lo{};
    for (int a = 0; a < 3; ++a) lo[a] = static_cast<std::int64_t>(a == axis ? std::floor(g[a]) : std::round(g[a]));
    std::array<std::int64_t, 3> hi = lo;
    hi[axis] += 1;
    const std::int64_t last = octree;
    const auto nan_at = [&](const std::array<std::int64_t, 3>& p) {
      for (const std::int64_t c : p)
        if (c < 0 || c > last) return false;  // beyond the grid: the mesh's own cap, not a NaN
      return std::isnan(acc[p[0]][p[1]][p[2]]);
    };
    bad_vertex[v] = nan_at(lo) || nan_at(hi);
  }
  std::vector<bool> bad_face(surface.triangles.size(), false);
  for (std::size_t t = 0; t < surface.triangles.size(); ++t)
    for (const std::uint32_t index : surface.triangles[t]) bad_face[t] = bad_face[t] || bad_vertex[index];
  return bad_face;
}

// Our marching cubes (the CPU twin of the CUDA one, the same mesh bit for bit) of a positive-inside
// field [R+1]³: '<key>.vertices' [V, 3] and '<key>.faces' [F, 3] (counter-clockwise from outside).
// drop_unevaluated: without the faces on edges with a NaN end (and the vertices no face keeps).
Status put_mesh(Named& out, const std::string& key, const at::Tensor& field, int octree,
                bool drop_unevaluated = false) {
  const at::Tensor volume = handed_over_volume(field).to(at::kCPU);
  VolumeView view;
  view.grid = reference_grid(octree, 1.01);
  view.values = volume.data_ptr<float>();
  view.size = static_cast<std::size_t>(volume.numel());
  ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh surface, mesh::marching_cubes(view));
  std::vector<bool> drop(surface.triangles.size(), false);
  if (drop_unevaluated)
    drop = faces_on_unevaluated_edges(surface, field.to(at::kCPU).to(at::kFloat).contiguous(), octree);
  std::vector<std::int32_t> index(surface.positions.size(), -1);
  std::vector<std::int32_t> faces;
  std::int32_t kept = 0;
  for (std::size_t t = 0; t < surface.triangles.size(); ++t) {
    if (drop[t]) continue;
    for (const std::uint32_t i : surface.triangles[t]) {
      if (index[i] < 0) index[i] = kept++;
      faces.push_back(index[i]);
    }
  }
  at::Tensor v = at::empty({kept, 3});
  auto va = v.accessor<float, 2>();
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index[i] < 0) continue;
    va[index[i]][0] = surface.positions[i].x;
    va[index[i]][1] = surface.positions[i].y;
    va[index[i]][2] = surface.positions[i].z;
  }
  out[key + ".vertices"] = v;
  out[key + ".faces"] = at::from_blob(faces.data(), {static_cast<std::int64_t>(faces.size() / 3), 3}, at::kInt).clone();
  return ok();
}

// Where a logit this close to 0 changes sign between the two decoders, it is rounding: the refinement
// levels query the decoder in other GEMM shapes, which cuBLAS rounds differently in fp16.
constexpr double kSignTolerance = 1e-3;

// The hierarchical field against the dense one: the largest difference where both are evaluated; the
// evaluated points whose sign differs (and those of them with |dense| ≥ kSignTolerance, which must be
// none); how many cells that the dense surface crosses have an unevaluated corner (must be none).
Named compare_fields(const at::Tensor& dense, const at::Tensor& sparse) {
  const at::Tensor d = dense[0].to(at::kFloat);
  const at::Tensor s = sparse[0].to(at::kFloat);
  const at::Tensor evaluated = ~at::isnan(s);
  const at::Tensor diff = at::where(evaluated, (d - s).abs(), at::zeros_like(d));
  const at::Tensor flipped = evaluated & ((d > 0) != (s > 0));
  const at::Tensor inside = (d > 0).to(at::kFloat).unsqueeze(0).unsqueeze(0);
  // a cell is crossed when its 8 corners are neither all inside nor all outside
  const at::Tensor corners_in = at::avg_pool3d(inside, 2, 1) * 8;
  const at::Tensor crossed = (corners_in > 0.5) & (corners_in < 7.5);
  const at::Tensor missing = at::max_pool3d((~evaluated).to(at::kFloat).unsqueeze(0).unsqueeze(0), 2, 1) > 0.5;
  const auto scalar = [](const at::Tensor& t) { return t.to(at::kFloat).reshape({1}).to(at::kCPU); };
  Named out;
  out["hier.max_diff"] = scalar(diff.max());
  out["hier.sign_flips"] = scalar(flipped.sum());
  out["hier.sign_flips_beyond_tolerance"] = scalar((flipped & (d.abs() >= kSignTolerance)).sum());
  out["hier.sign_tolerance"] = at::full({1}, kSignTolerance);
  out["hier.evaluated"] = scalar(evaluated.sum());
  out["hier.points"] = at::full({1}, static_cast<double>(d.numel()));
  out["hier.crossed_cells"] = scalar(crossed.sum());
  out["hier.crossed_unevaluated"] = scalar((crossed & missing).sum());
  return out;
}

// An error's message as a float32 tensor of its character codes ('<case>.error'), for compare.py:
// a case that fails on our side becomes a FAIL row with the message instead of ending the run.
at::Tensor error_tensor(const std::string& message) {
  std::vector<float> codes(message.begin(), message.end());
  return at::tensor(codes, at::kFloat);
}

std::vector<std::int64_t> int_list(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// The multi-view folder's images view<k>.png through our prepare_reference_image, stacked as the
// reference's MVImageProcessorV2 stacks them: [1, views, 3, 512, 512] in index order.
Result<at::Tensor> prepare_views(const fs::path& dir, std::int64_t views) {
  std::vector<at::Tensor> prepared;
  for (std::int64_t k = 0; k < views; ++k) {
    ORFEAS_ASSIGN_OR_RETURN(image::ImageRgba8 rgba,
                            image::load_image_file(dir / ("view" + std::to_string(k) + ".png"), {}));
    ORFEAS_ASSIGN_OR_RETURN(at::Tensor one, engine::prepare_reference_image(rgba));
    prepared.push_back(one);
  }
  return at::cat(prepared, 0).unsqueeze(0);
}

// The mesh cases of one octree resolution (keys 'mesh.<R>.' and 'hier.<R>.'): our marching cubes of
// the dense volume as the hunyuan3d backend hands it over; the hierarchical field against the dense
// one; the hierarchical mesh as the backend hands it over (unevaluated points take their coarse
// level's value) and with volume_decoding.h's NaN rule.
Status mesh_cases(const engine::Hunyuan3DPipeline& pipeline, const at::Tensor& latents, int octree, Named& out) {
  engine::GenerateOptions options;
  options.octree_resolution = octree;
  const std::string mesh_key = "mesh." + std::to_string(octree);
  const std::string hier_key = "hier." + std::to_string(octree);
  ORFEAS_ASSIGN_OR_RETURN(at::Tensor dense, pipeline.decode(latents, options));
  if (const Status meshed = put_mesh(out, mesh_key, dense[0], octree); !meshed)
    std::printf("our marching cubes (dense, %d): %s\n", octree, meshed.error().message().c_str());
  options.decoder = engine::VolumeDecoder::kHierarchical;
  ORFEAS_ASSIGN_OR_RETURN(at::Tensor sparse, pipeline.decode(latents, options));
  for (auto& [name, t] : compare_fields(dense, sparse)) out[hier_key + name.substr(std::string("hier").size())] = t;
  dense = at::Tensor();
  options.unevaluated = engine::Unevaluated::kCoarseValue;
  ORFEAS_ASSIGN_OR_RETURN(at::Tensor filled, pipeline.decode(latents, options));
  if (const Status meshed = put_mesh(out, hier_key + ".mesh", filled[0], octree); !meshed)
    std::printf("our marching cubes (hierarchical, %d): %s\n", octree, meshed.error().message().c_str());
  filled = at::Tensor();
  if (const Status meshed = put_mesh(out, hier_key + ".rule_mesh", sparse[0], octree, true); !meshed)
    std::printf("our marching cubes (hierarchical, NaN rule, %d): %s\n", octree, meshed.error().message().c_str());
  return ok();
}

Status run_dtype(const models::ModelFolder& folder, const std::string& dname, at::Device device) {
  const at::ScalarType dtype = *dtype_of(dname);
  ORFEAS_ASSIGN_OR_RETURN(Named io, read_tensors(folder.dir / ("io." + dname + ".safetensors")));
  ORFEAS_ASSIGN_OR_RETURN(auto file, models::SafetensorsFile::open(folder.weights_path));
  engine::LoadReport report;
  ORFEAS_ASSIGN_OR_RETURN(engine::Weights all, engine::load_weights(*file, "", device, dtype, &report));
  std::printf("%s %s: %zu tensors loaded in %.1f s (%s)\n", folder.dir.filename().c_str(), dname.c_str(),
              report.tensors, report.seconds, std::string(folder.variant_name()).c_str());
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
    // single view: [1, 3, 512, 512]; multi-view: [1, V, 3, 512, 512], encoded in index order 0..V−1
    out["cond.out"] = conditioner.encode(io.at("cond.image"), dtype, device);
    if (io.contains("cond2.image")) {  // multi-view with the views named (front + back: 0, 2)
      out["cond2.out"] =
          conditioner.encode_views(io.at("cond2.image"), {int_list(io.at("cond2.views"))}, dtype, device);
    }
    if (config.dino.views > 0 && fs::exists(folder.dir / "view0.png")) {
      ORFEAS_ASSIGN_OR_RETURN(out["prep.out"], prepare_views(folder.dir, io.at("cond.image").size(1)));
    } else if (fs::exists(folder.dir / "reference.png")) {
      ORFEAS_ASSIGN_OR_RETURN(image::ImageRgba8 rgba, image::load_image_file(folder.dir / "reference.png", {}));
      ORFEAS_ASSIGN_OR_RETURN(out["prep.out"], engine::prepare_reference_image(rgba));
    }
    std::optional<at::Tensor> guidance;
    if (io.contains("dit.guidance")) guidance = dev("dit.guidance");
    std::optional<engine::Hunyuan3DDit> dit;
    if (const auto* dit_config = std::get_if<models::Hunyuan3DDitConfig>(&config.denoiser)) {
      ORFEAS_ASSIGN_OR_RETURN(dit, engine::Hunyuan3DDit::load(all.scope("model."), *dit_config));
      out["dit.out"] = dit->forward(dev("dit.x"), dev("dit.t"), dev("dit.cond"), guidance);
    } else {
      const auto& plain_config = std::get<models::HunyuanDitPlainConfig>(config.denoiser);
      ORFEAS_ASSIGN_OR_RETURN(engine::HunyuanDitPlain plain,
                              engine::HunyuanDitPlain::load(all.scope("model."), plain_config));
      out["dit.out"] = plain.forward(dev("dit.x"), dev("dit.t"), dev("dit.cond"));
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
      if (io.contains("mesh.octrees"))
        for (const std::int64_t octree : int_list(io.at("mesh.octrees")))
          ORFEAS_RETURN_IF_ERROR(mesh_cases(*pipeline, latents, static_cast<int>(octree), out));

      if (io.contains("sample2.steps") && dit) {
        // Two views: through Hunyuan3DPipeline::latents (views in index order), and composed from
        // the engine's parts as the reference's pipeline composes them (encode_views with the view
        // indices, zeros of the views' token count as the unconditional context, sample_latents).
        const at::Tensor images = io.at("sample2.image");
        options.steps = static_cast<int>(io.at("sample2.steps").item<std::int64_t>());
        auto via_pipeline = pipeline->latents(images, options);
        if (via_pipeline) {
          out["sample2.out"] = *via_pipeline;
        } else {
          std::printf("%s %s: Hunyuan3DPipeline::latents on %lld views: %s\n", folder.dir.filename().c_str(),
                      dname.c_str(), static_cast<long long>(images.size(1)), via_pipeline.error().message().c_str());
          out["sample2.error"] = error_tensor(via_pipeline.error().message());
        }
        engine::SamplingOptions sampling;
        sampling.steps = *options.steps;
        sampling.guidance_scale = options.guidance_scale;
        sampling.guidance_embedded = config.guidance_embed();
        const at::Tensor cond = conditioner.encode_views(images, {int_list(io.at("sample2.views"))}, dtype, device);
        const at::Tensor uncond = conditioner.unconditional(images.size(0), images.size(1));
        const at::Tensor noise =
            engine::initial_noise({images.size(0), config.vae.num_latents, config.vae.embed_dim}, 0, dtype, device);
        const engine::Denoise denoise = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                                            const std::optional<at::Tensor>& g) {
          return dit->forward(x, t, context, g);
        };
        out["sample2c.out"] = engine::sample_latents(denoise, noise, cond, uncond, sampling);
      }
    }
  } catch (const c10::Error& e) {
    return tl::unexpected(engine::torch_error(e, "running the parity cases"));
  }
  ORFEAS_RETURN_IF_ERROR(write_tensors(folder.dir / ("ours." + dname + ".safetensors"), out));
  std::printf("%s %s: %zu outputs written\n", folder.dir.filename().c_str(), dname.c_str(), out.size());
  return ok();
}

// Tiny models with inputs only: the local dry run of the whole flow (no reference).
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

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

Status write_io(const fs::path& path, const Named& io) {
  std::vector<models::TensorToWrite> io_list;
  std::vector<at::Tensor> keep;
  for (const auto& [name, t] : io) {
    keep.push_back(t.contiguous());
    io_list.push_back({name,
                       t.scalar_type() == at::kLong ? models::DType::kI64 : models::DType::kF32,
                       t.sizes().vec(),
                       {static_cast<const std::byte*>(keep.back().data_ptr()), static_cast<std::size_t>(t.nbytes())}});
  }
  return models::write_safetensors(path, io_list);
}

// Three tiny folders: v2-0-style (sampling and the mesh cases at two resolutions), -fast-style
// (guidance_embed) and mv-style (DinoImageEncoderMV: four views, two named views, two-view sampling).
Status make_tiny(const fs::path& root) {
  const std::string fast = replaced(kTinyConfig, "guidance_embed: false", "guidance_embed: true");
  ORFEAS_ASSIGN_OR_RETURN(const std::string mv, engine::multiview_config(kTinyConfig));
  for (const auto& [name, config] :
       {std::pair<std::string, std::string>{"v2-0-tiny", kTinyConfig}, {"v2-0-fast-tiny", fast}, {"v2-mv-tiny", mv}}) {
    const fs::path dir = root / ("hunyuan3d-dit-" + name);
    const bool multiview = name == "v2-mv-tiny";
    const std::int64_t views = multiview ? 4 : 1;
    ORFEAS_RETURN_IF_ERROR(engine::write_random_model(dir, config, 1, at::kHalf));
    at::manual_seed(0);
    Named io;
    io["dino.pixels"] = at::randn({1, 3, 28, 28});
    io["cond.image"] = multiview ? at::rand({1, 4, 3, 512, 512}) * 2 - 1 : at::rand({1, 3, 512, 512}) * 2 - 1;
    io["dit.x"] = at::randn({2, 64, 64});
    io["dit.t"] = at::tensor({0.37F, 0.905F});
    io["dit.cond"] = at::randn({2, 5 * views, 32});
    io["dit.guidance"] = at::tensor({5.0F, 5.0F});
    io["vae.latents"] = at::randn({1, 64, 64});
    io["geo.points"] = at::rand({1, 500, 3}) * 2 - 1;
    io["sample.steps"] = at::tensor({3}, at::kLong);
    if (name == "v2-0-tiny") io["mesh.octrees"] = at::tensor({16, 24}, at::kLong);
    if (multiview) {
      io["cond2.image"] = at::rand({1, 2, 3, 512, 512}) * 2 - 1;
      io["cond2.views"] = at::tensor({0, 2}, at::kLong);
      io["sample2.image"] = io["cond2.image"];
      io["sample2.views"] = at::tensor({0, 1}, at::kLong);
      io["sample2.steps"] = at::tensor({2}, at::kLong);
    }
    ORFEAS_RETURN_IF_ERROR(write_io(dir / "io.fp32.safetensors", io));
  }
  return ok();
}

// ---------------------------------------------------------------------------------------------
// --bench: Hunyuan3DPipeline end to end, per stage (docs/benchmarks.md).

// LibTorch's caching allocator: the peak of allocated bytes on device 0 since the last reset (0 when
// this build cannot read it: a CPU LibTorch, or ORFEAS_PARITY_WITH_ALLOC_STATS off).
void reset_torch_peak() {
#if defined(ORFEAS_PARITY_ALLOC_STATS)
  c10::cuda::CUDACachingAllocator::resetPeakStats(0);
#endif
}
double torch_peak_gib() {
#if defined(ORFEAS_PARITY_ALLOC_STATS)
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(0);
  return static_cast<double>(stats.allocated_bytes[0].peak) / (1U << 30U);
#else
  return 0.0;
#endif
}

struct BenchCase {
  int steps;
  int octree;
  engine::VolumeDecoder decoder;
};

struct BenchDevice {
  gpu::Device device;
  std::unique_ptr<gpu::MemoryPool> pool;
  std::unique_ptr<gpu::Stream> stream;
};

Result<BenchDevice> bench_device(bool cuda) {
  BenchDevice out;
  if (cuda) {
    ORFEAS_ASSIGN_OR_RETURN(out.pool, gpu::create_cuda_memory_pool(0));
    ORFEAS_ASSIGN_OR_RETURN(out.stream, gpu::create_cuda_stream(0));
    out.device = {{gpu::DeviceKind::kCuda, 0}, out.pool.get(), out.stream->native()};
  } else {
    ORFEAS_ASSIGN_OR_RETURN(auto host, gpu::HostMemoryPool::create({}));
    out.pool = std::move(host);
    out.device = {{gpu::DeviceKind::kCpu, 0}, out.pool.get(), nullptr};
  }
  return out;
}

Status synchronize(bool cuda) {
  return cuda ? gpu::cuda_synchronize(0) : ok();
}

// One run of the pipeline as the hunyuan3d backend drives it; the stage times in seconds as JSON.
Result<std::string> bench_once(const engine::Hunyuan3DPipeline& pipeline, const at::Tensor& image, const BenchCase& c,
                               BenchDevice& bench, bool cuda) {
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  engine::GenerateOptions options;
  options.steps = c.steps;
  options.octree_resolution = c.octree;
  options.decoder = c.decoder;
  options.unevaluated = engine::Unevaluated::kCoarseValue;  // as the hunyuan3d backend asks
  ORFEAS_RETURN_IF_ERROR(synchronize(cuda));
  reset_torch_peak();
  bench.pool->reset_peak();
  const auto t0 = Clock::now();
  ORFEAS_ASSIGN_OR_RETURN(const at::Tensor latents, pipeline.latents(image, options));
  ORFEAS_RETURN_IF_ERROR(synchronize(cuda));
  const auto t1 = Clock::now();
  engine::HierarchicalStats stats;
  ORFEAS_ASSIGN_OR_RETURN(const at::Tensor logits, pipeline.decode(latents, options, {}, &stats));
  ORFEAS_RETURN_IF_ERROR(synchronize(cuda));
  const auto t2 = Clock::now();
  // the hand-over and the mesh stage, as shape/hunyuan3d_backend.cpp and the pipeline run them
  const GridGeometry grid = reference_grid(c.octree, options.bounds);
  ORFEAS_ASSIGN_OR_RETURN(gpu::DeviceScalarVolume volume, gpu::allocate_volume(grid, *bench.pool, bench.device.stream));
  const int n = c.octree + 1;
  try {
    at::Tensor target = at::from_blob(volume.data(), {n, n, n}, logits.options().dtype(at::kFloat));
    target.copy_(handed_over_volume(logits[0]));
  } catch (const c10::Error& e) {
    return tl::unexpected(engine::torch_error(e, "handing the volume over"));
  }
  ORFEAS_RETURN_IF_ERROR(synchronize(cuda));
  const auto t3 = Clock::now();
  const gpu::DeviceScalarVolume* volumes[] = {&volume};
  ORFEAS_ASSIGN_OR_RETURN(mesh::MeshBatch meshes, mesh::extract_surfaces(bench.device, volumes));
  ORFEAS_RETURN_IF_ERROR(synchronize(cuda));
  const auto t4 = Clock::now();
  if (meshes.empty() || !meshes[0]) return make_error(ErrorCode::kInternal, "no mesh");
  const double points = std::pow(static_cast<double>(n), 3);
  const double evaluated =
      c.decoder == engine::VolumeDecoder::kDense ? 1.0 : static_cast<double>(stats.evaluated) / points;
  char line[768];
  std::snprintf(line, sizeof line,
                "{\"side\": \"orfeas\", \"steps\": %d, \"octree\": %d, \"decoder\": \"%s\", \"diffusion_s\": %.4f, "
                "\"decoding_s\": %.4f, \"handover_s\": %.4f, \"marching_cubes_s\": %.4f, \"total_s\": %.4f, "
                "\"peak_torch_allocated_gib\": %.3f, \"peak_mesh_pool_gib\": %.3f, \"vertices\": %zu, "
                "\"faces\": %zu, \"evaluated_share\": %.4f}",
                c.steps, c.octree, c.decoder == engine::VolumeDecoder::kDense ? "dense" : "hierarchical",
                seconds(t0, t1), seconds(t1, t2), seconds(t2, t3), seconds(t3, t4), seconds(t0, t4), torch_peak_gib(),
                static_cast<double>(bench.pool->stats().peak_allocated_bytes) / (1U << 30U),
                meshes[0]->positions.size(), meshes[0]->triangles.size(), evaluated);
  return std::string(line);
}

Status bench(const fs::path& model_dir, const fs::path& json_path, bool small) {
  const bool cuda = at::hasCUDA();
  const at::Device device = cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  engine::LoadReport report;
  ORFEAS_ASSIGN_OR_RETURN(auto pipeline,
                          engine::Hunyuan3DPipeline::load(model_dir, device, cuda ? at::kHalf : at::kFloat, &report));
  std::printf("bench: %zu tensors loaded in %.1f s\n", report.tensors, report.seconds);
  ORFEAS_ASSIGN_OR_RETURN(image::ImageRgba8 rgba, image::load_image_file(model_dir / "reference.png", {}));
  ORFEAS_ASSIGN_OR_RETURN(const at::Tensor image, engine::prepare_reference_image(rgba));
  ORFEAS_ASSIGN_OR_RETURN(BenchDevice bench_dev, bench_device(cuda));
  using engine::VolumeDecoder;
  // the first is the warm-up (CUDA context, cuBLAS handles and kernels, the pool's first blocks)
  std::vector<BenchCase> cases = {{30, 256, VolumeDecoder::kDense},
                                  {30, 256, VolumeDecoder::kDense},
                                  {50, 384, VolumeDecoder::kDense},
                                  {50, 384, VolumeDecoder::kHierarchical}};
  if (small)
    cases = {{2, 16, VolumeDecoder::kDense}, {3, 32, VolumeDecoder::kDense}, {3, 64, VolumeDecoder::kHierarchical}};
  std::string json = "[\n";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ORFEAS_ASSIGN_OR_RETURN(std::string line, bench_once(*pipeline, image, cases[i], bench_dev, cuda));
    if (i == 0) line.insert(line.size() - 1, ", \"warmup\": true");
    std::printf("bench %s\n", line.c_str());
    json += "  " + line + (i + 1 < cases.size() ? ",\n" : "\n");
  }
  json += "]\n";
  std::ofstream file(json_path);
  file << json;
  if (!file) return make_error(ErrorCode::kIoError, "cannot write " + json_path.string());
  return ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--make-tiny") {
    const Status made = make_tiny(argv[2]);
    if (!made) std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return made ? 0 : 1;
  }
  if (argc >= 4 && std::string(argv[1]) == "--bench") {
    const Status done = bench(argv[2], argv[3], argc == 5 && std::string(argv[4]) == "--small");
    if (!done) std::fprintf(stderr, "bench: %s\n", done.error().message().c_str());
    return done ? 0 : 1;
  }
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: orfeas_parity DIR | orfeas_parity --make-tiny DIR | orfeas_parity --bench MODEL_DIR OUT.json "
                 "[--small]\n");
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
