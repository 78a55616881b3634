#include "orfeas/gpu/nvml_probe.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "orfeas/gpu/shared_library.h"

namespace orfeas::gpu {
namespace {

// The few NVML declarations we need, from the documented C ABI (nvml.h, CUDA 11+ drivers).
using NvmlReturn = int;  // nvmlReturn_t
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr NvmlReturn kNvmlInsufficientSize = 7;
using NvmlDevice = struct NvmlDeviceOpaque*;  // nvmlDevice_t
struct NvmlMemory {                           // nvmlMemory_t (v1)
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct NvmlUtilization {  // nvmlUtilization_t
  unsigned int gpu;
  unsigned int memory;
};
struct NvmlProcessInfo {  // nvmlProcessInfo_t, as filled by nvmlDeviceGetComputeRunningProcesses_v3
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};
struct NvmlPciInfo {  // nvmlPciInfo_t, as filled by nvmlDeviceGetPciInfo_v3 (and _v2)
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_subsystem_id;
  char bus_id[32];  // "00000000:3B:00.0"
};
constexpr unsigned long long kNvmlValueNotAvailable = ~0ULL;
constexpr unsigned int kNvmlTemperatureGpu = 0;
constexpr unsigned int kNvmlStringBuffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE, ..._UUID_V2_...

}  // namespace

struct NvmlProbe::Api {
  explicit Api(SharedLibrary lib) : library(std::move(lib)) {}
  SharedLibrary library;
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  const char* (*error_string)(NvmlReturn) = nullptr;
  NvmlReturn (*device_count)(unsigned int*) = nullptr;
  NvmlReturn (*handle_by_index)(unsigned int, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned int) = nullptr;
  NvmlReturn (*uuid)(NvmlDevice, char*, unsigned int) = nullptr;
  NvmlReturn (*pci_info)(NvmlDevice, NvmlPciInfo*) = nullptr;  // optional
  NvmlReturn (*memory_info)(NvmlDevice, NvmlMemory*) = nullptr;
  NvmlReturn (*utilization)(NvmlDevice, NvmlUtilization*) = nullptr;
  NvmlReturn (*temperature)(NvmlDevice, unsigned int, unsigned int*) = nullptr;
  NvmlReturn (*power_usage)(NvmlDevice, unsigned int*) = nullptr;  // milliwatts
  NvmlReturn (*power_limit)(NvmlDevice, unsigned int*) = nullptr;  // milliwatts
  NvmlReturn (*processes)(NvmlDevice, unsigned int*, NvmlProcessInfo*) = nullptr;
  bool initialised = false;

  [[nodiscard]] std::string message(std::string_view call, NvmlReturn code) const {
    const char* text = error_string != nullptr ? error_string(code) : nullptr;
    return fmt::format("NVML {}: {} ({})", call, text != nullptr ? text : "error", code);
  }
};

namespace {

template <class Function>
Status resolve(const SharedLibrary& library, const char* symbol, Function* out) {
  ORFEAS_ASSIGN_OR_RETURN(*out, library.symbol<Function>(symbol));
  return ok();
}

}  // namespace

Result<std::unique_ptr<NvmlProbe>> NvmlProbe::create(const Options& options) {
  ORFEAS_ASSIGN_OR_RETURN(SharedLibrary library, SharedLibrary::open(options.library));
  auto api = std::make_unique<Api>(std::move(library));
  const SharedLibrary& lib = api->library;
  const std::string context = fmt::format("NVML ({})", options.library);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlInit_v2", &api->init), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlShutdown", &api->shutdown), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlErrorString", &api->error_string), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetCount_v2", &api->device_count), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetHandleByIndex_v2", &api->handle_by_index), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetName", &api->name), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetUUID", &api->uuid), context);
  if (!resolve(lib, "nvmlDeviceGetPciInfo_v3", &api->pci_info)) {
    (void)resolve(lib, "nvmlDeviceGetPciInfo_v2", &api->pci_info);  // older drivers; else no bus id
  }
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetMemoryInfo", &api->memory_info), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetUtilizationRates", &api->utilization), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetTemperature", &api->temperature), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetPowerUsage", &api->power_usage), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetEnforcedPowerLimit", &api->power_limit), context);
  ORFEAS_RETURN_IF_ERROR_CTX(resolve(lib, "nvmlDeviceGetComputeRunningProcesses_v3", &api->processes), context);

  if (const NvmlReturn code = api->init(); code != kNvmlSuccess) {
    return make_error(ErrorCode::kUnavailable, api->message("nvmlInit_v2", code) + " — is the NVIDIA driver loaded?");
  }
  api->initialised = true;
  unsigned int count = 0;
  if (const NvmlReturn code = api->device_count(&count); code != kNvmlSuccess) {
    return make_error(ErrorCode::kUnavailable, api->message("nvmlDeviceGetCount_v2", code));
  }
  if (count == 0) return make_error(ErrorCode::kUnavailable, "NVML works but sees no GPU on this machine");
  std::optional<std::vector<CudaDeviceIdentity>> cuda_devices;
  if (options.cuda_devices) {
    ORFEAS_ASSIGN_OR_RETURN_CTX(cuda_devices, options.cuda_devices(), context);
  } else if (cuda_compiled_in()) {
    ORFEAS_ASSIGN_OR_RETURN_CTX(cuda_devices, cuda_device_identities(), context);
  }
  return std::unique_ptr<NvmlProbe>(new NvmlProbe(std::move(api), std::move(cuda_devices)));
}

