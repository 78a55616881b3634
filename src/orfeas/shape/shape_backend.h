// Stage `shape_generation`: a batch of preprocessed images (square canvas + object mask) → one
// scalar volume each, negative inside the object, on the backend's device.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto backend, create_shape_backend("inflate", device));
//   ORFEAS_ASSIGN_OR_RETURN(auto volumes, backend->generate(images, options, progress));
//   for (auto& volume : volumes) { if (!volume) report(volume.error()); else mesh(*volume); }
//
// Every backend fills the cube [-1, 1]^3 of model space with (resolution + 1)^3 grid points, the
// canvas mapping onto x, y ∈ [-1, 1] (see image/preprocess.h) and z pointing at the viewer. The
// volumes live in the device's pool (gpu/device_volume.h): host memory on the CPU, device memory on
// a GPU; mesh extraction (mesh/surface_extraction.h) takes them from there.
//
// Backends are created for one device; the factory picks the implementation for its kind at run
// time (a CUDA implementation lives in shape/cuda/ and reports kUnavailable in builds without
// CUDA). Each states what a batch needs in memory, so the optimizer can size batches.
//
// Thread-safety: a backend is immutable after creation; generate() may run concurrently (on one
// CUDA stream such calls are serialised by the stream).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/progress.h"
#include "orfeas/core/status.h"
#include "orfeas/gpu/device.h"
#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/memory_need.h"
#include "orfeas/image/preprocess.h"
#include "orfeas/profiling/batch_scope.h"

namespace orfeas::shape {

// The hunyuan3d backend's settings (the native Hunyuan3D-2 engine; see engine/hunyuan3d_pipeline.h).
struct Hunyuan3DSettings {
  std::filesystem::path model_dir;  // a DiT folder in the official layout (config.yaml + safetensors)
  int steps = 0;                    // diffusion steps; 0: the model's default (50; 5 for -turbo)
  double guidance_scale = 5.0;
  std::uint64_t seed = 0;
  std::string dtype = "auto";      // bf16 | fp16 | fp32 | auto (fp16 on a GPU, fp32 on the CPU)
  std::string decoder = "dense";   // dense | hierarchical
  std::int64_t num_chunks = 8000;  // query points per geometry-decoder call
};

struct ShapeOptions {
  int resolution = 256;    // grid cells per axis, [8, 1024] (hunyuan3d: the octree resolution)
  float thickness = 1.0F;  // depth scale of the inflation: 1 makes a disc a sphere, (0, 4]
  // inflate: the least front-to-back thickness of the object's inner parts, model units, [0, 2];
  // 0: none. The pipeline derives it from its min_thickness_mm (pipeline.h).
  float min_thickness = 0.0F;
  Hunyuan3DSettings hunyuan3d{};
};

[[nodiscard]] Status validate(const ShapeOptions& options);

// The grid every backend samples: (resolution + 1)^3 points over [-1, 1]^3.
[[nodiscard]] GridGeometry volume_grid(const ShapeOptions& options);

// A backend's weights, as they were loaded: by the first backend of the process that named them
// (later ones share them, and report that first load with `shared` set).
struct ModelLoad {
  std::string model;   // the folder's name: "hunyuan3d-dit-v2-0"
  std::string device;  // "cpu", "cuda:0"
  std::string dtype;   // "fp16", "bf16", "fp32"
  double seconds = 0.0;
  std::size_t tensors = 0;
  std::uint64_t file_bytes = 0;       // read from the checkpoint
  std::uint64_t device_bytes = 0;     // held by the converted weights
  std::uint64_t peak_host_bytes = 0;  // the process's peak resident memory after the load
  bool shared = false;                // this backend found the weights loaded already
};

// "loaded hunyuan3d-dit-v2-0 (fp16 on cuda:0): 1 021 tensors, 4.93 GB read, 4.93 GB on the device,
// in 3.21 s; peak host memory 5.10 GB" — one line, for the CLI and the server's log.
[[nodiscard]] std::string describe(const ModelLoad& load);

// One volume per image of a batch, in input order. An item that cannot be made (an empty mask) is
// that item's error; the others go on.
using VolumeBatch = std::vector<Result<gpu::DeviceScalarVolume>>;

class ShapeBackend {
 public:
  virtual ~ShapeBackend() = default;
  ShapeBackend() = default;
  ShapeBackend(const ShapeBackend&) = delete;
  ShapeBackend& operator=(const ShapeBackend&) = delete;

  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual const gpu::Device& device() const = 0;

  // The weights behind this backend; nullopt for a backend without any (inflate).
  [[nodiscard]] virtual std::optional<ModelLoad> model_load() const { return std::nullopt; }

  // What one batch needs on the device: weights once, the volume and working buffers per item.
  [[nodiscard]] virtual gpu::MemoryNeed memory_need(const ShapeOptions& options) const = 0;

  // The whole batch's volumes, resident together in the device's pool. Fails as a whole only for
  // the batch: kOutOfMemory when the pool cannot hold it (nothing stays allocated; split and
  // retry), kInternal for a device failure. `progress` hears step k of n for the batch; a backend
  // with phases worth timing opens them as sub-stages on `profile` (profiling/batch_scope.h: empty,
  // or one target per image).
  [[nodiscard]] virtual Result<VolumeBatch> generate(std::span<const image::PreprocessedImage* const> images,
                                                     const ShapeOptions& options, const StepProgress& progress = {},
                                                     profiling::ScopeTargets profile = {}) const = 0;
};

// The names create_shape_backend() accepts, in the order the CLI lists them.
[[nodiscard]] std::vector<std::string> shape_backend_names();

// kInvalidArgument for an unknown name; kUnavailable when the backend has no implementation for
// the device's kind in this build. `options` configures a backend that loads a model (hunyuan3d:
// its folder, dtype); a model is loaded once per process and shared by the backends that use it.
[[nodiscard]] Result<std::unique_ptr<ShapeBackend>> create_shape_backend(std::string_view name,
                                                                         const gpu::Device& device,
                                                                         const ShapeOptions& options = {});

}  // namespace orfeas::shape
