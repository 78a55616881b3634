// NvmlProbe: device readings from NVIDIA's management library, loaded at run time with dlopen
// (libnvidia-ml.so.1 ships with the driver, not the toolkit), so the same binary runs on machines
// without a driver — create() then returns kUnavailable and the caller falls back to CPU mode.
//
//   auto probe = gpu::NvmlProbe::create();
//   if (!probe) log(probe.error().message());  // "cannot load libnvidia-ml.so.1: …"
//
// Only the documented C ABI is used (no nvml.h needed): nvmlInit_v2/nvmlShutdown, the device count
// and handles, name, UUID, PCI info (optional: _v3, else _v2), memory info, utilisation rates (the real busy
// percentages), temperature, power usage and enforced limit, running compute processes (_v3) and nvmlErrorString. An
// optional query that fails (NVML_ERROR_NOT_SUPPORTED, NO_PERMISSION, …) leaves its field empty.
//
// Readings are numbered as CUDA numbers the devices (device_probe.h, match_cuda_devices): CUDA's
// identities are read once, at create().
//
// Thread-safety: read() may be called from any thread (NVML is thread-safe).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orfeas/gpu/device_probe.h"

namespace orfeas::gpu {

class NvmlProbe final : public DeviceProbe {
 public:
  struct Options {
    std::string library = "libnvidia-ml.so.1";  // a path or a name for the dynamic loader
    // Who CUDA's devices are (tests pass their own). Unset: cuda_device_identities() in a CUDA
    // build; NVML's own order in a build without CUDA, where nothing runs on a device anyway.
    std::function<Result<std::vector<CudaDeviceIdentity>>()> cuda_devices = {};
  };
  // kUnavailable when the library is missing, lacks a function, fails to initialise (no driver),
  // or sees no device; CUDA's error when its devices cannot be identified.
  [[nodiscard]] static Result<std::unique_ptr<NvmlProbe>> create(const Options& options);
  [[nodiscard]] static Result<std::unique_ptr<NvmlProbe>> create() { return create(Options{}); }
  ~NvmlProbe() override;

  [[nodiscard]] Result<std::vector<DeviceReading>> read() override;
  [[nodiscard]] std::string_view source() const override { return "nvml"; }

 private:
  struct Api;
  NvmlProbe(std::unique_ptr<Api> api, std::optional<std::vector<CudaDeviceIdentity>> cuda_devices);

  std::unique_ptr<Api> api_;  // owns the library handle; nvmlShutdown runs before it closes
  const std::optional<std::vector<CudaDeviceIdentity>> cuda_devices_;  // empty: NVML's order
};

}  // namespace orfeas::gpu
