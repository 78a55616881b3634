#include "orfeas/gpu/device_probe.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "orfeas/gpu/nvml_probe.h"

namespace orfeas::gpu {
namespace {

std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value in kB after "Key:" on its own line, in bytes; 0 when absent.
std::uint64_t meminfo_field(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const std::size_t after = pos + key.size();
    if (line_start && after < text.size() && text[after] == ':') {
      std::size_t digits = text.find_first_of("0123456789", after);
      if (digits == std::string_view::npos) return 0;
      std::uint64_t kib = 0;
      std::from_chars(text.data() + digits, text.data() + text.size(), kib);
      return kib * 1024;
    }
    pos = after;
  }
  return 0;
}

bool same_uuid(std::string_view a, std::string_view b) {
  return !a.empty() && std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// The NVML reading for one CUDA device: by UUID, else by bus id; nullptr when none.
const DeviceReading* find_board(const std::vector<DeviceReading>& nvml, const CudaDeviceIdentity& cuda) {
  for (const DeviceReading& reading : nvml) {
    if (same_uuid(reading.uuid, cuda.uuid)) return &reading;
  }
  const std::string bus = normalize_pci_bus_id(cuda.pci_bus_id);
  if (bus.empty()) return nullptr;
  for (const DeviceReading& reading : nvml) {
    if (normalize_pci_bus_id(reading.pci_bus_id) == bus) return &reading;
  }
  return nullptr;
}

// One hexadecimal field of a bus id, up to `separator` (or the end when it is '\0').
bool parse_hex_field(std::string_view& text, char separator, unsigned& value) {
  const char* end = text.data() + text.size();
  const auto [next, error] = std::from_chars(text.data(), end, value, 16);
  if (error != std::errc() || next == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(next - text.data()));
  if (separator == '\0') return text.empty();
  if (text.empty() || text.front() != separator) return false;
  text.remove_prefix(1);
  return true;
}

template <class T>
nlohmann::json optional_json(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::unique_ptr<DeviceProbe> create_default_probe() {
  auto nvml = NvmlProbe::create();
  if (nvml) return std::move(*nvml);
  return std::make_unique<NoDeviceProbe>();
}

std::vector<DeviceReading> match_cuda_devices(std::vector<DeviceReading> nvml,
                                              std::span<const CudaDeviceIdentity> cuda) {
  std::vector<DeviceReading> ordered;
  ordered.reserve(cuda.size());
  for (const CudaDeviceIdentity& identity : cuda) {
    const DeviceReading* board = find_board(nvml, identity);
    if (board == nullptr) continue;
    ordered.push_back(*board);
    ordered.back().index = static_cast<std::uint32_t>(identity.ordinal);
  }
  return ordered;
}

std::string normalize_pci_bus_id(std::string_view bus_id) {
  unsigned domain = 0;
  unsigned bus = 0;
  unsigned device = 0;
  unsigned function = 0;
  std::string_view rest = bus_id;
  if (!parse_hex_field(rest, ':', domain) || !parse_hex_field(rest, ':', bus) || !parse_hex_field(rest, '.', device) ||
      !parse_hex_field(rest, '\0', function)) {
    return {};
  }
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, device, function);
}

SystemMemory parse_meminfo(std::string_view text) {
  return {meminfo_field(text, "MemTotal"), meminfo_field(text, "MemAvailable")};
}

SystemMemory read_system_memory() {
  return parse_meminfo(read_small_file("/proc/meminfo"));
}

std::string process_name(std::uint32_t pid) {
  std::string name = read_small_file(fmt::format("/proc/{}/comm", pid));
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

std::string to_json(const MemoryProfile& profile) {
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceReading& d : profile.devices) {
    nlohmann::json processes = nlohmann::json::array();
    for (const DeviceProcess& p : d.processes) {
      processes.push_back({{"pid", p.pid}, {"used_bytes", optional_json(p.used_bytes)}, {"name", p.name}});
    }
    devices.push_back({{"index", d.index},
                       {"nvml_index", d.nvml_index},
                       {"name", d.name},
                       {"uuid", d.uuid},
                       {"pci_bus_id", d.pci_bus_id},
                       {"total_bytes", d.total_bytes},
                       {"used_bytes", d.used_bytes},
                       {"free_bytes", d.free_bytes},
                       {"compute_busy_percent", optional_json(d.compute_busy_percent)},
                       {"memory_busy_percent", optional_json(d.memory_busy_percent)},
                       {"temperature_c", optional_json(d.temperature_c)},
                       {"power_w", optional_json(d.power_w)},
                       {"power_limit_w", optional_json(d.power_limit_w)},
                       {"processes", processes}});
  }
  nlohmann::json allocator = nullptr;
  if (profile.allocator) {
    const AllocatorStats& s = *profile.allocator;
    allocator = {{"name", profile.allocator_name},
                 {"allocated_bytes", s.allocated_bytes},
                 {"reserved_bytes", s.reserved_bytes},
                 {"cached_bytes", s.cached_bytes()},
                 {"peak_allocated_bytes", s.peak_allocated_bytes},
                 {"allocation_count", s.allocation_count},
                 {"out_of_memory_count", s.out_of_memory_count}};
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(profile.timestamp.time_since_epoch());
  const nlohmann::json out = {
      {"mode", profile.mode},
      {"source", profile.source},
      {"probe_error", profile.probe_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(profile.probe_error)},
      {"devices", devices},
      {"allocator", allocator},
      {"system", {{"total_bytes", profile.system.total_bytes}, {"available_bytes", profile.system.available_bytes}}},
      {"timestamp_ms", ms.count()}};
  return out.dump();
}

}  // namespace orfeas::gpu
