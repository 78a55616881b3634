#include "orfeas/engine/checkpoint.h"

#include <sys/resource.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace orfeas::engine {
namespace {

std::uint64_t peak_resident_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace

at::ScalarType aten_dtype(models::DType dtype) {
  switch (dtype) {
    case models::DType::kF64:
      return at::kDouble;
    case models::DType::kF32:
      return at::kFloat;
    case models::DType::kF16:
      return at::kHalf;
    case models::DType::kBF16:
      return at::kBFloat16;
    case models::DType::kI64:
      return at::kLong;
    case models::DType::kI32:
      return at::kInt;
    case models::DType::kI16:
      return at::kShort;
    case models::DType::kI8:
      return at::kChar;
    case models::DType::kU8:
      return at::kByte;
    case models::DType::kBool:
      return at::kBool;
  }
  return at::kFloat;
}

namespace {

Result<models::DType> file_dtype(at::ScalarType type) {
  switch (type) {
    case at::kDouble:
      return models::DType::kF64;
    case at::kFloat:
      return models::DType::kF32;
    case at::kHalf:
      return models::DType::kF16;
    case at::kBFloat16:
      return models::DType::kBF16;
    case at::kLong:
      return models::DType::kI64;
    case at::kInt:
      return models::DType::kI32;
    case at::kShort:
      return models::DType::kI16;
    case at::kChar:
      return models::DType::kI8;
    case at::kByte:
      return models::DType::kU8;
    case at::kBool:
      return models::DType::kBool;
    default:
      return make_error(ErrorCode::kInvalidArgument,
                        std::string("safetensors cannot store ") + std::string(c10::toString(type)));
  }
}

}  // namespace

Status save_weights(const std::filesystem::path& path, const std::map<std::string, at::Tensor, std::less<>>& tensors,
                    at::ScalarType stored) {
  std::vector<at::Tensor> host;  // keeps the bytes alive while they are written
  std::vector<models::TensorToWrite> entries;
  host.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const at::ScalarType type = at::isFloatingType(tensor.scalar_type()) ? stored : tensor.scalar_type();
    ORFEAS_ASSIGN_OR_RETURN(const models::DType dtype, file_dtype(type));
    host.push_back(tensor.detach().to(at::kCPU, type).contiguous());
    const at::Tensor& bytes = host.back();
    entries.push_back({name, dtype, bytes.sizes().vec(),
                       std::span<const std::byte>(static_cast<const std::byte*>(bytes.data_ptr()),
                                                  static_cast<std::size_t>(bytes.numel()) * bytes.element_size())});
  }
  return models::write_safetensors(path, entries);
}

Result<Weights> load_weights(const models::SafetensorsFile& file, std::string_view prefix, at::Device device,
                             at::ScalarType dtype, LoadReport* report) {
  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, at::Tensor, std::less<>> tensors;
  LoadReport loaded;
  try {
    for (const models::TensorInfo& info : file.tensors()) {
      if (!info.name.starts_with(prefix)) continue;
      const std::span<const std::byte> bytes = file.data(info);
      const at::ScalarType stored = aten_dtype(info.dtype);
      // The mapping is read-only and outlives this call; the copy below owns its memory.
      const at::Tensor mapped = at::from_blob(const_cast<std::byte*>(bytes.data()), info.shape,  // NOLINT
                                              at::TensorOptions().dtype(stored));
      const at::ScalarType target = at::isFloatingType(stored) ? dtype : stored;
      at::Tensor tensor = mapped.to(device, target, /*non_blocking=*/false, /*copy=*/true);
      loaded.file_bytes += info.bytes;
      loaded.device_bytes += static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
      tensors.emplace(info.name, std::move(tensor));
    }
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    if (what.find("out of memory") != std::string::npos)
      return make_error(ErrorCode::kOutOfMemory, "the weights of " + file.path().string() + " do not fit: " + what);
    return make_error(ErrorCode::kInternal, "loading " + file.path().string() + ": " + what);
  }
  if (tensors.empty())
    return make_error(ErrorCode::kCorruptData,
                      file.path().string() + " has no tensor named \"" + std::string(prefix) + "…\"");
  loaded.tensors = tensors.size();
  loaded.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  loaded.peak_host_bytes = peak_resident_bytes();
  if (report != nullptr) *report = loaded;
  return Weights::from(std::move(tensors));
}

}  // namespace orfeas::engine
