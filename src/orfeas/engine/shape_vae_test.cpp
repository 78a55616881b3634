#include "orfeas/engine/shape_vae.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

using Named = std::map<std::string, at::Tensor, std::less<>>;

at::Tensor randn(at::IntArrayRef shape, std::uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

ShapeVae load_or_die(const Named& named, const models::ShapeVaeConfig& config) {
  auto vae = ShapeVae::load(Weights::from(named), config);
  EXPECT_TRUE(vae) << vae.error().message();
  return std::move(*vae);
}

at::Tensor ln(const Named& w, const std::string& name, const at::Tensor& x, double eps) {
  return at::layer_norm(x, {x.size(-1)}, w.at(name + ".weight"), w.at(name + ".bias"), eps);
}

at::Tensor lin(const Named& w, const std::string& name, const at::Tensor& x) {
  const auto bias = w.find(name + ".bias");
  return at::linear(x, w.at(name + ".weight"), bias == w.end() ? at::Tensor() : bias->second);
}

at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {  // [L, d]
  const at::Tensor scores = at::matmul(q, k.t()) / std::sqrt(static_cast<double>(q.size(-1)));
  return at::matmul(at::softmax(scores, -1), v);
}

TEST(ShapeVae, LoadsTheOfficialNamesAndDecodesToTheRightShapes) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  const Named named = random_shape_vae_weights(config, 1);
  EXPECT_TRUE(named.count("transformer.resblocks.1.attn.attention.q_norm.weight"));
  EXPECT_TRUE(named.count("geo_decoder.cross_attn_decoder.attn.c_kv.weight"));
  EXPECT_FALSE(named.count("transformer.resblocks.0.attn.c_qkv.bias"));  // qkv_bias false
  EXPECT_EQ(named.at("geo_decoder.query_proj.weight").sizes(), (std::vector<std::int64_t>{32, 27}));
  const ShapeVae vae = load_or_die(named, config);
  const at::Tensor tokens = vae.decode_latents(randn({2, 64, 64}, 2));
  EXPECT_EQ(tokens.sizes(), (std::vector<std::int64_t>{2, 64, 32}));
  const at::Tensor kv = vae.geometry_decoder().keys_values(tokens);
  EXPECT_EQ(kv.sizes(), (std::vector<std::int64_t>{2, 64, 2, 32}));
  const at::Tensor logits = vae.geometry_decoder().query(at::rand({2, 100, 3}) * 2 - 1, kv);
  EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, 100}));
  EXPECT_TRUE(at::isfinite(logits).all().item<bool>());
}

TEST(ShapeVae, IsDeterministicAndSeedDependent) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  const at::Tensor latents = randn({1, 64, 64}, 3);
  const at::Tensor a = load_or_die(random_shape_vae_weights(config, 7), config).decode_latents(latents);
  const at::Tensor b = load_or_die(random_shape_vae_weights(config, 7), config).decode_latents(latents);
  const at::Tensor c = load_or_die(random_shape_vae_weights(config, 8), config).decode_latents(latents);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::allclose(a, c));
}

// One transformer block, written per head from explicit row slices of c_qkv: head h's q, k and v
// are rows h·3hd + [0, hd), [hd, 2hd), [2hd, 3hd) (the reference's interleaved view).
TEST(ShapeVae, SelfAttentionSplitsQkvPerHeadInterleaved) {
  models::ShapeVaeConfig config = tiny_shape_vae_config();
  config.num_decoder_layers = 1;
  config.qkv_bias = true;
  const Named w = random_shape_vae_weights(config, 11);
  const ShapeVae vae = load_or_die(w, config);
  const at::Tensor x = randn({1, 10, 32}, 12);
  const std::string p = "transformer.resblocks.0.";
  const std::int64_t hd = 16;
  const at::Tensor h = ln(w, p + "ln_1", x, 1e-6)[0];  // [10, 32]
  const at::Tensor wqkv = w.at(p + "attn.c_qkv.weight");
  const at::Tensor bqkv = w.at(p + "attn.c_qkv.bias");
  std::vector<at::Tensor> heads;
  for (std::int64_t head = 0; head < 2; ++head) {
    auto part = [&](std::int64_t which) {
      const std::int64_t row = head * 3 * hd + which * hd;
      return at::linear(h, wqkv.slice(0, row, row + hd), bqkv.slice(0, row, row + hd));
    };
    const at::Tensor q = ln(w, p + "attn.attention.q_norm", part(0), 1e-6);
    const at::Tensor k = ln(w, p + "attn.attention.k_norm", part(1), 1e-6);
    heads.push_back(softmax_attention(q, k, part(2)));
  }
  at::Tensor expected = x[0] + lin(w, p + "attn.c_proj", at::cat(heads, -1));
  expected = expected + lin(w, p + "mlp.c_proj", at::gelu(lin(w, p + "mlp.c_fc", ln(w, p + "ln_2", expected, 1e-6))));
  const at::Tensor got = vae.blocks()[0](x)[0];
  EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-5)) << (got - expected).abs().max().item<float>();
  // And the whole decode is post_kl followed by the block.
  const at::Tensor latents = randn({1, 10, 64}, 13);
  EXPECT_TRUE(at::allclose(vae.decode_latents(latents), vae.blocks()[0](lin(w, "post_kl", latents)), 1e-6, 1e-6));
}

