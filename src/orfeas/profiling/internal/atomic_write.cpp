#include "orfeas/profiling/internal/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace orfeas::profiling::internal {
namespace {

// Closes the descriptor and removes the temporary file unless the write was committed.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void commit() { committed_ = true; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

tl::unexpected<Error> io_error(const std::filesystem::path& path, std::string_view what) {
  return make_error(ErrorCode::kIoError,
                    "cannot " + std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp_path = path;
  temp_path += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  TempFile temp(temp_path);
  if (temp.fd() < 0) return io_error(temp_path, "create");
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(temp.fd(), contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(temp_path, "write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(temp.fd()) != 0) return io_error(temp_path, "sync");
  if (!temp.close()) return io_error(temp_path, "close");
  if (::rename(temp_path.c_str(), path.c_str()) != 0) return io_error(path, "rename a temporary file onto");
  temp.commit();
  return ok();
}

}  // namespace orfeas::profiling::internal