NvmlProbe::NvmlProbe(std::unique_ptr<Api> api, std::optional<std::vector<CudaDeviceIdentity>> cuda_devices)
    : api_(std::move(api)), cuda_devices_(std::move(cuda_devices)) {}

NvmlProbe::~NvmlProbe() {
  if (api_ && api_->initialised) api_->shutdown();
}

Result<std::vector<DeviceReading>> NvmlProbe::read() {
  const Api& api = *api_;
  unsigned int count = 0;
  if (const NvmlReturn code = api.device_count(&count); code != kNvmlSuccess) {
    return make_error(ErrorCode::kUnavailable, api.message("nvmlDeviceGetCount_v2", code));
  }
  std::vector<DeviceReading> readings;
  readings.reserve(count);
  for (unsigned int index = 0; index < count; ++index) {
    NvmlDevice device = nullptr;
    if (const NvmlReturn code = api.handle_by_index(index, &device); code != kNvmlSuccess) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("{} for device {}", api.message("nvmlDeviceGetHandleByIndex_v2", code), index));
    }
    DeviceReading r;
    r.index = index;
    r.nvml_index = index;
    std::array<char, kNvmlStringBuffer> text{};
    if (api.name(device, text.data(), kNvmlStringBuffer) == kNvmlSuccess) r.name = text.data();
    text.fill('\0');
    if (api.uuid(device, text.data(), kNvmlStringBuffer) == kNvmlSuccess) r.uuid = text.data();
    NvmlPciInfo pci{};
    if (api.pci_info != nullptr && api.pci_info(device, &pci) == kNvmlSuccess) {
      pci.bus_id[sizeof(pci.bus_id) - 1] = '\0';
      r.pci_bus_id = normalize_pci_bus_id(pci.bus_id);
    }

    NvmlMemory memory{};
    if (const NvmlReturn code = api.memory_info(device, &memory); code != kNvmlSuccess) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("{} for device {}", api.message("nvmlDeviceGetMemoryInfo", code), index));
    }
    r.total_bytes = memory.total;
    r.used_bytes = memory.used;
    r.free_bytes = memory.free;

    NvmlUtilization utilization{};
    if (api.utilization(device, &utilization) == kNvmlSuccess) {
      r.compute_busy_percent = utilization.gpu;
      r.memory_busy_percent = utilization.memory;
    }
    unsigned int value = 0;
    if (api.temperature(device, kNvmlTemperatureGpu, &value) == kNvmlSuccess) r.temperature_c = value;
    if (api.power_usage(device, &value) == kNvmlSuccess) r.power_w = value / 1000.0;
    if (api.power_limit(device, &value) == kNvmlSuccess) r.power_limit_w = value / 1000.0;

    // The process list can grow between the size query and the fill: retry with headroom.
    std::vector<NvmlProcessInfo> infos(8);
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto capacity = static_cast<unsigned int>(infos.size());
      const NvmlReturn code = api.processes(device, &capacity, infos.data());
      if (code == kNvmlSuccess) {
        infos.resize(capacity);
        for (const NvmlProcessInfo& info : infos) {
          DeviceProcess process;
          process.pid = info.pid;
          if (info.used_gpu_memory != kNvmlValueNotAvailable) process.used_bytes = info.used_gpu_memory;
          process.name = process_name(info.pid);
          r.processes.push_back(std::move(process));
        }
        break;
      }
      if (code != kNvmlInsufficientSize) break;  // optional: not supported (or odd) leaves it empty
      infos.resize(static_cast<std::size_t>(capacity) * 2 + 8);
    }
    readings.push_back(std::move(r));
  }
  if (cuda_devices_) return match_cuda_devices(std::move(readings), *cuda_devices_);
  return readings;
}

}  // namespace orfeas::gpu
