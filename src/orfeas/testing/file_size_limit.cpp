#include "orfeas/testing/file_size_limit.h"

#include <csignal>

namespace orfeas::testing {

FileSizeLimit::FileSizeLimit(rlim_t bytes) {
  previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
  ::getrlimit(RLIMIT_FSIZE, &previous_);
  rlimit limited = previous_;
  limited.rlim_cur = bytes;
  ::setrlimit(RLIMIT_FSIZE, &limited);
}

FileSizeLimit::~FileSizeLimit() {
  ::setrlimit(RLIMIT_FSIZE, &previous_);
  std::signal(SIGXFSZ, previous_handler_);
}

}  // namespace orfeas::testing
