#include "orfeas/engine/conditioner.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

using image::ImageRgba8;
using image::Rgba8;

constexpr Rgba8 kRed{255, 0, 0, 255};
constexpr Rgba8 kBlue{0, 0, 255, 255};

// A transparent w × h image with an opaque square [x0, x1) × [y0, y1) of `fill`.
ImageRgba8 square(int w, int h, int x0, int y0, int x1, int y1, Rgba8 fill) {
  ImageRgba8 img(w, h);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) img.at(x, y) = fill;
  }
  return img;
}

// [3] float values of the prepared image at (x, y).
std::vector<float> pixel(const at::Tensor& t, int x, int y) {
  return {t[0][0][y][x].item<float>(), t[0][1][y][x].item<float>(), t[0][2][y][x].item<float>()};
}

models::DinoConfig tiny_config(std::int64_t views = 0) {
  models::DinoConfig config = tiny_dinov2_config();
  config.views = views;
  return config;
}

Conditioner load_or_die(const models::DinoConfig& config) {
  auto cond = Conditioner::load(Weights::from(random_dinov2_weights(config, 21)), config);
  EXPECT_TRUE(cond) << cond.error().message();
  return std::move(cond).value();
}

TEST(ReferenceImage, CentredSquareOnWhite) {
  // Object rows and columns 30..69: the reference's extents are 69 − 30 = 39.
  const auto out = prepare_reference_image(square(100, 100, 30, 30, 70, 70, kRed));
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->sizes(), (std::vector<std::int64_t>{1, 3, 512, 512}));
  EXPECT_EQ(out->scalar_type(), at::kFloat);
  // The background is white, exactly 1.0 after x / 255 · 2 − 1.
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{{0, 0}, {511, 0}, {0, 511}, {511, 511}, {256, 5}}) {
    EXPECT_EQ(pixel(*out, x, y), (std::vector<float>{1.0F, 1.0F, 1.0F})) << x << "," << y;
  }
  EXPECT_EQ(pixel(*out, 256, 256), (std::vector<float>{1.0F, -1.0F, -1.0F}));
  // Placement: 39 · (85 / 39) -> an object h2 pixels high in the 100-pixel canvas, centred, then
  // scaled by 5.12 to 512.
  const double scale = 85.0 / 39.0;
  const auto h2 = static_cast<int>(39.0 * scale);
  const int top = (100 - h2) / 2;
  int first = -1;
  int last = -1;
  for (int y = 0; y < 512; ++y) {
    if ((*out)[0][1][y][256].item<float>() < 0.0F) {
      if (first < 0) first = y;
      last = y;
    }
  }
  EXPECT_NEAR(first, top * 5.12, 3.0);
  EXPECT_NEAR(last + 1, (top + h2) * 5.12, 3.0);
  // Centred: as much white above the object as below it (to a pixel).
  EXPECT_NEAR(first, 511 - last, 1.5);
}

TEST(ReferenceImage, DropsTheObjectsLastRowAndColumn) {
  // A red square whose last row and last column are blue: the reference's crop [min, max) leaves
  // them out, so no blue reaches the output ...
  ImageRgba8 img = square(100, 100, 30, 30, 70, 70, kRed);
  for (int i = 30; i < 70; ++i) {
    img.at(i, 69) = kBlue;
    img.at(69, i) = kBlue;
  }
  const auto out = prepare_reference_image(img);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_FALSE(((*out)[0][2] > (*out)[0][0]).any().item<bool>());
  // ... while a blue first row and column (inside the crop) do show.
  ImageRgba8 first = square(100, 100, 30, 30, 70, 70, kRed);
  for (int i = 30; i < 70; ++i) {
    first.at(i, 30) = kBlue;
    first.at(30, i) = kBlue;
  }
  const auto shown = prepare_reference_image(first);
  ASSERT_TRUE(shown);
  EXPECT_TRUE(((*shown)[0][2] > (*shown)[0][0]).any().item<bool>());
}

TEST(ReferenceImage, SemiTransparentPixelsAreCompositedInFloatAndTruncated) {
  const ImageRgba8 img(64, 64, Rgba8{10, 20, 30, 128});
  const auto out = prepare_reference_image(img);
  ASSERT_TRUE(out) << out.error().message();
  const float m = 128.0F / 255.0F;
  const float white = 255.0F * (1.0F - m);
  std::vector<float> expected;
  for (const int c : {10, 20, 30}) {
    const float product = static_cast<float>(c) * m;
    const float sum = product + white;
    const float truncated = std::floor(sum);  // 132.02 -> 132, …
    expected.push_back(truncated / 255.0F * 2.0F - 1.0F);
  }
  EXPECT_EQ(pixel(*out, 256, 256), expected);
  EXPECT_EQ(pixel(*out, 0, 0), (std::vector<float>{1.0F, 1.0F, 1.0F}));
}

