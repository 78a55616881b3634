// A stand-in libnvidia-ml for unit tests on machines without a driver: two devices with fixed
// readings, UUIDs and PCI bus ids (fake_nvml_ids.h, shared with the tests that map them to CUDA); device 1 answers
// NVML_ERROR_NOT_SUPPORTED for utilisation, temperature and power, like some boards do. The process list reports this
// test's own pid, so /proc/<pid>/comm is readable.
#include <unistd.h>

#include <cstring>

#include "orfeas/gpu/testing/fake_nvml_ids.h"

extern "C" {

struct FakeMemory {
  unsigned long long total, free, used;
};
struct FakeUtilization {
  unsigned int gpu, memory;
};
struct FakePciInfo {
  char bus_id_legacy[16];
  unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
  char bus_id[32];
};
struct FakeProcess {
  unsigned int pid;
  unsigned long long used;
  unsigned int gpu_instance, compute_instance;
};

namespace {
constexpr int kSuccess = 0;
constexpr int kNotSupported = 3;
constexpr int kInsufficientSize = 7;
int g_devices[2];
unsigned int index_of(void* device) {
  return device == &g_devices[1] ? 1U : 0U;
}
}  // namespace

__attribute__((visibility("default"))) int nvmlInit_v2() {
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlShutdown() {
  return kSuccess;
}
__attribute__((visibility("default"))) const char* nvmlErrorString(int) {
  return "fake error";
}
__attribute__((visibility("default"))) int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = 2;
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void** device) {
  if (index > 1) return 2;
  *device = &g_devices[index];
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetName(void* device, char* name, unsigned int length) {
  std::strncpy(name, index_of(device) == 0 ? "Fake H100" : "Fake T4", length);
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetUUID(void* device, char* uuid, unsigned int length) {
  std::strncpy(uuid, orfeas::gpu::fake::kNvmlUuids[index_of(device)], length);
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetPciInfo_v3(void* device, FakePciInfo* info) {
  *info = {};
  std::strncpy(info->bus_id, orfeas::gpu::fake::kNvmlBusIds[index_of(device)], sizeof(info->bus_id) - 1);
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo(void* device, FakeMemory* memory) {
  const unsigned long long gib = 1ULL << 30;
  *memory = index_of(device) == 0 ? FakeMemory{80 * gib, 60 * gib, 20 * gib} : FakeMemory{16 * gib, 15 * gib, gib};
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetUtilizationRates(void* device, FakeUtilization* rates) {
  if (index_of(device) == 1) return kNotSupported;
  *rates = {42, 17};
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetTemperature(void* device, unsigned int, unsigned int* celsius) {
  if (index_of(device) == 1) return kNotSupported;
  *celsius = 55;
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void* device, unsigned int* milliwatts) {
  if (index_of(device) == 1) return kNotSupported;
  *milliwatts = 123500;
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetEnforcedPowerLimit(void* device, unsigned int* milliwatts) {
  if (index_of(device) == 1) return kNotSupported;
  *milliwatts = 700000;
  return kSuccess;
}
__attribute__((visibility("default"))) int nvmlDeviceGetComputeRunningProcesses_v3(void* device, unsigned int* count,
                                                                                   FakeProcess* infos) {
  if (index_of(device) == 1) {
    *count = 0;
    return kSuccess;
  }
  if (*count < 12) {  // as if more processes had started since the caller asked: exercises the retry
    *count = 12;
    return kInsufficientSize;
  }
  *count = 2;
  infos[0] = {static_cast<unsigned int>(getpid()), 512ULL << 20, 0, 0};
  infos[1] = {999999999U, ~0ULL, 0, 0};  // gone, and memory not available
  return kSuccess;
}

}  // extern "C"
