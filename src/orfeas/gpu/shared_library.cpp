#include "orfeas/gpu/shared_library.h"

#include <dlfcn.h>

#include <utility>

#include <fmt/format.h>

namespace orfeas::gpu {

Result<SharedLibrary> SharedLibrary::open(const std::string& name) {
  (void)dlerror();
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cannot load {}: {}", name, why != nullptr ? why : "unknown reason"));
  }
  return SharedLibrary(handle, name);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), name_(std::move(other.name_)) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    name_ = std::move(other.name_);
  }
  return *this;
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

Result<void*> SharedLibrary::raw_symbol(const char* symbol_name) const {
  (void)dlerror();
  void* address = dlsym(handle_, symbol_name);
  if (address == nullptr) {
    const char* why = dlerror();
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{} has no {}: {}", name_, symbol_name, why != nullptr ? why : "null symbol"));
  }
  return address;
}

}  // namespace orfeas::gpu
