#include "orfeas/engine/dinov2.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

models::DinoConfig tiny_config(bool swiglu, int image_size = 28) {
  return tiny_dinov2_config(swiglu, image_size);
}

DinoV2 load_or_die(const models::DinoConfig& config, std::uint64_t seed) {
  auto model = DinoV2::load(Weights::from(random_dinov2_weights(config, seed)).scope(kDinoV2Scope), config);
  EXPECT_TRUE(model) << model.error().message();
  return std::move(model).value();
}

// The hand-written reference for one layer: every head sliced out by hand and attended with an
// explicit softmax, no view/transpose, then the layer's formula spelled out.
at::Tensor reference_layer(const DinoV2Layer& layer, const at::Tensor& x, bool swiglu) {
  const std::int64_t d = x.size(-1);
  const std::int64_t hd = d / layer.heads;
  const auto ln = [&](const LayerNorm& n, const at::Tensor& t) {
    const at::Tensor mean = t.mean(-1, true);
    const at::Tensor var = (t - mean).pow(2).mean(-1, true);
    return (t - mean) / at::sqrt(var + n.eps) * n.weight + n.bias;
  };
  const auto lin = [](const Linear& l, const at::Tensor& t) { return at::matmul(t, l.weight.t()) + l.bias; };
  const at::Tensor h1 = ln(layer.norm1, x);
  const at::Tensor q = lin(layer.query, h1);
  const at::Tensor k = lin(layer.key, h1);
  const at::Tensor v = lin(layer.value, h1);
  std::vector<at::Tensor> heads;
  for (std::int64_t h = 0; h < layer.heads; ++h) {
    const at::Tensor qh = q.slice(-1, h * hd, (h + 1) * hd);
    const at::Tensor kh = k.slice(-1, h * hd, (h + 1) * hd);
    const at::Tensor vh = v.slice(-1, h * hd, (h + 1) * hd);
    const at::Tensor scores = at::matmul(qh, kh.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
    heads.push_back(at::matmul(at::softmax(scores, -1), vh));
  }
  const at::Tensor attn = lin(layer.dense, at::cat(heads, -1));
  const at::Tensor h = x + attn * layer.layer_scale1;
  const at::Tensor pre = lin(layer.mlp_in, ln(layer.norm2, h));
  at::Tensor act;
  if (swiglu) {
    const std::int64_t f = pre.size(-1) / 2;
    const at::Tensor x1 = pre.slice(-1, 0, f);
    const at::Tensor x2 = pre.slice(-1, f);
    act = x1 * at::sigmoid(x1) * x2;
  } else {
    act = 0.5 * pre * (1 + at::erf(pre / std::sqrt(2.0)));
  }
  return h + lin(layer.mlp_out, act) * layer.layer_scale2;
}

TEST(DinoV2, FeedForwardWidthsFollowTheReferenceFormulas) {
  models::DinoConfig giant = tiny_config(true, 518);
  giant.hidden_size = 1536;
  EXPECT_EQ(giant.mlp_hidden_size(), 4096);  // the giant's weights_out input (weights_in: 8192)
  EXPECT_EQ(giant.tokens(), 1370);
  EXPECT_EQ(giant.position_embeddings(), 1370);
  models::DinoConfig large = tiny_config(false, 518);
  large.hidden_size = 1024;
  EXPECT_EQ(large.mlp_hidden_size(), 4096);            // the large's fc1
  EXPECT_EQ(tiny_config(true).mlp_hidden_size(), 88);  // int(128·2/3) = 85 -> 88
}

TEST(DinoV2, RandomWeightsHaveTheOfficialNamesAndShapes) {
  const auto swiglu = random_dinov2_weights(tiny_config(true), 1);
  EXPECT_EQ(swiglu.at("main_image_encoder.model.encoder.layer.1.mlp.weights_in.weight").sizes(),
            (std::vector<std::int64_t>{176, 32}));
  EXPECT_EQ(swiglu.at("main_image_encoder.model.encoder.layer.1.mlp.weights_out.weight").sizes(),
            (std::vector<std::int64_t>{32, 88}));
  EXPECT_EQ(swiglu.at("main_image_encoder.model.embeddings.position_embeddings").sizes(),
            (std::vector<std::int64_t>{1, 5, 32}));
  EXPECT_TRUE(swiglu.contains("main_image_encoder.model.embeddings.mask_token"));
  EXPECT_FALSE(swiglu.contains("main_image_encoder.model.encoder.layer.0.mlp.fc1.weight"));
  const auto mlp = random_dinov2_weights(tiny_config(false), 1);
  EXPECT_EQ(mlp.at("main_image_encoder.model.encoder.layer.0.mlp.fc1.weight").sizes(),
            (std::vector<std::int64_t>{128, 32}));
  EXPECT_TRUE(mlp.contains("main_image_encoder.model.layernorm.bias"));
  EXPECT_TRUE(at::equal(mlp.at("main_image_encoder.model.layernorm.bias"),
                        random_dinov2_weights(tiny_config(false), 1).at("main_image_encoder.model.layernorm.bias")));
}

TEST(DinoV2, ForwardShapesForBothFeedForwardKinds) {
  for (const bool swiglu : {true, false}) {
    for (const int size : {28, 42}) {
      SCOPED_TRACE(testing::Message() << "swiglu " << swiglu << ", image " << size);
      models::DinoConfig config = tiny_config(swiglu, size);
      config.config_image_size = 28;  // at 42 the 2 × 2 position table is resampled to 3 × 3
      const DinoV2 model = load_or_die(config, 7);
      const at::Tensor y = model.forward(at::randn({3, 3, size, size}));
      const std::int64_t grid = size / 14;
      EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{3, grid * grid + 1, 32}));
      EXPECT_TRUE(at::isfinite(y).all().item<bool>());
      EXPECT_FALSE(at::allclose(y, model.forward(at::zeros({3, 3, size, size}))));  // depends on the input
    }
  }
}

