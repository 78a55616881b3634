// DataDir: the files of `orfeas serve` beside its job store.
//
//   <data>/jobs.sqlite3          the JobStore
//   <data>/uploads/<id>.<ext>    an uploaded image, as received
//   <data>/results/<id>.<ext>    the exported mesh
//
//   ORFEAS_ASSIGN_OR_RETURN(auto data, jobs::DataDir::open("/var/lib/orfeas"));
//   ORFEAS_ASSIGN_OR_RETURN(std::string upload, data.write_upload(id, "png", bytes));  // "uploads/<id>.png"
//   ORFEAS_ASSIGN_OR_RETURN(std::string result, data.result_path(id, "glb"));         // "results/<id>.glb"
//   export_mesh(mesh, data.absolute(result));   // the exporter writes atomically itself
//
// File names are built only from validated job ids and extensions from a short list of lowercase
// letters and digits, never from anything else a client sends, so no request can name a file
// outside these two folders. Paths stored in the job store are relative to the data directory, so
// the directory may move. Files are written through core's write_file_atomically.
// Thread-safety: immutable after open(); every method may be called from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::jobs {

class DataDir {
 public:
  // Creates <root>, <root>/uploads and <root>/results where missing. kIoError when it cannot.
  [[nodiscard]] static Result<DataDir> open(const std::filesystem::path& root);

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

  // "uploads/<id>.<ext>" / "results/<id>.<ext>". kInvalidArgument for a malformed id or extension
  // (1 to 8 lowercase letters or digits).
  [[nodiscard]] static Result<std::string> upload_path(std::string_view id, std::string_view extension);
  [[nodiscard]] static Result<std::string> result_path(std::string_view id, std::string_view extension);

  // Writes the upload atomically and returns its relative path.
  [[nodiscard]] Result<std::string> write_upload(std::string_view id, std::string_view extension,
                                                 std::span<const std::byte> bytes) const;
  // Writes a result atomically (for results made in memory) and returns its relative path.
  [[nodiscard]] Result<std::string> write_result(std::string_view id, std::string_view extension,
                                                 std::span<const std::byte> bytes) const;

  // root / relative, for a path this class made. kInvalidArgument for any other path (absolute,
  // "..", another folder, a malformed name), so a path read back from the store is checked again.
  [[nodiscard]] Result<std::filesystem::path> absolute(std::string_view relative) const;
  // Deletes the file at a relative path; a file already gone is not an error.
  [[nodiscard]] Status remove(std::string_view relative) const;

 private:
  explicit DataDir(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

}  // namespace orfeas::jobs
