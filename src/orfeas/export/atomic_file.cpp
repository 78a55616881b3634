#include "orfeas/export/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace orfeas::exporter {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
constexpr mode_t kNewFileMode = 0644;

// std::strerror is not thread-safe; the generic category's message is.
std::string os_reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  std::string message;
  message.append(what).append(" '").append(path.string()).append("': ").append(os_reason(error_number));
  return Error(ErrorCode::kIoError, std::move(message));
}

// Best effort: makes the rename itself durable. A failure here does not undo a complete file.
void fsync_directory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  static_cast<void>(::fsync(fd));
  ::close(fd);
}

std::filesystem::path directory_of(const std::filesystem::path& target) {
  std::filesystem::path directory = target.parent_path();
  return directory.empty() ? std::filesystem::path(".") : directory;
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target) {
  if (!target.has_filename()) {
    return make_error(ErrorCode::kInvalidArgument, "output path '" + target.string() + "' names no file");
  }
  struct stat target_stat {};
  const bool target_exists = ::stat(target.c_str(), &target_stat) == 0;
  if (target_exists && S_ISDIR(target_stat.st_mode)) {
    return tl::unexpected(io_error("cannot write", target, EISDIR));
  }

  const std::filesystem::path directory = directory_of(target);
  // Appended rather than `"." + name`: GCC 12 at -O3 misreports the latter (-Wrestrict, PR105651).
  std::string hidden_name = ".";
  hidden_name.append(target.filename().string()).append(".tmp-XXXXXX");
  std::string pattern = (directory / hidden_name).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) {
    const int error_number = errno;
    return make_error(ErrorCode::kIoError, "cannot write '" + target.string() +
                                               "': cannot create a temporary file in '" + directory.string() +
                                               "': " + os_reason(error_number));
  }
  AtomicFile file(fd, target, std::filesystem::path(pattern));
  const mode_t mode = target_exists ? (target_stat.st_mode & 07777) : kNewFileMode;
  if (::fchmod(fd, mode) != 0) {
    const int error_number = errno;
    return tl::unexpected(io_error("cannot set the mode of", file.temp_path_, error_number));
  }
  return file;
}

AtomicFile::AtomicFile(int fd, std::filesystem::path target, std::filesystem::path temp_path)
    : fd_(fd), target_(std::move(target)), temp_path_(std::move(temp_path)) {
  buffer_.reserve(kBufferBytes);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      target_(std::move(other.target_)),
      temp_path_(std::move(other.temp_path_)),
      buffer_(std::move(other.buffer_)),
      bytes_written_(other.bytes_written_),
      failure_(std::move(other.failure_)),
      committed_(other.committed_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    target_ = std::move(other.target_);
    temp_path_ = std::move(other.temp_path_);
    buffer_ = std::move(other.buffer_);
    bytes_written_ = other.bytes_written_;
    failure_ = std::move(other.failure_);
    committed_ = other.committed_;
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
}

Status AtomicFile::fail(Error error) {
  discard();
  failure_ = error;
  return tl::unexpected(std::move(error));
}

Status AtomicFile::spent_error() const {
  if (failure_) return tl::unexpected(*failure_);
  return make_error(ErrorCode::kInternal, "AtomicFile for '" + target_.string() + "' is " +
                                              (committed_ ? "already committed" : "moved from"));
}

Status AtomicFile::write(std::span<const std::byte> bytes) {
  if (fd_ < 0) return spent_error();
  bytes_written_ += bytes.size();
  if (buffer_.size() + bytes.size() > kBufferBytes) {
    ORFEAS_RETURN_IF_ERROR(flush());
  }
  if (bytes.size() >= kBufferBytes) return write_all(bytes);  // no point copying it first
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return ok();
}

Status AtomicFile::write(std::string_view text) {
  return write(std::as_bytes(std::span(text)));
}

Status AtomicFile::flush() {
  ORFEAS_RETURN_IF_ERROR(write_all(buffer_));
  buffer_.clear();
  return ok();
}

Status AtomicFile::write_all(std::span<const std::byte> bytes) {
  const std::byte* data = bytes.data();
  std::size_t remaining = bytes.size();
  while (remaining > 0) {
    const ssize_t written = ::write(fd_, data, remaining);
    if (written < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      return fail(io_error("cannot write", temp_path_, error_number));
    }
    data += written;
    remaining -= static_cast<std::size_t>(written);
  }
  return ok();
}

Status AtomicFile::commit() {
  if (fd_ < 0) return spent_error();
  ORFEAS_RETURN_IF_ERROR(flush());
  if (::fsync(fd_) != 0) {
    const int error_number = errno;
    return fail(io_error("cannot fsync", temp_path_, error_number));
  }
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const int error_number = errno;
    ::unlink(temp_path_.c_str());
    failure_ = io_error("cannot close", temp_path_, error_number);
    return tl::unexpected(*failure_);
  }
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temp_path_.c_str());
    failure_ = io_error("cannot rename '" + temp_path_.string() + "' to", target_, error_number);
    return tl::unexpected(*failure_);
  }
  committed_ = true;
  fsync_directory(directory_of(target_));
  return ok();
}

}  // namespace orfeas::exporter
