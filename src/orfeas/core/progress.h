// Progress within one stage: "step k of n" (diffusion steps, decoding chunks, sampling slabs), so
// that a long stage can tell a watching user or the service's progress events how far it is.
//
//   void run(const StepProgress& progress) { for (k = 1..n) { work(k); report(progress, k, n); } }
//
// Thread-safety: a callback may be invoked from the thread that runs the stage; it must be cheap.
#pragma once

#include <cstddef>
#include <functional>

namespace orfeas {

// `step` of `steps` done, 1 ≤ step ≤ steps.
using StepProgress = std::function<void(std::size_t step, std::size_t steps)>;

inline void report(const StepProgress& progress, std::size_t step, std::size_t steps) {
  if (progress) progress(step, steps);
}

}  // namespace orfeas