TEST(DinoV2, EmbeddingsPutClsFirstThenPatchesInRowMajorOrder) {
  const models::DinoConfig config = tiny_config(true, 28);
  const auto named = random_dinov2_weights(config, 3);
  const DinoV2 model = load_or_die(config, 3);
  at::manual_seed(5);
  const at::Tensor pixels = at::randn({2, 3, 28, 28});
  const at::Tensor e = model.embed(pixels);
  ASSERT_EQ(e.sizes(), (std::vector<std::int64_t>{2, 5, 32}));
  const std::string p(kDinoV2Scope);
  const at::Tensor pos = named.at(p + "embeddings.position_embeddings")[0];
  const at::Tensor w = named.at(p + "embeddings.patch_embeddings.projection.weight");  // [D, 3, 14, 14]
  const at::Tensor b = named.at(p + "embeddings.patch_embeddings.projection.bias");
  for (std::int64_t n = 0; n < 2; ++n) {
    EXPECT_TRUE(at::allclose(e[n][0], named.at(p + "embeddings.cls_token")[0][0] + pos[0]));
    for (std::int64_t row = 0; row < 2; ++row) {
      for (std::int64_t col = 0; col < 2; ++col) {
        const at::Tensor patch = pixels[n].slice(1, row * 14, row * 14 + 14).slice(2, col * 14, col * 14 + 14);
        const at::Tensor expected = (w * patch.unsqueeze(0)).sum({1, 2, 3}) + b + pos[1 + row * 2 + col];
        EXPECT_TRUE(at::allclose(e[n][1 + row * 2 + col], expected, 1e-4, 1e-5)) << row << "," << col;
      }
    }
  }
  // The CLS token is a function of the whole image: another image changes it.
  EXPECT_FALSE(at::allclose(model.forward(pixels)[0][0], model.forward(pixels.flip(3))[0][0]));
}

TEST(DinoV2, LayerMatchesAHandWrittenReference) {
  for (const bool swiglu : {true, false}) {
    SCOPED_TRACE(swiglu ? "swiglu" : "gelu mlp");
    const DinoV2 model = load_or_die(tiny_config(swiglu), 11);
    at::manual_seed(2);
    const at::Tensor x = at::randn({2, 5, 32});
    const DinoV2Layer& layer = model.layers()[1];
    const at::Tensor ours = layer(x);
    const at::Tensor ref = reference_layer(layer, x, swiglu);
    EXPECT_TRUE(at::allclose(ours, ref, 1e-4, 1e-5)) << (ours - ref).abs().max().item<float>();
    // The heads are really separate: a reference that attends over all 32 features at once differs.
    DinoV2Layer one_head = layer;
    one_head.heads = 1;
    EXPECT_FALSE(at::allclose(ours, reference_layer(one_head, x, swiglu), 1e-4, 1e-5));
  }
}

TEST(DinoV2, ForwardIsTheLayersThenTheFinalLayerNorm) {
  const models::DinoConfig config = tiny_config(false);
  const auto named = random_dinov2_weights(config, 13);
  const DinoV2 model = load_or_die(config, 13);
  const at::Tensor pixels = at::randn({2, 3, 28, 28});
  at::Tensor h = model.embed(pixels);
  for (const DinoV2Layer& l : model.layers()) h = reference_layer(l, h, false);
  const std::string p(kDinoV2Scope);
  const at::Tensor expected =
      at::layer_norm(h, {32}, named.at(p + "layernorm.weight"), named.at(p + "layernorm.bias"), 1e-6);
  EXPECT_TRUE(at::allclose(model.forward(pixels), expected, 1e-4, 1e-5));
  EXPECT_TRUE(at::equal(model.forward(pixels), model.forward(pixels)));  // deterministic
}

