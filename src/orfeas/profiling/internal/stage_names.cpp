#include "orfeas/profiling/internal/stage_names.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace orfeas::profiling::internal {
namespace {

class NameTable {
 public:
  const std::string* intern(std::string_view name) {
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    const std::string* stored = &names_.emplace_back(name);
    index_.emplace(*stored, stored);
    return stored;
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> names_;                                   // guarded by mutex_; never shrinks
  std::unordered_map<std::string_view, const std::string*> index_;  // guarded by mutex_; views into names_
};

NameTable& table() {
  // Never destroyed: threads may still open scopes while static destructors run.
  static NameTable* const instance = new NameTable;
  return *instance;
}

// Direct-mapped by the view's address. A hit still compares the characters, so a buffer reused
// for another name (a temporary string at the same address) is never mistaken for the old one.
struct CachedName {
  const char* data = nullptr;
  std::size_t size = 0;
  const std::string* interned = nullptr;
};
constexpr std::size_t kCacheSlots = 64;
thread_local std::array<CachedName, kCacheSlots> t_cache;

std::size_t slot_of(const char* data, std::size_t size) {
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  return static_cast<std::size_t>((address >> 4) ^ (address >> 10) ^ size) % kCacheSlots;
}

}  // namespace

const std::string* intern_stage_name(std::string_view name) {
  CachedName& slot = t_cache[slot_of(name.data(), name.size())];
  if (slot.interned != nullptr && slot.data == name.data() && slot.size == name.size() &&
      (name.empty() || std::memcmp(slot.interned->data(), name.data(), name.size()) == 0)) {
    return slot.interned;
  }
  const std::string* interned = table().intern(name);
  slot = {name.data(), name.size(), interned};
  return interned;
}

}  // namespace orfeas::profiling::internal