// The Fourier features in their closed form: [x, y, z, sin(x·2^0..x·2^3, y.., z..), cos(...)].
TEST(ShapeVae, FourierFeaturesAreCoordinateMajor) {
  for (const bool include_pi : {false, true}) {
    const FourierEmbedder fourier = FourierEmbedder::make(4, include_pi, at::TensorOptions().dtype(at::kFloat));
    const std::vector<float> p = {0.5F, -0.25F, 0.875F};
    const at::Tensor got = fourier(at::tensor(p).reshape({1, 1, 3}));
    ASSERT_EQ(got.sizes(), (std::vector<std::int64_t>{1, 1, 27}));
    EXPECT_EQ(fourier.out_dim(), 27);
    std::vector<double> expected(p.begin(), p.end());
    for (const bool cosine : {false, true}) {
      for (int c = 0; c < 3; ++c) {
        for (int f = 0; f < 4; ++f) {
          const double freq = std::ldexp(1.0, f) * (include_pi ? static_cast<double>(static_cast<float>(M_PI)) : 1.0);
          const double arg = static_cast<double>(static_cast<float>(p[c] * freq));
          expected.push_back(cosine ? std::cos(arg) : std::sin(arg));
        }
      }
    }
    for (int i = 0; i < 27; ++i) {
      EXPECT_NEAR(got[0][0][i].item<float>(), expected[i], 2e-6) << "feature " << i << " include_pi " << include_pi;
    }
  }
  // f32 points with half frequencies stay f32 (the reference's refinement passes).
  const FourierEmbedder half = FourierEmbedder::make(3, false, at::TensorOptions().dtype(at::kHalf));
  EXPECT_EQ(half.frequencies().scalar_type(), at::kHalf);
  EXPECT_EQ(half(at::zeros({2, 3})).scalar_type(), at::kFloat);
}

// The geometry decoder written out: standard per-head q slices; k and v from c_kv rows
// h·2hd + [0, hd) and h·2hd + [hd, 2hd); ln_post with eps 1e-5.
TEST(ShapeVae, GeometryDecoderMatchesItsExplicitFormula) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  const Named w = random_shape_vae_weights(config, 21);
  const ShapeVae vae = load_or_die(w, config);
  const at::Tensor tokens = randn({1, 64, 32}, 22);
  const at::Tensor points = at::rand({1, 9, 3}) * 2 - 1;
  const GeometryDecoder& geo = vae.geometry_decoder();
  const at::Tensor got = geo.query(points, geo.keys_values(tokens))[0];

  const std::string c = "geo_decoder.cross_attn_decoder.";
  const std::int64_t hd = 16;
  const at::Tensor x = lin(w, "geo_decoder.query_proj", geo.fourier()(points[0]));
  const at::Tensor hq = lin(w, c + "attn.c_q", ln(w, c + "ln_1", x, 1e-6));
  const at::Tensor data = ln(w, c + "ln_2", tokens[0], 1e-6);
  const at::Tensor wkv = w.at(c + "attn.c_kv.weight");
  std::vector<at::Tensor> heads;
  for (std::int64_t head = 0; head < 2; ++head) {
    const at::Tensor q = ln(w, c + "attn.attention.q_norm", hq.slice(1, head * hd, (head + 1) * hd), 1e-6);
    const at::Tensor k =
        ln(w, c + "attn.attention.k_norm", at::linear(data, wkv.slice(0, head * 2 * hd, head * 2 * hd + hd)), 1e-6);
    const at::Tensor v = at::linear(data, wkv.slice(0, head * 2 * hd + hd, (head + 1) * 2 * hd));
    heads.push_back(softmax_attention(q, k, v));
  }
  at::Tensor y = x + lin(w, c + "attn.c_proj", at::cat(heads, -1));
  y = y + lin(w, c + "mlp.c_proj", at::gelu(lin(w, c + "mlp.c_fc", ln(w, c + "ln_3", y, 1e-6))));
  const at::Tensor expected = lin(w, "geo_decoder.output_proj", ln(w, "geo_decoder.ln_post", y, 1e-5)).squeeze(-1);
  EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-5)) << (got - expected).abs().max().item<float>();
}

