#include "orfeas/engine/hunyuan3d_dit.h"

#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

using Named = std::map<std::string, at::Tensor, std::less<>>;

models::Hunyuan3DDitConfig tiny_config(bool guidance_embed = false) {
  models::Hunyuan3DDitConfig c;
  c.in_channels = 8;
  c.context_in_dim = 24;
  c.hidden_size = 64;
  c.mlp_ratio = 4.0;
  c.num_heads = 4;
  c.depth = 2;
  c.depth_single_blocks = 2;
  c.axes_dim = {16};
  c.theta = 10000;
  c.qkv_bias = true;
  c.guidance_embed = guidance_embed;
  c.time_factor = 1000;
  return c;
}

struct Inputs {
  at::Tensor x, t, cond;
};

Inputs tiny_inputs(std::int64_t batch = 2) {
  at::manual_seed(11);
  return {at::randn({batch, 10, 8}), at::rand({batch}), at::randn({batch, 6, 24})};
}

Hunyuan3DDit load_or_die(const Named& named, const models::Hunyuan3DDitConfig& config) {
  auto dit = Hunyuan3DDit::load(Weights::from(named), config);
  EXPECT_TRUE(dit) << dit.error().message();
  return std::move(*dit);
}

// ---- A from-the-formulas version of the model, with per-head slices and explicit softmax -------

at::Tensor lin(const Named& w, const std::string& name, const at::Tensor& x) {
  const auto bias = w.find(name + ".bias");
  at::Tensor y = at::matmul(x, w.at(name + ".weight").t());
  return bias == w.end() ? y : y + bias->second;
}

at::Tensor layer_norm_plain(const at::Tensor& x) {
  const at::Tensor mean = x.mean(-1, true);
  const at::Tensor var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / at::sqrt(var + 1e-6);
}

at::Tensor rms(const at::Tensor& x, const at::Tensor& scale) {
  return x / at::sqrt(x.pow(2).mean(-1, true) + 1e-6) * scale;
}

at::Tensor gelu_tanh_formula(const at::Tensor& x) {
  return 0.5 * x * (1 + at::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}

// q_all, k_all, v_all [B, L, H·hd] (head h = columns h·hd..); q/k normalised per head when scales
// are given.
at::Tensor naive_attention(const at::Tensor& q_all, const at::Tensor& k_all, const at::Tensor& v_all,
                           std::int64_t heads, const at::Tensor& q_scale, const at::Tensor& k_scale) {
  const std::int64_t hd = q_all.size(-1) / heads;
  std::vector<at::Tensor> outs;
  for (std::int64_t h = 0; h < heads; ++h) {
    at::Tensor q = q_all.slice(-1, h * hd, (h + 1) * hd);
    at::Tensor k = k_all.slice(-1, h * hd, (h + 1) * hd);
    if (q_scale.defined()) q = rms(q, q_scale);
    if (k_scale.defined()) k = rms(k, k_scale);
    const at::Tensor v = v_all.slice(-1, h * hd, (h + 1) * hd);
    const at::Tensor p = at::softmax(at::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(hd)), -1);
    outs.push_back(at::matmul(p, v));
  }
  return at::cat(outs, -1);
}

