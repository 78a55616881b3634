// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS): caps the size of files
// this process may write (RLIMIT_FSIZE, SIGXFSZ ignored), so a writer fails midway with EFBIG.
//
//   {
//     const orfeas::testing::FileSizeLimit limit(64 * 1024);
//     EXPECT_FALSE(write_big_file(path));   // "File too large"
//   }                                       // the previous limit is back
//
// Process-wide: not for tests that run writers on other threads at the same time.
#pragma once

#include <sys/resource.h>

namespace orfeas::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace orfeas::testing
