// A dlopen handle that closes itself: for driver libraries loaded at run time (NVML), so the
// binary runs — without them — on machines that lack the driver.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto lib, SharedLibrary::open("libnvidia-ml.so.1"));
//   ORFEAS_ASSIGN_OR_RETURN(auto init, lib.symbol<int (*)()>("nvmlInit_v2"));
//
// Thread-safety: open and symbol may be called from any thread (dlerror is per-thread in glibc).
#pragma once

#include <string>

#include "orfeas/core/status.h"

namespace orfeas::gpu {

class SharedLibrary {
 public:
  // kUnavailable with dlerror()'s message when the library cannot be loaded.
  [[nodiscard]] static Result<SharedLibrary> open(const std::string& name);

  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&& other) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary();

  [[nodiscard]] const std::string& name() const { return name_; }

  // kUnavailable when the library has no such symbol (an older driver).
  template <class Function>
  [[nodiscard]] Result<Function> symbol(const char* symbol_name) const {
    ORFEAS_ASSIGN_OR_RETURN(void* address, raw_symbol(symbol_name));
    return reinterpret_cast<Function>(address);  // POSIX guarantees data/function pointer casts
  }

 private:
  SharedLibrary(void* handle, std::string name) : handle_(handle), name_(std::move(name)) {}
  [[nodiscard]] Result<void*> raw_symbol(const char* symbol_name) const;

  void* handle_ = nullptr;
  std::string name_;
};

}  // namespace orfeas::gpu
