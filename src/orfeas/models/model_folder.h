// Finding the files of an official Hunyuan3D-2 model on disk, and which model it is.
//
// A DiT folder (hub layout: `<repo>/hunyuan3d-dit-v2-0/`, `Hunyuan3D-2mini/hunyuan3d-dit-v2-mini-turbo/`,
// `Hunyuan3D-2.1/hunyuan3d-dit-v2-1/`, ...) holds
//   config.yaml                 model, vae, conditioner, scheduler, image_processor (model_config.h)
//   model.fp16.safetensors      preferred, else model.safetensors; flat keys prefixed by the
//                               sub-module: "model.", "vae.", "conditioner." (split on the first dot)
// A standalone VAE folder (`hunyuan3d-vae-v2-0`, `-turbo`, `-withencoder`, `hunyuan3d-vae-v2-mini*`,
// `hunyuan3d-vae-v2-1`) holds a config.yaml with top-level `params` and a safetensors file of
// unprefixed ShapeVAE keys.
//
//   ORFEAS_ASSIGN_OR_RETURN(models::ModelFolder folder, models::locate_model("/models/Hunyuan3D-2"));
//   log("{}{}", folder.variant_name(), folder.note);     // "v2-0", "used hunyuan3d-dit-v2-0 ..."
//   ORFEAS_ASSIGN_OR_RETURN(auto weights, models::SafetensorsFile::open(folder.weights_path));
//
// `dir` may also be a parent folder (a hub repository): with exactly one `hunyuan3d-dit-*` (or for
// locate_vae `hunyuan3d-vae-*`) folder inside it, that one is used and `note` says so; with
// several, the error lists them. A folder that holds only the pickled `model.fp16.ckpt` /
// `model.ckpt` gets kNotFound with a one-line Python command that converts it to safetensors.
//
// Errors: kNotFound (no folder, no config.yaml, no weights, .ckpt only), kInvalidArgument
// (several candidate folders), and read_pipeline_config's / read_vae_config's errors.
// Locating reads config.yaml only; the weights are opened by the caller.
// Thread-safety: pure functions over the file system.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/models/model_config.h"

namespace orfeas::models {

// The released DiT models; names are the hub folder names less "hunyuan3d-dit-".
// -fast: guidance-distilled (guidance_embed, no CFG batch); -turbo: step-distilled (consistency
// scheduler, 5 steps), v2-1: Hunyuan3D-2.1 (HunYuanDiTPlain).
enum class ModelVariant {
  kV2_0,            // "v2-0"
  kV2_0Fast,        // "v2-0-fast"
  kV2_0Turbo,       // "v2-0-turbo"
  kMini,            // "v2-mini"
  kMiniFast,        // "v2-mini-fast"
  kMiniTurbo,       // "v2-mini-turbo"
  kMultiView,       // "v2-mv"
  kMultiViewFast,   // "v2-mv-fast"
  kMultiViewTurbo,  // "v2-mv-turbo"
  kV2_1,            // "v2-1"
};

[[nodiscard]] std::string_view variant_name(ModelVariant variant);

// Which model a config (and, where the config cannot tell, the folder's name) describes. The config
// decides what it can: HunYuanDiTPlain is v2-1; DinoImageEncoderMV is mv; a consistency scheduler is
// turbo; guidance_embed is fast (or turbo, when the folder's name says turbo). Mini and v2-0 share
// one architecture at different sizes: the name decides ("mini" in it), else the geometry (8 double
// and 16 single blocks is mini). The variant is a label for messages and defaults (step counts);
// the computation follows the config alone.
[[nodiscard]] ModelVariant detect_variant(const PipelineConfig& config, std::string_view folder_name);

struct ModelFolder {
  std::filesystem::path dir;           // the folder holding config.yaml
  std::filesystem::path config_path;   // dir / "config.yaml"
  std::filesystem::path weights_path;  // dir / "model.fp16.safetensors" or dir / "model.safetensors"
  PipelineConfig config;
  ModelVariant variant = ModelVariant::kV2_0;
  std::string note;  // non-empty when `dir` was found inside the folder given: which one, and why

  [[nodiscard]] std::string_view variant_name() const { return models::variant_name(variant); }
};

struct VaeFolder {
  std::filesystem::path dir;
  std::filesystem::path config_path;
  std::filesystem::path weights_path;  // keys unprefixed ("post_kl.weight", "geo_decoder....")
  ShapeVaeConfig config;
  std::string note;
};

[[nodiscard]] Result<ModelFolder> locate_model(const std::filesystem::path& dir);
[[nodiscard]] Result<VaeFolder> locate_vae(const std::filesystem::path& dir);

}  // namespace orfeas::models