TEST(DinoV2, PositionEmbeddingsAreResampledOnlyForAnotherGrid) {
  models::DinoConfig config = tiny_config(true, 28);  // a 2 × 2 table
  auto named = random_dinov2_weights(config, 17);
  const std::string p(kDinoV2Scope);
  // A table constant over the grid stays constant under bicubic resampling (its weights sum to 1).
  named[p + "embeddings.position_embeddings"] = at::cat({at::full({1, 1, 32}, 3.0F), at::full({1, 4, 32}, 0.25F)}, 1);
  named[p + "embeddings.patch_embeddings.projection.weight"].zero_();
  named[p + "embeddings.patch_embeddings.projection.bias"].zero_();
  named[p + "embeddings.cls_token"].zero_();
  auto model = DinoV2::load(Weights::from(named).scope(kDinoV2Scope), config);
  ASSERT_TRUE(model) << model.error().message();
  const at::Tensor same = model->embed(at::randn({1, 3, 28, 28}));
  EXPECT_TRUE(at::equal(same[0].slice(0, 1), at::full({4, 32}, 0.25F)));
  const at::Tensor bigger = model->embed(at::randn({1, 3, 42, 42}));  // a 3 × 3 grid
  ASSERT_EQ(bigger.sizes(), (std::vector<std::int64_t>{1, 10, 32}));
  EXPECT_TRUE(at::allclose(bigger[0][0], at::full({32}, 3.0F)));
  EXPECT_TRUE(at::allclose(bigger[0].slice(0, 1), at::full({9, 32}, 0.25F), 1e-6, 1e-6));
  // A varying table: the resampled grid is the bicubic (size-based, A = −0.75) resampling.
  named[p + "embeddings.position_embeddings"] = at::randn({1, 5, 32});
  model = DinoV2::load(Weights::from(named).scope(kDinoV2Scope), config);
  ASSERT_TRUE(model);
  const at::Tensor grid =
      named[p + "embeddings.position_embeddings"].slice(1, 1).reshape({1, 2, 2, 32}).permute({0, 3, 1, 2});
  const at::Tensor expected = at::upsample_bicubic2d(grid, {3, 3}, false).permute({0, 2, 3, 1}).reshape({1, 9, 32});
  EXPECT_TRUE(at::allclose(model->embed(at::zeros({1, 3, 42, 42})).slice(1, 1), expected));
}

TEST(DinoV2, LoadErrorsNameTheTensor) {
  const models::DinoConfig config = tiny_config(true);
  const std::string p(kDinoV2Scope);
  auto missing = random_dinov2_weights(config, 1);
  missing.erase(p + "encoder.layer.1.mlp.weights_out.weight");
  const auto a = DinoV2::load(Weights::from(missing).scope(kDinoV2Scope), config);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(a.error().message().find("encoder.layer.1.mlp.weights_out.weight"), std::string::npos)
      << a.error().message();

  auto wrong = random_dinov2_weights(config, 1);
  wrong[p + "embeddings.position_embeddings"] = at::zeros({1, 10, 32});
  const auto b = DinoV2::load(Weights::from(wrong).scope(kDinoV2Scope), config);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(b.error().message().find("embeddings.position_embeddings"), std::string::npos) << b.error().message();

  models::DinoConfig tanh = tiny_config(false);
  tanh.hidden_act = "gelu_new";
  const auto e = DinoV2::load(Weights::from(random_dinov2_weights(tiny_config(false), 1)).scope(kDinoV2Scope), tanh);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kUnsupportedFormat);

  // GELU-MLP weights do not load as the SwiGLU model.
  const auto c = DinoV2::load(Weights::from(random_dinov2_weights(tiny_config(false), 1)).scope(kDinoV2Scope), config);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("mlp.weights_in"), std::string::npos) << c.error().message();

  // The mask token is optional.
  auto no_mask = random_dinov2_weights(config, 1);
  no_mask.erase(p + "embeddings.mask_token");
  EXPECT_TRUE(DinoV2::load(Weights::from(no_mask).scope(kDinoV2Scope), config));

  models::DinoConfig bad = config;
  bad.num_attention_heads = 3;
  const auto d = DinoV2::load(Weights::from(random_dinov2_weights(config, 1)).scope(kDinoV2Scope), bad);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::engine
