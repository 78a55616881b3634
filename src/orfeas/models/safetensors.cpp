#include "orfeas/models/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/atomic_file.h"

namespace orfeas::models {
namespace {

using Json = nlohmann::json;

// The official library's limit; a real header (a few thousand tensors) is well under 1 MB.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
// Top-level object (0), entries (1), their arrays (2), array elements (3): anything deeper is not
// safetensors, and refusing it early bounds the parser's work on hostile input.
constexpr int kMaxJsonDepth = 8;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeName {
  DType dtype;
  std::string_view name;
  std::size_t bytes;
};
constexpr std::array<DTypeName, 10> kDTypes = {{
    {DType::kF64, "F64", 8},
    {DType::kF32, "F32", 4},
    {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},
    {DType::kI64, "I64", 8},
    {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
}};
// Spellings the safetensors format defines that we do not read: kUnsupportedFormat, not kCorruptData.
constexpr std::array<std::string_view, 8> kOtherKnownDTypes = {"U16",     "U32",     "U64",     "F8_E4M3",
                                                               "F8_E5M2", "F8_E8M0", "F6_E2M3", "F4"};

std::string os_reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

// Thrown inside the JSON parser's callback only; caught in parse_header().
struct HeaderRejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class HeaderParser {
 public:
  HeaderParser(const std::filesystem::path& path, std::uint64_t data_bytes) : path_(path), data_bytes_(data_bytes) {}

  Status parse(std::string_view text, std::vector<TensorInfo>& tensors,
               std::map<std::string, std::string, std::less<>>& metadata) {
    Json header;
    try {
      // Tracks the keys of each open object: nlohmann keeps the last of duplicate keys silently.
      std::vector<std::set<std::string>> open_objects;
      header = Json::parse(text.begin(), text.end(), [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (depth > kMaxJsonDepth) throw HeaderRejected(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
        switch (event) {
          case Json::parse_event_t::object_start:
            open_objects.emplace_back();
            break;
          case Json::parse_event_t::object_end:
            if (!open_objects.empty()) open_objects.pop_back();
            break;
          case Json::parse_event_t::key:
            if (!open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second) {
              throw HeaderRejected(fmt::format("duplicate key '{}'", parsed.get<std::string>()));
            }
            break;
          default:
            break;
        }
        return true;
      });
    } catch (const HeaderRejected& rejected) {
      return corrupt(fmt::format("header rejected: {}", rejected.what()));
    } catch (const Json::exception& error) {
      return corrupt(fmt::format("header is not valid JSON: {}", error.what()));
    }
    if (!header.is_object()) return corrupt(fmt::format("header is a JSON {}, not an object", header.type_name()));

    for (const auto& [name, entry] : header.items()) {
      if (name == kMetadataKey) {
        ORFEAS_RETURN_IF_ERROR(parse_metadata(entry, metadata));
        continue;
      }
      ORFEAS_ASSIGN_OR_RETURN(TensorInfo tensor, parse_tensor(name, entry));
      tensors.push_back(std::move(tensor));
    }
    std::sort(tensors.begin(), tensors.end(), [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
    return check_overlaps(tensors);
  }

 private:
  [[nodiscard]] tl::unexpected<Error> corrupt(std::string_view what) const {
    return make_error(ErrorCode::kCorruptData, fmt::format("safetensors file '{}': {}", path_.string(), what));
  }

  Status parse_metadata(const Json& entry, std::map<std::string, std::string, std::less<>>& metadata) const {
    if (!entry.is_object())
      return corrupt(fmt::format("'{}' is a JSON {}, not an object", kMetadataKey, entry.type_name()));
    for (const auto& [key, value] : entry.items()) {
      if (!value.is_string()) {
        return corrupt(
            fmt::format("'{}' value of '{}' is a JSON {}, not a string", kMetadataKey, key, value.type_name()));
      }
      metadata.emplace(key, value.get<std::string>());
    }
    return ok();
  }

  // A JSON integer in [0, max], or nullopt (floats, negatives, strings, too large).
  static std::optional<std::uint64_t> non_negative_integer(const Json& value, std::uint64_t max) {
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      if (number <= max) return number;
    } else if (value.is_number_integer()) {
      const auto number = value.get<std::int64_t>();
      if (number >= 0 && static_cast<std::uint64_t>(number) <= max) return static_cast<std::uint64_t>(number);
    }
    return std::nullopt;
  }

  Result<TensorInfo> parse_tensor(const std::string& name, const Json& entry) const {
    const auto bad = [&](std::string_view what) { return corrupt(fmt::format("tensor '{}': {}", name, what)); };
    if (!entry.is_object()) return bad(fmt::format("entry is a JSON {}, not an object", entry.type_name()));
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!entry.contains(field)) return bad(fmt::format("missing field '{}'", field));
    }
    TensorInfo tensor;
    tensor.name = name;

    const Json& dtype = entry["dtype"];
    if (!dtype.is_string()) return bad(fmt::format("'dtype' is a JSON {}, not a string", dtype.type_name()));
    const std::string& dtype_text = dtype.get_ref<const std::string&>();
    const std::optional<DType> parsed_dtype = dtype_from_name(dtype_text);
    if (!parsed_dtype) {
      if (std::find(kOtherKnownDTypes.begin(), kOtherKnownDTypes.end(), dtype_text) != kOtherKnownDTypes.end()) {
        return make_error(ErrorCode::kUnsupportedFormat,
                          fmt::format("safetensors file '{}': tensor '{}': dtype {} is not supported (F64, F32, F16, "
                                      "BF16, I64, I32, I16, I8, U8, BOOL are)",
                                      path_.string(), name, dtype_text));
      }
      return bad(fmt::format("unknown dtype '{}'", dtype_text));
    }
    tensor.dtype = *parsed_dtype;

    const Json& shape = entry["shape"];
    if (!shape.is_array()) return bad(fmt::format("'shape' is a JSON {}, not an array", shape.type_name()));
    std::uint64_t numel = 1;
    constexpr auto kMaxDim = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    for (const Json& dim : shape) {
      const std::optional<std::uint64_t> size = non_negative_integer(dim, kMaxDim);
      if (!size) return bad(fmt::format("'shape' {} holds {}, not a non-negative integer", shape.dump(), dim.dump()));
      if (__builtin_mul_overflow(numel, *size, &numel) || numel > kMaxDim) {
        return bad(fmt::format("'shape' {} has more elements than fit in 63 bits", shape.dump()));
      }
      tensor.shape.push_back(static_cast<std::int64_t>(*size));
    }
    if (__builtin_mul_overflow(numel, std::uint64_t{dtype_bytes(tensor.dtype)}, &tensor.bytes)) {
      return bad(fmt::format("'shape' {} of {} is more bytes than fit in 64 bits", shape.dump(), dtype_text));
    }

    const Json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2) {
      return bad(fmt::format("'data_offsets' is {}, not an array [begin, end]", offsets.dump()));
    }
    const auto max = std::numeric_limits<std::uint64_t>::max();
    const std::optional<std::uint64_t> begin = non_negative_integer(offsets[0], max);
    const std::optional<std::uint64_t> end = non_negative_integer(offsets[1], max);
    if (!begin || !end) return bad(fmt::format("'data_offsets' {} are not non-negative integers", offsets.dump()));
    if (*begin > *end) return bad(fmt::format("'data_offsets' {} begin after they end", offsets.dump()));
    if (*end > data_bytes_) {
      return bad(fmt::format("'data_offsets' {} end past the data buffer ({} bytes; the file is truncated?)",
                             offsets.dump(), data_bytes_));
    }
    if (*end - *begin != tensor.bytes) {
      return bad(fmt::format("shape {} of {} is {} bytes but 'data_offsets' {} hold {}", shape.dump(), dtype_text,
                             tensor.bytes, offsets.dump(), *end - *begin));
    }
    tensor.offset = *begin;
    return tensor;
  }

  Status check_overlaps(const std::vector<TensorInfo>& tensors) const {
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& tensor : tensors) {
      if (tensor.bytes > 0) by_offset.push_back(&tensor);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
      const TensorInfo& previous = *by_offset[i - 1];
      const TensorInfo& current = *by_offset[i];
      if (previous.offset + previous.bytes > current.offset) {
        return corrupt(fmt::format("tensors '{}' [{}, {}) and '{}' [{}, {}) overlap", previous.name, previous.offset,
                                   previous.offset + previous.bytes, current.name, current.offset,
                                   current.offset + current.bytes));
      }
    }
    return ok();
  }

