// AtomicFile: writes a file under a temporary name and renames it over the target on commit().
// The one atomic writer of the project: exports, profiling reports and traces, GPU calibration.
//
// A crash, an error or an early return therefore never leaves a half-written result behind, and
// an existing target is replaced only once the new content is complete and on disk.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto file, AtomicFile::create("out/model.stl"));
//   ORFEAS_RETURN_IF_ERROR(file.write(bytes));
//   ORFEAS_RETURN_IF_ERROR(file.commit());   // flush, fsync, close, rename
//   // without commit(), the destructor deletes the temporary file
//
//   ORFEAS_RETURN_IF_ERROR(write_file_atomically("out/report.json", text));  // all at once
//
// The temporary file lives in the target's directory (so rename() is atomic) under a hidden name
// derived from the target and unique per writer: ".model.stl.tmp-" and six random characters, created exclusively
// (O_EXCL), so two writers of one target, in one process or several, never share it; the last
// commit wins.
//
// Mode: the new file always gets the ordinary mode for new files, 0666 & ~umask (the kernel
// applies the umask and any default ACL at creation), whatever it replaces: never the replaced
// file's mode, never set-user-ID, set-group-ID or sticky bits.
//
// Symbolic links: the path names the entry that is replaced. When `target` is a symbolic link,
// commit() replaces the link itself with a regular file; what the link pointed at is never
// opened, written or changed (a link to /dev/full, to a binary or to a file elsewhere stays as it
// was). Only the last component counts: links among the parent directories are followed as usual.
// Refused (kIoError, EISDIR): a target that is a directory or a link to one. Refused (kIoError):
// a target that exists and is neither a regular file nor a link (a device, a FIFO, a socket),
// since replacing a device node is never what an output path means.
//
// Writes are buffered (1 MiB); the first failing write is remembered, the temporary file is
// deleted at once, and every later write() or commit() returns that error.
//
// Ownership: owns one file descriptor and the temporary file. Movable, not copyable.
// Thread-safety: one object is used by one thread at a time; distinct objects are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas {

class AtomicFile {
 public:
  // Opens a fresh temporary file beside `target`. Errors (kIoError, message naming the path and
  // the OS reason): the directory does not exist or is not writable, `target` is a directory or
  // not a regular file or link. kInvalidArgument when `target` has no file name ("out/").
  [[nodiscard]] static Result<AtomicFile> create(const std::filesystem::path& target);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  // Appends bytes (buffered). kIoError when the OS refuses (disk full, file size limit...).
  [[nodiscard]] Status write(std::span<const std::byte> bytes);
  [[nodiscard]] Status write(std::string_view text);

  // Flushes, fsyncs, closes and renames the temporary file over the target. Afterwards the object
  // is spent: further calls return kInternal. On failure the temporary file is removed and the
  // previous target (if any) is untouched.
  [[nodiscard]] Status commit();

  [[nodiscard]] const std::filesystem::path& target() const { return target_; }
  [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_path_; }
  // Bytes accepted by write() so far, buffered or not.
  [[nodiscard]] std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  AtomicFile(int fd, std::filesystem::path target, std::filesystem::path temp_path);

  Status flush();                                      // writes and empties buffer_
  Status write_all(std::span<const std::byte> bytes);  // unbuffered, retries partial writes
  Status fail(Error error);  // remembers `error`, discards the temporary file, returns the error
  [[nodiscard]] Status spent_error() const;
  void discard() noexcept;  // closes the descriptor and unlinks the temporary file

  int fd_ = -1;  // open while writing; -1 once committed, failed or moved from
  std::filesystem::path target_;
  std::filesystem::path temp_path_;
  std::vector<std::byte> buffer_;
  std::uint64_t bytes_written_ = 0;
  std::optional<Error> failure_;
  bool committed_ = false;
};

// create(), write(), commit() in one call, for contents already in memory. Same errors.
[[nodiscard]] Status write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes);
[[nodiscard]] Status write_file_atomically(const std::filesystem::path& target, std::string_view text);

}  // namespace orfeas
