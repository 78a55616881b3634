#include "orfeas/engine/checkpoint.h"

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/testing/temp_dir.h"

namespace orfeas::engine {
namespace {

std::span<const std::byte> bytes_of(const std::vector<std::uint16_t>& values) {
  return std::as_bytes(std::span(values));
}

TEST(Checkpoint, LoadsThePrefixConvertingFloatsToTheRunDtypeOnce) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "model.fp16.safetensors";
  // fp16 1.5, -2, 0.25 and 3 as bits; an int64 step counter that must stay int64.
  const std::vector<std::uint16_t> half_bits{0x3E00, 0xC000, 0x3400, 0x4200};
  const std::vector<std::int64_t> steps{42};
  const std::vector<float> other{7.0F};
  const std::vector<models::TensorToWrite> tensors{
      {"model.w", models::DType::kF16, {2, 2}, bytes_of(half_bits)},
      {"model.steps", models::DType::kI64, {1}, std::as_bytes(std::span(steps))},
      {"vae.x", models::DType::kF32, {1}, std::as_bytes(std::span(other))}};
  ASSERT_TRUE(models::write_safetensors(path, tensors));
  auto file = models::SafetensorsFile::open(path);
  ASSERT_TRUE(file) << file.error().message();

  LoadReport report;
  const auto weights = load_weights(**file, "model.", at::kCPU, at::kFloat, &report);
  ASSERT_TRUE(weights) << weights.error().message();
  EXPECT_EQ(weights->names(), (std::vector<std::string>{"model.steps", "model.w"}));
  const auto w = weights->scope("model.").take("w", {2, 2});
  ASSERT_TRUE(w);
  EXPECT_EQ(w->scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(*w, at::tensor({1.5F, -2.0F, 0.25F, 3.0F}).reshape({2, 2})));
  const auto counter = weights->scope("model.").take("steps", {1});
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->scalar_type(), at::kLong);
  EXPECT_EQ(counter->item<std::int64_t>(), 42);
  EXPECT_EQ(report.tensors, 2U);
  EXPECT_EQ(report.file_bytes, 8U + 8U);
  EXPECT_EQ(report.device_bytes, 16U + 8U);
  EXPECT_GT(report.peak_host_bytes, 0U);

  // The file can go: the weights own their memory.
  file->reset();
  EXPECT_FLOAT_EQ(w->sum().item<float>(), 2.75F);
}

TEST(Checkpoint, APrefixNothingHasIsAnError) {
  testing::TempDir dir;
  const std::vector<float> one{1.0F};
  const std::vector<models::TensorToWrite> tensors{{"vae.x", models::DType::kF32, {1}, std::as_bytes(std::span(one))}};
  ASSERT_TRUE(models::write_safetensors(dir.path() / "m.safetensors", tensors));
  auto file = models::SafetensorsFile::open(dir.path() / "m.safetensors");
  ASSERT_TRUE(file);
  const auto weights = load_weights(**file, "model.", at::kCPU, at::kFloat);
  ASSERT_FALSE(weights);
  EXPECT_EQ(weights.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(weights.error().message().find("model."), std::string::npos);
}

}  // namespace
}  // namespace orfeas::engine