  const std::filesystem::path& path_;  // borrowed
  std::uint64_t data_bytes_;
};

std::uint64_t read_u64_le(const std::byte* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<std::uint64_t>(bytes[i]);
  return value;
}

std::array<std::byte, 8> u64_le(std::uint64_t value) {
  std::array<std::byte, 8> bytes{};
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
  return bytes;
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  for (const DTypeName& entry : kDTypes) {
    if (entry.dtype == dtype) return entry.name;
  }
  assert(false && "unknown DType");
  return "?";
}

std::size_t dtype_bytes(DType dtype) {
  for (const DTypeName& entry : kDTypes) {
    if (entry.dtype == dtype) return entry.bytes;
  }
  assert(false && "unknown DType");
  return 0;
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeName& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

std::int64_t TensorInfo::numel() const {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::filesystem::path& path) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd_ < 0) {
    const int error_number = errno;
    return make_error(error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      fmt::format("cannot open safetensors file '{}': {}", path.string(), os_reason(error_number)));
  }
  struct stat status {};
  if (::fstat(file->fd_, &status) != 0) {
    const int error_number = errno;
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot stat safetensors file '{}': {}", path.string(), os_reason(error_number)));
  }
  if (!S_ISREG(status.st_mode)) {
    return make_error(ErrorCode::kIoError, fmt::format("'{}' is not a regular file", path.string()));
  }
  file->file_bytes_ = static_cast<std::uint64_t>(status.st_size);
  if (file->file_bytes_ < 8) {
    return make_error(ErrorCode::kCorruptData,
                      fmt::format("safetensors file '{}': {} bytes, shorter than its 8-byte header length",
                                  path.string(), file->file_bytes_));
  }
  void* mapping = ::mmap(nullptr, file->file_bytes_, PROT_READ, MAP_PRIVATE, file->fd_, 0);
  if (mapping == MAP_FAILED) {
    const int error_number = errno;
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot map safetensors file '{}': {}", path.string(), os_reason(error_number)));
  }
  file->mapping_ = static_cast<const std::byte*>(mapping);