at::Tensor naive_forward(const Named& w, const models::Hunyuan3DDitConfig& c, const Inputs& in,
                         const std::optional<at::Tensor>& guidance) {
  const std::int64_t hsz = c.hidden_size;
  const std::int64_t heads = c.num_heads;
  const auto embed = [&](const at::Tensor& t) {
    const at::Tensor i = at::arange(128, at::kDouble);
    const at::Tensor args = (t.to(at::kDouble) * 1000).unsqueeze(1) * at::exp(-std::log(1000.0) * i / 128);
    return at::cat({at::cos(args), at::sin(args)}, -1).to(at::kFloat);
  };
  const auto mlp_embed = [&](const std::string& p, const at::Tensor& e) {
    return lin(w, p + ".out_layer", at::silu(lin(w, p + ".in_layer", e)));
  };
  at::Tensor img = lin(w, "latent_in", in.x);
  at::Tensor vec = mlp_embed("time_in", embed(in.t));
  if (guidance) vec = vec + mlp_embed("guidance_in", embed(*guidance));
  at::Tensor txt = lin(w, "cond_in", in.cond);
  const std::int64_t txt_len = txt.size(1);
  const auto mod = [&](const std::string& name, std::int64_t i) {  // chunk i of lin(silu(vec)), [B, 1, H]
    return lin(w, name, at::silu(vec)).slice(-1, i * hsz, (i + 1) * hsz).unsqueeze(1);
  };
  for (std::int64_t b = 0; b < c.depth; ++b) {
    const std::string p = "double_blocks." + std::to_string(b) + ".";
    std::map<std::string, std::array<at::Tensor, 3>> qkv;
    for (const std::string s : {"img", "txt"}) {
      const at::Tensor& stream = s == "img" ? img : txt;
      const at::Tensor m = layer_norm_plain(stream) * (1 + mod(p + s + "_mod.lin", 1)) + mod(p + s + "_mod.lin", 0);
      const at::Tensor y = lin(w, p + s + "_attn.qkv", m);
      qkv[s] = {y.slice(-1, 0, hsz), y.slice(-1, hsz, 2 * hsz), y.slice(-1, 2 * hsz)};
    }
    // Normalisation is per stream (its own scales), so normalise before joining: do it by hand.
    std::array<at::Tensor, 2> q_parts, k_parts;
    int idx = 0;
    for (const std::string s : {"txt", "img"}) {
      const at::Tensor qs = w.at(p + s + "_attn.norm.query_norm.scale");
      const at::Tensor ks = w.at(p + s + "_attn.norm.key_norm.scale");
      std::vector<at::Tensor> qh, kh;
      const std::int64_t hd = hsz / heads;
      for (std::int64_t h = 0; h < heads; ++h) {
        qh.push_back(rms(qkv[s][0].slice(-1, h * hd, (h + 1) * hd), qs));
        kh.push_back(rms(qkv[s][1].slice(-1, h * hd, (h + 1) * hd), ks));
      }
      q_parts[idx] = at::cat(qh, -1);
      k_parts[idx] = at::cat(kh, -1);
      ++idx;
    }
    const at::Tensor attn =
        naive_attention(at::cat({q_parts[0], q_parts[1]}, 1), at::cat({k_parts[0], k_parts[1]}, 1),
                        at::cat({qkv["txt"][2], qkv["img"][2]}, 1), heads, at::Tensor(), at::Tensor());
    const auto finish = [&](const std::string& s, const at::Tensor& x, const at::Tensor& a) {
      const std::string mn = p + s + "_mod.lin";
      at::Tensor out = x + mod(mn, 2) * lin(w, p + s + "_attn.proj", a);
      const at::Tensor m2 = layer_norm_plain(out) * (1 + mod(mn, 4)) + mod(mn, 3);
      return out + mod(mn, 5) * lin(w, p + s + "_mlp.2", gelu_tanh_formula(lin(w, p + s + "_mlp.0", m2)));
    };
    const at::Tensor new_img = finish("img", img, attn.slice(1, txt_len));
    txt = finish("txt", txt, attn.slice(1, 0, txt_len));
    img = new_img;
  }
  at::Tensor x = at::cat({txt, img}, 1);
  for (std::int64_t b = 0; b < c.depth_single_blocks; ++b) {
    const std::string p = "single_blocks." + std::to_string(b) + ".";
    const at::Tensor m = layer_norm_plain(x) * (1 + mod(p + "modulation.lin", 1)) + mod(p + "modulation.lin", 0);
    const at::Tensor y = lin(w, p + "linear1", m);
    const at::Tensor attn =
        naive_attention(y.slice(-1, 0, hsz), y.slice(-1, hsz, 2 * hsz), y.slice(-1, 2 * hsz, 3 * hsz), heads,
                        w.at(p + "norm.query_norm.scale"), w.at(p + "norm.key_norm.scale"));
    const at::Tensor out = lin(w, p + "linear2", at::cat({attn, gelu_tanh_formula(y.slice(-1, 3 * hsz))}, -1));
    x = x + mod(p + "modulation.lin", 2) * out;
  }
  x = x.slice(1, txt_len);
  const at::Tensor shift = mod("final_layer.adaLN_modulation.1", 0);
  const at::Tensor scale = mod("final_layer.adaLN_modulation.1", 1);
  return lin(w, "final_layer.linear", layer_norm_plain(x) * (1 + scale) + shift);
}

// ---------------------------------------------------------------------------------------------------