TEST(ReferenceImage, WideImagesUseTheirLongerSide) {
  const auto out = prepare_reference_image(square(200, 100, 90, 40, 110, 60, kRed));
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->sizes(), (std::vector<std::int64_t>{1, 3, 512, 512}));
  EXPECT_EQ(pixel(*out, 256, 256), (std::vector<float>{1.0F, -1.0F, -1.0F}));
  EXPECT_EQ(pixel(*out, 10, 256), (std::vector<float>{1.0F, 1.0F, 1.0F}));
  const auto small = prepare_reference_image(square(200, 100, 90, 40, 110, 60, kRed), {.size = 256});
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size(3), 256);
}

TEST(ReferenceImage, EmptyOrThinObjectsAreErrors) {
  const auto empty = prepare_reference_image(ImageRgba8(32, 32));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::kNoForeground);
  const auto line = prepare_reference_image(square(32, 32, 4, 10, 28, 11, kRed));  // one row high
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code(), ErrorCode::kNoForeground);
  const auto nothing = prepare_reference_image(ImageRgba8{});
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Conditioner, ViewEmbeddingIsSinThenCos) {
  const at::Tensor e = dinov2_view_embedding(32, 4);
  ASSERT_EQ(e.sizes(), (std::vector<std::int64_t>{4, 32}));
  EXPECT_EQ(e.scalar_type(), at::kFloat);
  for (int v = 0; v < 4; ++v) {
    for (int i = 0; i < 16; ++i) {
      const double omega = std::pow(10000.0, -i / 16.0);
      EXPECT_NEAR(e[v][i].item<float>(), std::sin(v * omega), 1e-6);
      EXPECT_NEAR(e[v][16 + i].item<float>(), std::cos(v * omega), 1e-6);
    }
  }
}

TEST(Conditioner, PreprocessIsTheReferenceChain) {
  const Conditioner cond = load_or_die(tiny_config());
  const at::Tensor mean = at::tensor({0.485, 0.456, 0.406}, at::kDouble).to(at::kFloat).view({-1, 1, 1});
  const at::Tensor std = at::tensor({0.229, 0.224, 0.225}, at::kDouble).to(at::kFloat).view({-1, 1, 1});
  // At the DINO size already: no resize, just (x + 1) / 2 and the normalisation.
  const at::Tensor small = at::rand({2, 3, 28, 28}) * 2 - 1;
  EXPECT_TRUE(at::equal(cond.preprocess(small, at::kFloat, at::kCPU), ((small + 1) / 2 - mean) / std));
  // A constant image stays constant through the antialiased resize.
  const at::Tensor grey = at::full({1, 3, 512, 512}, 0.2F);
  const at::Tensor p = cond.preprocess(grey, at::kFloat, at::kCPU);
  ASSERT_EQ(p.sizes(), (std::vector<std::int64_t>{1, 3, 28, 28}));
  EXPECT_TRUE(at::allclose(p, ((at::full({1, 3, 28, 28}, 0.2F) + 1) / 2 - mean) / std, 1e-5, 1e-6));
  // A varying one goes through the antialiased bilinear kernel (not the plain one).
  const at::Tensor img = at::rand({1, 3, 512, 512}) * 2 - 1;
  const at::Tensor aa = at::_upsample_bilinear2d_aa((img + 1) / 2, {28, 28}, false);
  EXPECT_TRUE(at::equal(cond.preprocess(img, at::kFloat, at::kCPU), (aa - mean) / std));
  EXPECT_FALSE(at::allclose(cond.preprocess(img, at::kFloat, at::kCPU),
                            (at::upsample_bilinear2d((img + 1) / 2, {28, 28}, false) - mean) / std));
  // A tall image: the shorter side goes to 28, then the centre is cropped.
  const at::Tensor tall = at::rand({1, 3, 56, 28}) * 2 - 1;
  EXPECT_TRUE(at::equal(cond.preprocess(tall, at::kFloat, at::kCPU), (((tall + 1) / 2 - mean) / std).slice(2, 14, 42)));
}