TEST(ShapeVae, CachedKeysValuesGiveTheSameBitsAsRecomputing) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  const ShapeVae vae = load_or_die(random_shape_vae_weights(config, 31), config);
  const GeometryDecoder& geo = vae.geometry_decoder();
  const at::Tensor tokens = vae.decode_latents(randn({2, 64, 64}, 32));
  const at::Tensor kv = geo.keys_values(tokens);
  for (int chunk = 0; chunk < 3; ++chunk) {
    const at::Tensor points = at::rand({2, 50, 3}) * 2 - 1;
    EXPECT_TRUE(at::equal(geo.query(points, kv), geo.query(points, geo.keys_values(tokens))));
  }
}

TEST(ShapeVae, OtherConfigurationsLoadAndRun) {
  models::ShapeVaeConfig config = tiny_shape_vae_config();
  config.qk_norm = false;
  config.qkv_bias = true;
  config.include_pi = true;
  config.geo_decoder_downsample_ratio = 2;
  config.geo_decoder_mlp_expand_ratio = 2;
  config.geo_decoder_ln_post = false;
  const Named named = random_shape_vae_weights(config, 41);
  EXPECT_TRUE(named.count("geo_decoder.latents_proj.weight"));
  EXPECT_FALSE(named.count("geo_decoder.ln_post.weight"));
  const ShapeVae vae = load_or_die(named, config);
  const at::Tensor kv = vae.geometry_decoder().keys_values(vae.decode_latents(randn({1, 64, 64}, 42)));
  EXPECT_EQ(kv.sizes(), (std::vector<std::int64_t>{1, 64, 1, 32}));  // width 16, 1 head
  EXPECT_EQ(vae.geometry_decoder().query(at::zeros({1, 5, 3}), kv).sizes(), (std::vector<std::int64_t>{1, 5}));
  // Encoder-only tensors in the file are ignored.
  Named more = named;
  more["pre_kl.weight"] = at::zeros({128, 32});
  more["encoder.query"] = at::zeros({64, 32});
  EXPECT_TRUE(ShapeVae::load(Weights::from(more), config));
}

TEST(ShapeVae, MissingOrMisshapenTensorsAreNamedErrors) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  Named missing = random_shape_vae_weights(config, 51);
  missing.erase("geo_decoder.cross_attn_decoder.attn.attention.k_norm.bias");
  const auto a = ShapeVae::load(Weights::from(missing), config);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(a.error().message().find("geo_decoder.cross_attn_decoder.attn.attention.k_norm.bias"), std::string::npos)
      << a.error().message();

  Named wrong = random_shape_vae_weights(config, 51);
  wrong["transformer.resblocks.1.attn.c_qkv.weight"] = at::zeros({96, 33});
  const auto b = ShapeVae::load(Weights::from(wrong), config);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(b.error().message().find("transformer.resblocks.1.attn.c_qkv.weight"), std::string::npos)
      << b.error().message();

  // Scoped names carry the checkpoint's prefix in the message.
  Named prefixed;
  for (const auto& [name, tensor] : missing) prefixed["vae." + name] = tensor;
  const auto c = ShapeVae::load(Weights::from(prefixed).scope("vae."), config);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("vae.geo_decoder.cross_attn_decoder.attn.attention.k_norm.bias"),
            std::string::npos)
      << c.error().message();

  models::ShapeVaeConfig bad = config;
  bad.heads = 3;
  const auto d = ShapeVae::load(Weights::from(random_shape_vae_weights(config, 51)), bad);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::engine