TEST(Hunyuan3DDit, TimestepEmbeddingIsCosThenSinOfThousandTimesT) {
  const at::Tensor t = at::tensor({0.25F, 0.7F});
  const at::Tensor e = hunyuan3d_timestep_embedding(t, 8, /*max_period=*/1000, /*time_factor=*/1000);
  ASSERT_EQ(e.sizes(), (std::vector<std::int64_t>{2, 8}));
  EXPECT_EQ(e.scalar_type(), at::kFloat);
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < 4; ++i) {
      const double arg = 1000.0 * t[b].item<double>() * std::exp(-std::log(1000.0) * i / 4);
      EXPECT_NEAR(e[b][i].item<double>(), std::cos(arg), 2e-4) << b << "," << i;
      EXPECT_NEAR(e[b][4 + i].item<double>(), std::sin(arg), 2e-4) << b << "," << i;
    }
  }
  const at::Tensor odd = hunyuan3d_timestep_embedding(t, 9, 1000, 1000);
  ASSERT_EQ(odd.size(1), 9);
  EXPECT_TRUE(at::equal(odd.slice(1, 0, 8), e));
  EXPECT_EQ(odd[0][8].item<float>(), 0.0F);
  // Other max_period: the frequencies follow it.
  const at::Tensor e2 = hunyuan3d_timestep_embedding(t, 8, 10000, 1);
  EXPECT_NEAR(e2[1][5].item<double>(), std::sin(0.7 * std::exp(-std::log(10000.0) / 4)), 1e-6);
}

TEST(Hunyuan3DDit, TimestepEmbeddingKeepsTheHalfPrecisionChain) {
  const at::Tensor t = at::tensor({0.123F, 0.777F}).to(at::kHalf);
  const at::Tensor e = hunyuan3d_timestep_embedding(t, 16, 1000, 1000);
  EXPECT_EQ(e.scalar_type(), at::kHalf);
  // T = 1000·t rounded to fp16 before the float32 product.
  const at::Tensor big_t = (t * 1000.0).to(at::kFloat);
  const at::Tensor freqs = at::exp(at::arange(0, 8, at::kFloat) * (-std::log(1000.0)) / 8);
  const at::Tensor args = big_t.unsqueeze(1) * freqs.unsqueeze(0);
  EXPECT_TRUE(at::equal(e, at::cat({at::cos(args), at::sin(args)}, -1).to(at::kHalf)));
}

TEST(Hunyuan3DDit, MatchesTheModelWrittenFromItsFormulas) {
  const auto config = tiny_config();
  const Named named = random_hunyuan3d_dit_weights(config, 7);
  const Hunyuan3DDit dit = load_or_die(named, config);
  const Inputs in = tiny_inputs();
  const at::Tensor v = dit.forward(in.x, in.t, in.cond, std::nullopt);
  ASSERT_EQ(v.sizes(), (std::vector<std::int64_t>{2, 10, 8}));
  EXPECT_TRUE(at::isfinite(v).all().item<bool>());
  EXPECT_GT(v.abs().max().item<float>(), 1e-3F);
  const at::Tensor expected = naive_forward(named, config, in, std::nullopt);
  EXPECT_TRUE(at::allclose(v, expected, 1e-4, 1e-4)) << (v - expected).abs().max().item<float>();
}

TEST(Hunyuan3DDit, GuidanceEmbeddingIsAddedWhenTheModelHasOne) {
  const auto config = tiny_config(/*guidance_embed=*/true);
  const Named named = random_hunyuan3d_dit_weights(config, 8);
  ASSERT_TRUE(named.count("guidance_in.in_layer.weight"));
  const Hunyuan3DDit dit = load_or_die(named, config);
  const Inputs in = tiny_inputs();
  const at::Tensor g = at::tensor({5.0F, 3.0F});
  const at::Tensor v = dit.forward(in.x, in.t, in.cond, g);
  const at::Tensor expected = naive_forward(named, config, in, g);
  EXPECT_TRUE(at::allclose(v, expected, 1e-4, 1e-4)) << (v - expected).abs().max().item<float>();
  EXPECT_FALSE(at::allclose(v, dit.forward(in.x, in.t, in.cond, at::tensor({1.0F, 3.0F}))));
  EXPECT_THROW((void)dit.forward(in.x, in.t, in.cond, std::nullopt), c10::Error);

  // Without guidance_embed there are no guidance_in tensors and a guidance is ignored.
  const auto plain_config = tiny_config(false);
  const Named plain_named = random_hunyuan3d_dit_weights(plain_config, 8);
  EXPECT_FALSE(plain_named.count("guidance_in.in_layer.weight"));
  const Hunyuan3DDit plain = load_or_die(plain_named, plain_config);
  EXPECT_TRUE(at::equal(plain.forward(in.x, in.t, in.cond, g), plain.forward(in.x, in.t, in.cond, std::nullopt)));
}

