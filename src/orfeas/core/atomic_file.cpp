#include "orfeas/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace orfeas {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
// The kernel takes the umask (and any default ACL) off this at creation: the ordinary mode.
constexpr mode_t kNewFileMode = 0666;
constexpr int kTempNameAttempts = 100;
constexpr std::string_view kTempNameAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kTempNameRandomChars = 6;

// std::strerror is not thread-safe; the generic category's message is.
std::string os_reason(int error_number) {
  return std::error_code(error_number, std::generic_category()).message();
}

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return Error(ErrorCode::kIoError, fmt::format("{} '{}': {}", what, path.string(), os_reason(error_number)));
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

// Refuses targets that rename() must not replace: directories (also through a link) and special
// files. A missing target, a regular file and a link to anything else are fine.
Status check_replaceable(const std::filesystem::path& target) {
  struct stat entry {};
  if (::lstat(target.c_str(), &entry) != 0) return ok();  // absent (or unreadable: create() says why)
  struct stat pointed {};
  const bool is_directory =
      S_ISDIR(entry.st_mode) ||
      (S_ISLNK(entry.st_mode) && ::stat(target.c_str(), &pointed) == 0 && S_ISDIR(pointed.st_mode));
  if (is_directory) return tl::unexpected(io_error("cannot write", target, EISDIR));
  if (!S_ISREG(entry.st_mode) && !S_ISLNK(entry.st_mode)) {
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot write '{}': it exists and is not a regular file", target.string()));
  }
  return ok();
}

// Creates ".<name>.tmp-" + six random characters beside the target, exclusively, like mkstemp but with the ordinary
// mode (mkstemp's is 0600). Returns the descriptor and fills `temp_path`; -1 with errno set.
int create_temp_file(const std::filesystem::path& target, std::filesystem::path& temp_path) {
  std::random_device entropy;
  std::uniform_int_distribution<std::size_t> pick(0, kTempNameAlphabet.size() - 1);
  const std::string prefix = fmt::format(".{}.tmp-", target.filename().string());
  for (int attempt = 0; attempt < kTempNameAttempts; ++attempt) {
    std::string name = prefix;
    for (std::size_t i = 0; i < kTempNameRandomChars; ++i) name.push_back(kTempNameAlphabet[pick(entropy)]);
    temp_path = directory_of(target) / name;
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kNewFileMode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& target) {
  if (!target.has_filename()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("output path '{}' names no file", target.string()));
  }
  ORFEAS_RETURN_IF_ERROR(check_replaceable(target));
  std::filesystem::path temp_path;
  const int fd = create_temp_file(target, temp_path);
  if (fd < 0) {
    const int error_number = errno;
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot write '{}': cannot create a temporary file in '{}': {}", target.string(),
                                  directory_of(target).string(), os_reason(error_number)));
  }
  return AtomicFile(fd, target, std::move(temp_path));
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
  return make_error(ErrorCode::kInternal, fmt::format("AtomicFile for '{}' is {}", target_.string(),
                                                      committed_ ? "already committed" : "moved from"));
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
  // rename() replaces the directory entry: a symbolic link is replaced, not followed.
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temp_path_.c_str());
    failure_ = io_error(fmt::format("cannot rename '{}' to", temp_path_.string()), target_, error_number);
    return tl::unexpected(*failure_);
  }
  committed_ = true;
  fsync_directory(directory_of(target_));
  return ok();
}

Status write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes) {
  ORFEAS_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::create(target));
  ORFEAS_RETURN_IF_ERROR(file.write(bytes));
  return file.commit();
}

Status write_file_atomically(const std::filesystem::path& target, std::string_view text) {
  return write_file_atomically(target, std::as_bytes(std::span(text)));
}

}  // namespace orfeas
