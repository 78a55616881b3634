#include "orfeas/jobs/data_dir.h"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "orfeas/core/atomic_file.h"
#include "orfeas/jobs/job.h"

namespace orfeas::jobs {
namespace {

constexpr std::string_view kUploads = "uploads";
constexpr std::string_view kResults = "results";

bool is_valid_extension(std::string_view extension) {
  return !extension.empty() && extension.size() <= 8 && std::all_of(extension.begin(), extension.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

Result<std::string> relative_path(std::string_view folder, std::string_view id, std::string_view extension) {
  if (!is_valid_job_id(id)) return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", id));
  if (!is_valid_extension(extension)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed file extension '{}'", extension));
  }
  return fmt::format("{}/{}.{}", folder, id, extension);
}

}  // namespace

Result<DataDir> DataDir::open(const std::filesystem::path& root) {
  for (const std::filesystem::path& dir : {root, root / kUploads, root / kResults}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kIoError, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  return DataDir(root);
}

Result<std::string> DataDir::upload_path(std::string_view id, std::string_view extension) {
  return relative_path(kUploads, id, extension);
}

Result<std::string> DataDir::result_path(std::string_view id, std::string_view extension) {
  return relative_path(kResults, id, extension);
}

Result<std::string> DataDir::write_upload(std::string_view id, std::string_view extension,
                                          std::span<const std::byte> bytes) const {
  ORFEAS_ASSIGN_OR_RETURN(std::string relative, upload_path(id, extension));
  ORFEAS_RETURN_IF_ERROR_CTX(write_file_atomically(root_ / relative, bytes), "while storing upload " + relative);
  return relative;
}

Result<std::string> DataDir::write_result(std::string_view id, std::string_view extension,
                                          std::span<const std::byte> bytes) const {
  ORFEAS_ASSIGN_OR_RETURN(std::string relative, result_path(id, extension));
  ORFEAS_RETURN_IF_ERROR_CTX(write_file_atomically(root_ / relative, bytes), "while storing result " + relative);
  return relative;
}

Result<std::filesystem::path> DataDir::absolute(std::string_view relative) const {
  const auto slash = relative.find('/');
  const auto dot = relative.rfind('.');
  if (slash != std::string_view::npos && dot != std::string_view::npos && dot > slash) {
    const std::string_view folder = relative.substr(0, slash);
    const std::string_view id = relative.substr(slash + 1, dot - slash - 1);
    const std::string_view extension = relative.substr(dot + 1);
    if ((folder == kUploads || folder == kResults) && is_valid_job_id(id) && is_valid_extension(extension)) {
      return root_ / relative;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a path of the data directory", relative));
}

Status DataDir::remove(std::string_view relative) const {
  ORFEAS_ASSIGN_OR_RETURN(const std::filesystem::path path, absolute(relative));
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) return make_error(ErrorCode::kIoError, fmt::format("cannot delete {}: {}", path.string(), ec.message()));
  return ok();
}

}  // namespace orfeas::jobs
