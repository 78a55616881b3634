// SHA-256 (FIPS 180-4), for the content hash of uploaded images: the job store's cache key.
//
//   const std::string hex = orfeas::jobs::sha256_hex(image_bytes);  // 64 lowercase hex digits
//
// Our own compact implementation: none of the project's Debian dependencies exposes one (OpenSSL
// is not a dependency; libsqlite3 keeps its hash internal). Checked against the FIPS vectors.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace orfeas::jobs {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental hashing, for inputs that arrive in pieces (an upload read in chunks).
class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);
  // The digest of everything passed to update(); the object must not be used afterwards.
  [[nodiscard]] Sha256Digest finish();

 private:
  void compress(const std::uint8_t* block);  // one 64-byte block

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

[[nodiscard]] Sha256Digest sha256(std::span<const std::byte> bytes);
// Lowercase hex of the digest of `bytes` / `text`.
[[nodiscard]] std::string sha256_hex(std::span<const std::byte> bytes);
[[nodiscard]] std::string sha256_hex(std::string_view text);
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace orfeas::jobs