TEST(Hunyuan3DDit, DeterministicAndBatchIndependent) {
  const auto config = tiny_config();
  const Hunyuan3DDit dit = load_or_die(random_hunyuan3d_dit_weights(config, 3), config);
  const Inputs in = tiny_inputs();
  const at::Tensor a = dit.forward(in.x, in.t, in.cond, std::nullopt);
  EXPECT_TRUE(at::equal(a, dit.forward(in.x, in.t, in.cond, std::nullopt)));
  const Hunyuan3DDit again = load_or_die(random_hunyuan3d_dit_weights(config, 3), config);
  EXPECT_TRUE(at::equal(a, again.forward(in.x, in.t, in.cond, std::nullopt)));
  const Hunyuan3DDit other = load_or_die(random_hunyuan3d_dit_weights(config, 4), config);
  EXPECT_FALSE(at::allclose(a, other.forward(in.x, in.t, in.cond, std::nullopt)));
  // Item 1 alone gives item 1's answer: nothing mixes across the batch.
  const at::Tensor one = dit.forward(in.x.slice(0, 1), in.t.slice(0, 1), in.cond.slice(0, 1), std::nullopt);
  EXPECT_TRUE(at::allclose(one, a.slice(0, 1), 1e-5, 1e-5));
  // The time matters.
  EXPECT_FALSE(at::allclose(a, dit.forward(in.x, in.t + 0.1, in.cond, std::nullopt)));
}

TEST(Hunyuan3DDit, LoadNamesTheMissingOrMisshapenTensor) {
  const auto config = tiny_config();
  Named named = random_hunyuan3d_dit_weights(config, 1);
  Named missing = named;
  missing.erase("single_blocks.1.linear2.weight");
  auto r = Hunyuan3DDit::load(Weights::from(missing).scope(""), config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(r.error().message().find("single_blocks.1.linear2.weight"), std::string::npos) << r.error().message();

  Named misshapen = named;
  misshapen["double_blocks.0.txt_attn.norm.key_norm.scale"] = at::ones({17});
  r = Hunyuan3DDit::load(Weights::from(misshapen), config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(r.error().message().find("double_blocks.0.txt_attn.norm.key_norm.scale"), std::string::npos)
      << r.error().message();

  // A guidance-distilled config on weights without guidance_in.
  r = Hunyuan3DDit::load(Weights::from(named), tiny_config(true));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("guidance_in.in_layer.weight"), std::string::npos) << r.error().message();

  // The checkpoint's "model." prefix is the caller's scope.
  Named prefixed;
  for (const auto& [name, tensor] : named) prefixed["model." + name] = tensor;
  EXPECT_TRUE(Hunyuan3DDit::load(Weights::from(prefixed).scope("model."), config));

  auto bad_axes = config;
  bad_axes.axes_dim = {8, 4};
  r = Hunyuan3DDit::load(Weights::from(named), bad_axes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  auto bad_heads = config;
  bad_heads.num_heads = 5;
  EXPECT_FALSE(Hunyuan3DDit::load(Weights::from(named), bad_heads));
}

TEST(Hunyuan3DDit, RunsInHalfPrecisionWithTheWeightsDtype) {
  const auto config = tiny_config();
  Named named = random_hunyuan3d_dit_weights(config, 5);
  for (auto& [name, tensor] : named) tensor = tensor.to(at::kHalf);
  const Hunyuan3DDit dit = load_or_die(named, config);
  const Inputs in = tiny_inputs();
  at::Tensor v;
  try {
    v = dit.forward(in.x.to(at::kHalf), in.t.to(at::kHalf), in.cond.to(at::kHalf), std::nullopt);
  } catch (const c10::Error& e) {
    GTEST_SKIP() << "this LibTorch lacks a CPU half kernel: " << e.what_without_backtrace();
  }
  EXPECT_EQ(v.scalar_type(), at::kHalf);
  EXPECT_TRUE(at::isfinite(v).all().item<bool>());
}

}  // namespace
}  // namespace orfeas::engine
