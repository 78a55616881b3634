// Safetensors: the checkpoint format of the official Hunyuan3D-2 weights, read memory-mapped.
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON, then the data buffer.
//   {"name": {"dtype": "F16", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"format": "pt"}}                  (optional, string values only)
// Offsets are relative to the data buffer's start (byte 8 + N of the file).
//
//   ORFEAS_ASSIGN_OR_RETURN(auto file, models::SafetensorsFile::open(dir / "model.fp16.safetensors"));
//   const models::TensorInfo* w = file->find("model.latent_in.weight");
//   if (w == nullptr) return make_error(ErrorCode::kNotFound, "...");
//   std::span<const std::byte> bytes = file->data(*w);   // w->bytes bytes, valid while `file` lives
//
//   ORFEAS_RETURN_IF_ERROR(models::write_safetensors("out.safetensors", {{"x", DType::kF32, {2}, bytes}}));
//
// Validation happens once, in open(): a malformed file is an error value (kCorruptData, or
// kLimitExceeded for a header over 100 MB, kUnsupportedFormat for a dtype that safetensors knows
// but we do not read, e.g. F8_E4M3) whose message names the file and what is wrong; nothing is
// read outside the file. Checked: the file's length, the header's length, JSON syntax, an object
// at the top, every entry's fields and their types, dtype names, shapes (non-negative, product ×
// element size computed with overflow checks and equal to end − begin), begin ≤ end ≤ data size,
// no two tensors overlapping, no duplicate names. Gaps between tensors and trailing bytes are
// accepted (the official library refuses them; reading them is harmless).
//
// Alignment: data(t) is wherever the file puts it; the official writer (and ours) pads the header
// to a multiple of 8 and orders tensors by element size, so offsets are naturally aligned there,
// but a consumer that needs alignment must check it (or copy).
//
// The mapping is read-only and private. If another process truncates the file while it is mapped,
// touching the lost pages raises SIGBUS: treat checkpoint files as immutable while in use.
//
// Ownership: SafetensorsFile owns the descriptor and the mapping (closed and unmapped in the
// destructor); spans returned by data() borrow from it. Non-copyable, non-movable (hold it by
// unique_ptr). Thread-safety: immutable after open(); every const method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::models {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// The safetensors spelling: "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL".
[[nodiscard]] std::string_view dtype_name(DType dtype);
// Bytes per element (BOOL: 1).
[[nodiscard]] std::size_t dtype_bytes(DType dtype);
// The DType for a safetensors spelling; nullopt for anything else (case-sensitive, as the format).
[[nodiscard]] std::optional<DType> dtype_from_name(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;  // empty for a scalar (numel 1)
  std::uint64_t offset = 0;         // from the data buffer's start
  std::uint64_t bytes = 0;          // numel() × dtype_bytes(dtype)

  // Product of `shape` (1 for a scalar). open() has checked that it does not overflow.
  [[nodiscard]] std::int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps and validates the file. kNotFound when it does not exist, kIoError when it cannot be
  // opened or mapped (or is not a regular file), kCorruptData / kLimitExceeded /
  // kUnsupportedFormat for a malformed one (see the overview).
  [[nodiscard]] static Result<std::unique_ptr<SafetensorsFile>> open(const std::filesystem::path& path);

  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  // Every tensor, sorted by name.
  [[nodiscard]] const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // The tensor called `name`, or nullptr when absent (binary search). Borrowed from this file.
  [[nodiscard]] const TensorInfo* find(std::string_view name) const;
  // The mapped bytes of `tensor` (tensor.bytes of them). Pass a TensorInfo of this file; one whose
  // range lies outside this file's data buffer gets an empty span.
  [[nodiscard]] std::span<const std::byte> data(const TensorInfo& tensor) const;
  // "__metadata__" (empty when absent).
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& metadata() const { return metadata_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Size of the whole file, header included.
  [[nodiscard]] std::uint64_t file_bytes() const { return file_bytes_; }
  // Size of the data buffer (the file less 8 and the header).
  [[nodiscard]] std::uint64_t data_bytes() const { return file_bytes_ - data_start_; }

 private:
  SafetensorsFile() = default;

  std::filesystem::path path_;
  int fd_ = -1;
  const std::byte* mapping_ = nullptr;  // file_bytes_ bytes, PROT_READ
  std::uint64_t file_bytes_ = 0;
  std::uint64_t data_start_ = 0;  // 8 + header length
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string, std::less<>> metadata_;
};

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // borrowed; numel × dtype_bytes bytes, in row-major order
};

// Writes a safetensors file atomically (core's AtomicFile: temporary name, fsync, rename), readable
// by the official library: header padded with spaces to a multiple of 8, tensors stored
// contiguously, larger elements first, then by name. kInvalidArgument (nothing written) for an
// empty, duplicate or reserved ("__metadata__") name, a negative dimension, or a byte count that
// is not numel × dtype_bytes; kIoError when the file cannot be written.
[[nodiscard]] Status write_safetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                                       const std::map<std::string, std::string>& metadata = {});

}  // namespace orfeas::models