TEST(Conditioner, EncodeShapesAndDeterminism) {
  const Conditioner cond = load_or_die(tiny_config());
  const at::Tensor image = at::rand({2, 3, 512, 512}) * 2 - 1;
  const at::Tensor tokens = cond.encode(image, at::kFloat, at::kCPU);
  ASSERT_EQ(tokens.sizes(), (std::vector<std::int64_t>{2, 5, 32}));
  EXPECT_TRUE(at::isfinite(tokens).all().item<bool>());
  EXPECT_TRUE(at::equal(tokens, cond.model().forward(cond.preprocess(image, at::kFloat, at::kCPU))));
  EXPECT_TRUE(at::equal(tokens, cond.encode(image, at::kFloat, at::kCPU)));
  const at::Tensor zeros = cond.unconditional(3);
  EXPECT_EQ(zeros.sizes(), (std::vector<std::int64_t>{3, 5, 32}));
  EXPECT_EQ(zeros.count_nonzero().item<std::int64_t>(), 0);
  EXPECT_EQ(cond.tokens_per_view(), 5);
  EXPECT_EQ(cond.hidden_size(), 32);
}

TEST(Conditioner, AnotherImageSizeResamplesThePositionTableAndClsCanBeDropped) {
  models::DinoConfig config = tiny_config();
  config.image_size = 42;  // a 3 × 3 patch grid on the 2 × 2 position table
  const Conditioner cond = load_or_die(config);
  const at::Tensor image = at::rand({1, 3, 64, 64}) * 2 - 1;
  const at::Tensor tokens = cond.encode(image, at::kFloat, at::kCPU);
  ASSERT_EQ(tokens.sizes(), (std::vector<std::int64_t>{1, 10, 32}));
  config.use_cls_token = false;
  const Conditioner patches_only = load_or_die(config);
  const at::Tensor patches = patches_only.encode(image, at::kFloat, at::kCPU);
  ASSERT_EQ(patches.sizes(), (std::vector<std::int64_t>{1, 9, 32}));
  EXPECT_TRUE(at::equal(patches, tokens.slice(1, 1)));
  EXPECT_EQ(patches_only.unconditional(2).sizes(), (std::vector<std::int64_t>{2, 9, 32}));
  config.views = 4;
  const auto mv = Conditioner::load(Weights::from(random_dinov2_weights(config, 21)), config);
  ASSERT_FALSE(mv);
  EXPECT_EQ(mv.error().code(), ErrorCode::kUnsupportedFormat);
}

TEST(Conditioner, MultiViewAddsEachViewsEmbeddingAndConcatenates) {
  const Conditioner cond = load_or_die(tiny_config(4));
  const at::Tensor one = at::rand({1, 1, 3, 28, 28}) * 2 - 1;
  const at::Tensor images = one.expand({2, 4, 3, 28, 28}).contiguous();
  const at::Tensor tokens = cond.encode(images, at::kFloat, at::kCPU);
  ASSERT_EQ(tokens.sizes(), (std::vector<std::int64_t>{2, 20, 32}));
  const at::Tensor embedding = dinov2_view_embedding(32, 4);
  const at::Tensor plain = cond.model().forward(cond.preprocess(one[0], at::kFloat, at::kCPU))[0];  // [5, 32]
  // (close, not equal: the views run as one batch of 8 images, whose GEMMs may block differently.)
  for (std::int64_t v = 0; v < 4; ++v) {
    EXPECT_TRUE(at::allclose(tokens[1].slice(0, 5 * v, 5 * v + 5), plain + embedding[v], 1e-5, 1e-6)) << v;
  }
  // Named views: front and back.
  const at::Tensor two = cond.encode_views(images.slice(1, 0, 2), {{0, 2}, {0, 2}}, at::kFloat, at::kCPU);
  ASSERT_EQ(two.sizes(), (std::vector<std::int64_t>{2, 10, 32}));
  EXPECT_TRUE(at::allclose(two[0].slice(0, 5, 10), plain + embedding[2], 1e-5, 1e-6));
  EXPECT_FALSE(at::allclose(two[0].slice(0, 5, 10), plain + embedding[1], 1e-5, 1e-6));
  EXPECT_EQ(cond.unconditional(2).sizes(), (std::vector<std::int64_t>{2, 20, 32}));
  EXPECT_EQ(cond.unconditional(2, 2).sizes(), (std::vector<std::int64_t>{2, 10, 32}));
}

TEST(Conditioner, LoadErrorsNameTheCheckpointTensor) {
  const models::DinoConfig config = tiny_config();
  std::map<std::string, at::Tensor, std::less<>> all;
  for (auto& [name, t] : random_dinov2_weights(config, 4)) all.emplace("conditioner." + name, t);
  all.erase("conditioner.main_image_encoder.model.layernorm.weight");
  const auto cond = Conditioner::load(Weights::from(all).scope("conditioner."), config);
  ASSERT_FALSE(cond);
  EXPECT_EQ(cond.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(cond.error().message().find("conditioner.main_image_encoder.model.layernorm.weight"), std::string::npos)
      << cond.error().message();
  models::DinoConfig large = config;
  large.hidden_size = 64;
  const auto wrong = Conditioner::load(Weights::from(random_dinov2_weights(config, 4)), large);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace orfeas::engine
