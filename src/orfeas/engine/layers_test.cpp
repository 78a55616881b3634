#include "orfeas/engine/layers.h"

#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

Weights weights_of(std::map<std::string, at::Tensor, std::less<>> named) {
  return Weights::from(std::move(named));
}

TEST(Weights, TakeChecksPresenceAndShapeAndScopesNames) {
  const Weights all =
      weights_of({{"model.a.weight", at::zeros({4, 3})}, {"model.a.bias", at::zeros({4})}, {"vae.b", at::zeros({2})}});
  const Weights model = all.scope("model.");
  EXPECT_EQ(model.names(), (std::vector<std::string>{"a.bias", "a.weight"}));
  ASSERT_TRUE(model.take("a.weight", {4, 3}));
  const auto wrong = model.take("a.weight", {3, 4});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(wrong.error().message().find("model.a.weight has shape [4, 3], the model needs [3, 4]"), std::string::npos)
      << wrong.error().message();
  const auto missing = model.take("c", {1});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("no tensor model.c"), std::string::npos);
  EXPECT_TRUE(all.contains("vae.b"));
  EXPECT_FALSE(model.contains("vae.b"));
}

TEST(Layers, LinearIsXWTransposedPlusBias) {
  const at::Tensor w = at::arange(6, at::kFloat).reshape({2, 3});
  const at::Tensor b = at::tensor({0.5F, -1.0F});
  const auto linear = Linear::load(weights_of({{"l.weight", w}, {"l.bias", b}}), "l", 3, 2, true);
  ASSERT_TRUE(linear) << linear.error().message();
  const at::Tensor y = (*linear)(at::tensor({1.0F, 2.0F, 3.0F}));
  EXPECT_FLOAT_EQ(y[0].item<float>(), 0 * 1 + 1 * 2 + 2 * 3 + 0.5F);
  EXPECT_FLOAT_EQ(y[1].item<float>(), 3 * 1 + 4 * 2 + 5 * 3 - 1.0F);
  EXPECT_FALSE(Linear::load(weights_of({{"l.weight", w}}), "l", 3, 2, true));  // no bias
}

TEST(Layers, ScaledRmsNormNormalisesThenScales) {
  const auto norm = ScaledRmsNorm::load(weights_of({{"n.scale", at::tensor({1.0F, 2.0F})}}), "n", 2);
  ASSERT_TRUE(norm);
  const at::Tensor y = (*norm)(at::tensor({3.0F, 4.0F}));
  const float rms = std::sqrt((9.0F + 16.0F) / 2.0F + 1e-6F);
  EXPECT_NEAR(y[0].item<float>(), 3.0F / rms, 1e-6);
  EXPECT_NEAR(y[1].item<float>(), 2.0F * 4.0F / rms, 1e-6);
}

TEST(Layers, RmsNormMatchesItsFormula) {
  const auto norm = RmsNorm::load(weights_of({{"n.weight", at::tensor({0.5F, 1.0F, 2.0F})}}), "n", 3, 1e-6);
  ASSERT_TRUE(norm);
  const at::Tensor x = at::tensor({1.0F, -2.0F, 2.0F});
  const at::Tensor y = (*norm)(x);
  const float rms = std::sqrt(9.0F / 3.0F + 1e-6F);
  EXPECT_NEAR(y[0].item<float>(), 0.5F / rms, 1e-6);
  EXPECT_NEAR(y[1].item<float>(), -2.0F / rms, 1e-6);
  EXPECT_NEAR(y[2].item<float>(), 4.0F / rms, 1e-6);
}

TEST(Layers, LayerNormWithAndWithoutAffine) {
  const at::Tensor x = at::tensor({1.0F, 2.0F, 3.0F, 6.0F});
  const at::Tensor plain = LayerNorm::plain(4, 1e-6)(x);
  EXPECT_NEAR(plain.mean().item<float>(), 0.0F, 1e-6);
  EXPECT_NEAR(plain.pow(2).mean().item<float>(), 1.0F, 1e-4);
  const auto affine =
      LayerNorm::load(weights_of({{"n.weight", at::full({4}, 2.0F)}, {"n.bias", at::full({4}, 1.0F)}}), "n", 4, 1e-6);
  ASSERT_TRUE(affine);
  EXPECT_TRUE(at::allclose((*affine)(x), plain * 2 + 1));
}

TEST(Layers, AttentionIsSoftmaxOfScaledScoresTimesValues) {
  at::manual_seed(3);
  const at::Tensor q = at::randn({2, 3, 5, 8});
  const at::Tensor k = at::randn({2, 3, 7, 8});
  const at::Tensor v = at::randn({2, 3, 7, 4});
  const at::Tensor expected = at::matmul(at::softmax(at::matmul(q, k.transpose(-2, -1)) / std::sqrt(8.0), -1), v);
  const at::Tensor got = attention(q, k, v);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-6));
}

}  // namespace
}  // namespace orfeas::engine
