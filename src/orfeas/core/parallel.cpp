#include "orfeas/core/parallel.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace orfeas {

std::size_t worker_count() {
  static const std::size_t count = [] {
    if (const char* env = std::getenv("ORFEAS_THREADS")) {
      const long value = std::strtol(env, nullptr, 10);
      if (value > 0) return static_cast<std::size_t>(value);
    }
    return std::max<std::size_t>(1, std::thread::hardware_concurrency());
  }();
  return count;
}

void parallel_for(std::size_t begin, std::size_t end, std::size_t min_chunk,
                  const std::function<void(std::size_t, std::size_t)>& fn) {
  if (end <= begin) return;
  const std::size_t total = end - begin;
  const std::size_t chunk_floor = std::max<std::size_t>(1, min_chunk);
  const std::size_t chunks = std::min(worker_count(), std::max<std::size_t>(1, total / chunk_floor));
  if (chunks <= 1) {
    fn(begin, end);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(chunks - 1);
  const std::size_t step = total / chunks;
  const std::size_t extra = total % chunks;
  std::size_t chunk_begin = begin;
  std::size_t first_end = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t chunk_end = chunk_begin + step + (c < extra ? 1 : 0);
    if (c == 0) {
      first_end = chunk_end;
    } else {
      workers.emplace_back(fn, chunk_begin, chunk_end);
    }
    chunk_begin = chunk_end;
  }
  fn(begin, first_end);
  for (auto& worker : workers) worker.join();
}

}  // namespace orfeas
