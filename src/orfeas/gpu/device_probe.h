// What the devices and the host say about themselves, read fresh on every call: the driver's
// memory figures, real utilisation (the share of time a kernel or a memory transfer was running,
// not the share of memory reserved), temperature, power, and who is using each device.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto probe, gpu::NvmlProbe::create());      // nvml_probe.h
//   ORFEAS_ASSIGN_OR_RETURN(std::vector<gpu::DeviceReading> devices, probe->read());
//   gpu::SystemMemory host = gpu::read_system_memory();
//
// Numbering: a reading's `index` is the CUDA device ordinal of this process — what cuda:N, the
// pools and --device N mean — not NVML's index: the two differ under CUDA_VISIBLE_DEVICES or
// CUDA_DEVICE_ORDER=FASTEST_FIRST. The NVML probe matches the boards by UUID (PCI bus id as the
// fallback, e.g. for a MIG instance), see match_cuda_devices.
//
// Units: bytes, percent (0–100), degrees Celsius, watts. A field the driver does not support on a
// device stays empty (std::nullopt) — never a made-up number.
// Thread-safety: readings are values. DeviceProbe implementations must allow read() from any
// thread (NVML does); the optimizer also serialises its own calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/memory_pool.h"

namespace orfeas::gpu {

struct DeviceProcess {
  std::uint32_t pid = 0;
  std::optional<std::uint64_t> used_bytes;  // empty when the driver cannot tell (MIG, some WDDM)
  std::string name;                         // /proc/<pid>/comm; empty when not readable
};

struct DeviceReading {
  std::uint32_t index = 0;       // CUDA device ordinal (NVML's index where no CUDA runtime numbers them)
  std::uint32_t nvml_index = 0;  // NVML's index: PCI order, as nvidia-smi shows it
  std::string name;              // "NVIDIA H100 80GB HBM3"
  std::string uuid;              // "GPU-…"
  std::string pci_bus_id;        // "0000:3b:00.0" (normalize_pci_bus_id); empty when the driver does not say
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;  // all processes, as the driver counts it
  std::uint64_t free_bytes = 0;
  std::optional<std::uint32_t> compute_busy_percent;  // time a kernel ran, last sample period
  std::optional<std::uint32_t> memory_busy_percent;   // time device memory was read or written
  std::optional<std::uint32_t> temperature_c;
  std::optional<double> power_w;
  std::optional<double> power_limit_w;   // enforced limit
  std::vector<DeviceProcess> processes;  // compute processes
};

class DeviceProbe {
 public:
  virtual ~DeviceProbe() = default;
  // One reading per device, in index (CUDA ordinal) order. An empty vector means the source works and sees no
  // device; an error means the source itself failed.
  [[nodiscard]] virtual Result<std::vector<DeviceReading>> read() = 0;
  // "nvml", "none", "fake".
  [[nodiscard]] virtual std::string_view source() const = 0;
};

// A probe for machines without a GPU: always an empty list.
class NoDeviceProbe final : public DeviceProbe {
 public:
  [[nodiscard]] Result<std::vector<DeviceReading>> read() override { return std::vector<DeviceReading>{}; }
  [[nodiscard]] std::string_view source() const override { return "none"; }
};

// NVML when the driver is installed, NoDeviceProbe otherwise (never fails).
[[nodiscard]] std::unique_ptr<DeviceProbe> create_default_probe();

// NVML's readings numbered as CUDA numbers the devices: the result's i-th reading is CUDA device
// `cuda[i].ordinal` (its index set to that), found by UUID, else by PCI bus id (a MIG instance has
// its own UUID but its board's bus). NVML devices that CUDA does not see (hidden by
// CUDA_VISIBLE_DEVICES) are left out, and so is a CUDA device NVML does not know: a lookup for it
// then finds nothing rather than another board's figures.
[[nodiscard]] std::vector<DeviceReading> match_cuda_devices(std::vector<DeviceReading> nvml,
                                                            std::span<const CudaDeviceIdentity> cuda);

// "00000000:3B:00.0" (NVML) or "0000:3b:00.0" (CUDA) → "0000:3b:00.0"; empty when unparsable.
[[nodiscard]] std::string normalize_pci_bus_id(std::string_view bus_id);

// /proc/meminfo, in bytes. available = MemAvailable (what can be allocated without swapping).
struct SystemMemory {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
};
[[nodiscard]] SystemMemory read_system_memory();
// The parser, for tests: "MemTotal:  16318436 kB\n…". Missing fields stay 0.
[[nodiscard]] SystemMemory parse_meminfo(std::string_view text);

// /proc/<pid>/comm without the newline; empty when the process is gone or not ours to read.
[[nodiscard]] std::string process_name(std::uint32_t pid);

// One snapshot of memory as this process should see it.
struct MemoryProfile {
  std::string mode;                         // "cuda" when a device was read, else "cpu"
  std::string source;                       // the probe's source()
  std::vector<DeviceReading> devices;       // empty in CPU mode
  std::string probe_error;                  // why the probe failed, when it did (then mode "cpu")
  std::optional<AllocatorStats> allocator;  // this process's pool, when there is one
  std::string allocator_name;               // "cuda:0", "host"
  SystemMemory system;
  std::chrono::system_clock::time_point timestamp;
};

// Compact JSON (for logs, the server's status endpoint): bytes as integers, empty optionals as null,
// timestamp as Unix milliseconds.
[[nodiscard]] std::string to_json(const MemoryProfile& profile);

}  // namespace orfeas::gpu
