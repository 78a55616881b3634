// Internal: fixed-width little-endian stores and loads for the binary formats (STL, GLB, PLY).
//
// All three formats are little-endian; so is every host ORFEAS supports, which the static_assert
// makes explicit instead of byte-swapping on every value. Not part of the public API.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "orfeas/core/vec3.h"

namespace orfeas::exporter::detail {

static_assert(std::endian::native == std::endian::little, "the STL/GLB/PLY writers assume a little-endian host");

template <class T>
requires std::is_arithmetic_v<T>
inline std::byte* store_le(std::byte* dst, T value) {
  std::memcpy(dst, &value, sizeof(T));
  return dst + sizeof(T);
}

inline std::byte* store_le(std::byte* dst, Vec3f value) {
  dst = store_le(dst, value.x);
  dst = store_le(dst, value.y);
  return store_le(dst, value.z);
}

template <class T>
requires std::is_arithmetic_v<T>
inline T load_le(const std::byte* src) {
  T value;
  std::memcpy(&value, src, sizeof(T));
  return value;
}

inline Vec3f load_le_vec3(const std::byte* src) {
  return {load_le<float>(src), load_le<float>(src + 4), load_le<float>(src + 8)};
}

}  // namespace orfeas::exporter::detail