  const std::uint64_t header_bytes = read_u64_le(file->mapping_);
  if (header_bytes > file->file_bytes_ - 8) {
    return make_error(ErrorCode::kCorruptData,
                      fmt::format("safetensors file '{}': header length {} runs past the end of the file ({} bytes)",
                                  path.string(), header_bytes, file->file_bytes_));
  }
  if (header_bytes > kMaxHeaderBytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("safetensors file '{}': header length {} is over the {} byte limit", path.string(),
                                  header_bytes, kMaxHeaderBytes));
  }
  file->data_start_ = 8 + header_bytes;
  const std::string_view header(reinterpret_cast<const char*>(file->mapping_ + 8), header_bytes);
  HeaderParser parser(file->path_, file->data_bytes());
  ORFEAS_RETURN_IF_ERROR(parser.parse(header, file->tensors_, file->metadata_));
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(const_cast<std::byte*>(mapping_), file_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const TensorInfo& tensor, std::string_view key) { return tensor.name < key; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo& tensor) const {
  const std::uint64_t available = data_bytes();
  if (tensor.offset > available || tensor.bytes > available - tensor.offset) return {};
  return {mapping_ + data_start_ + tensor.offset, static_cast<std::size_t>(tensor.bytes)};
}

Status write_safetensors(const std::filesystem::path& path, std::span<const TensorToWrite> tensors,
                         const std::map<std::string, std::string>& metadata) {
  const auto invalid = [&](std::string_view what) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot write safetensors file '{}': {}", path.string(), what));
  };
  std::set<std::string_view> names;
  for (const TensorToWrite& tensor : tensors) {
    if (tensor.name.empty()) return invalid("a tensor has an empty name");
    if (tensor.name == kMetadataKey) return invalid(fmt::format("'{}' is reserved", kMetadataKey));
    if (!names.insert(tensor.name).second) return invalid(fmt::format("tensor '{}' appears twice", tensor.name));
    std::uint64_t bytes = dtype_bytes(tensor.dtype);
    for (const std::int64_t dim : tensor.shape) {
      if (dim < 0) return invalid(fmt::format("tensor '{}' has a negative dimension {}", tensor.name, dim));
      if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(dim), &bytes)) {
        return invalid(fmt::format("tensor '{}' is too large", tensor.name));
      }
    }
    if (bytes != tensor.bytes.size()) {
      return invalid(fmt::format("tensor '{}' of shape [{}] and dtype {} needs {} bytes, got {}", tensor.name,
                                 fmt::join(tensor.shape, ", "), dtype_name(tensor.dtype), bytes, tensor.bytes.size()));
    }
  }

  // As the official writer: larger elements first, then by name, so that offsets stay aligned to
  // the element size behind a header padded to a multiple of 8.
  std::vector<const TensorToWrite*> order;
  order.reserve(tensors.size());
  for (const TensorToWrite& tensor : tensors) order.push_back(&tensor);
  std::sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    const std::size_t a_bytes = dtype_bytes(a->dtype);
    const std::size_t b_bytes = dtype_bytes(b->dtype);
    return a_bytes != b_bytes ? a_bytes > b_bytes : a->name < b->name;
  });

  Json header = Json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::uint64_t offset = 0;
  for (const TensorToWrite* tensor : order) {
    header[tensor->name] = {{"dtype", std::string(dtype_name(tensor->dtype))},
                            {"shape", tensor->shape},
                            {"data_offsets", {offset, offset + tensor->bytes.size()}}};
    offset += tensor->bytes.size();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& error) {  // a name or a metadata string that is not UTF-8
    return invalid(error.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  ORFEAS_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(path));
  ORFEAS_RETURN_IF_ERROR(file.write(u64_le(text.size())));
  ORFEAS_RETURN_IF_ERROR(file.write(text));
  for (const TensorToWrite* tensor : order) ORFEAS_RETURN_IF_ERROR(file.write(tensor->bytes));
  return file.commit();
}

}  // namespace orfeas::models
