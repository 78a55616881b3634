#include "orfeas/profiling/batch_scope.h"

namespace orfeas::profiling {

BatchScope::BatchScope(ScopeTargets targets, std::string_view name, void* stream) {
  if constexpr (!kProfilingEnabled) return;
  for (const ScopeTarget& target : targets) {
    if (target.profiler != nullptr && target.job != kNoJob)
      scopes_.emplace_back(target.profiler, target.job, name, stream);
  }
}

void BatchScope::close() {
  while (!scopes_.empty()) scopes_.pop_back();
}

}  // namespace orfeas::profiling
