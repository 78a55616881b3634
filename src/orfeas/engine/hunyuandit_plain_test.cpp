#include "orfeas/engine/hunyuandit_plain.h"

#include <cmath>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

using Named = std::map<std::string, at::Tensor, std::less<>>;

models::HunyuanDitPlainConfig tiny_config() {
  models::HunyuanDitPlainConfig c;
  c.input_size = 12;
  c.in_channels = 8;
  c.hidden_size = 64;
  c.context_dim = 24;
  c.depth = 5;
  c.num_heads = 4;
  c.qk_norm = true;
  c.qk_norm_type = models::NormKind::kRms;
  c.qkv_bias = false;
  c.text_len = 6;
  c.num_moe_layers = 2;
  c.num_experts = 4;
  c.moe_top_k = 2;
  return c;
}

struct Inputs {
  at::Tensor x, t, cond;
};

Inputs tiny_inputs(std::int64_t batch = 2) {
  at::manual_seed(21);
  return {at::randn({batch, 12, 8}), at::rand({batch}), at::randn({batch, 6, 24})};
}

HunyuanDitPlain load_or_die(const Named& named, const models::HunyuanDitPlainConfig& config) {
  auto dit = HunyuanDitPlain::load(Weights::from(named), config);
  EXPECT_TRUE(dit) << dit.error().message();
  return std::move(*dit);
}

TEST(HunyuanDitPlain, TimestepEmbeddingIsSinThenCosOfTItself) {
  const at::Tensor t = at::tensor({0.25F, 0.9F});
  const at::Tensor e = hunyuandit_timestep_embedding(t, 8);
  ASSERT_EQ(e.sizes(), (std::vector<std::int64_t>{2, 8}));
  EXPECT_EQ(e.scalar_type(), at::kFloat);
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < 4; ++i) {
      const double arg = t[b].item<double>() * std::exp(-std::log(10000.0) * i / 4);  // no ×1000
      EXPECT_NEAR(e[b][i].item<double>(), std::sin(arg), 1e-6) << b << "," << i;
      EXPECT_NEAR(e[b][4 + i].item<double>(), std::cos(arg), 1e-6) << b << "," << i;
    }
  }
  // Half-precision t is embedded in float32 (the model casts afterwards).
  EXPECT_EQ(hunyuandit_timestep_embedding(t.to(at::kHalf), 8).scalar_type(), at::kFloat);
}

TEST(HunyuanDitPlain, SelfAttentionSplitInterleavesHeadsOverTheConcatenatedProjections) {
  const auto config = tiny_config();
  const HunyuanDitPlain dit = load_or_die(random_hunyuandit_plain_weights(config, 2), config);
  const PlainSelfAttention& attn = dit.blocks()[0].attn1;
  at::manual_seed(4);
  const at::Tensor x = at::randn({2, 5, 64});
  const at::Tensor qkv = at::cat({attn.to_q(x), attn.to_k(x), attn.to_v(x)}, -1);
  const auto split = split_interleaved_qkv(qkv, 4);  // hd = 16: each head's block is 48 wide
  for (const auto& part : split) ASSERT_EQ(part.sizes(), (std::vector<std::int64_t>{2, 4, 5, 16}));
  const auto rows = [&](const at::Tensor& w, std::int64_t from) {  // x · w[from:from+16]ᵀ
    return at::matmul(x, w.slice(0, from, from + 16).t());
  };
  const at::Tensor& wq = attn.to_q.weight;
  const at::Tensor& wk = attn.to_k.weight;
  const at::Tensor& wv = attn.to_v.weight;
  // Head 0: columns 0..47, all from to_q.
  EXPECT_TRUE(at::allclose(split[0].select(1, 0), rows(wq, 0), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[1].select(1, 0), rows(wq, 16), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[2].select(1, 0), rows(wq, 32), 1e-5, 1e-5));
  // Head 1: columns 48..95 = to_q rows 48..63, then to_k rows 0..31.
  EXPECT_TRUE(at::allclose(split[0].select(1, 1), rows(wq, 48), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[1].select(1, 1), rows(wk, 0), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[2].select(1, 1), rows(wk, 16), 1e-5, 1e-5));
  // Head 3: columns 144..191 = to_v rows 16..63.
  EXPECT_TRUE(at::allclose(split[0].select(1, 3), rows(wv, 16), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[1].select(1, 3), rows(wv, 32), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(split[2].select(1, 3), rows(wv, 48), 1e-5, 1e-5));
  // And not the standard split.
  EXPECT_FALSE(at::allclose(split[1].select(1, 0), rows(wk, 0), 1e-3, 1e-3));
}

TEST(HunyuanDitPlain, CrossAttentionSplitInterleavesKeysAndValues) {
  const auto config = tiny_config();
  const HunyuanDitPlain dit = load_or_die(random_hunyuandit_plain_weights(config, 2), config);
  const PlainCrossAttention& attn = dit.blocks()[1].attn2;
  at::manual_seed(5);
  const at::Tensor y = at::randn({2, 6, 24});
  const auto split = split_interleaved_kv(at::cat({attn.to_k(y), attn.to_v(y)}, -1), 4);  // blocks 32 wide
  for (const auto& part : split) ASSERT_EQ(part.sizes(), (std::vector<std::int64_t>{2, 6, 4, 16}));
  const auto rows = [&](const at::Tensor& w, std::int64_t from) {
    return at::matmul(y, w.slice(0, from, from + 16).t());
  };
  for (std::int64_t h = 0; h < 4; ++h) {
    // Head h: columns 32h..32h+31 of [k | v]: to_k for heads 0-1, to_v for heads 2-3.
    const at::Tensor& w = h < 2 ? attn.to_k.weight : attn.to_v.weight;
    const std::int64_t base = (h % 2) * 32;
    EXPECT_TRUE(at::allclose(split[0].select(2, h), rows(w, base), 1e-5, 1e-5)) << h;
    EXPECT_TRUE(at::allclose(split[1].select(2, h), rows(w, base + 16), 1e-5, 1e-5)) << h;
  }
}

TEST(HunyuanDitPlain, MoeMatchesANaivePerTokenRouting) {
  const auto config = tiny_config();
  const HunyuanDitPlain dit = load_or_die(random_hunyuandit_plain_weights(config, 9), config);
  ASSERT_FALSE(dit.blocks()[2].moe);
  ASSERT_TRUE(dit.blocks()[3].moe);
  ASSERT_TRUE(dit.blocks()[4].moe);
  const PlainMoe& moe = *dit.blocks()[4].moe;
  at::manual_seed(6);
  const at::Tensor x = at::randn({2, 9, 64});
  const at::Tensor y = moe(x);
  ASSERT_EQ(y.sizes(), x.sizes());

  const at::Tensor flat = x.reshape({-1, 64});
  std::set<std::int64_t> experts_used;
  for (std::int64_t i = 0; i < flat.size(0); ++i) {
    const at::Tensor token = flat[i];
    const at::Tensor scores = at::softmax(at::matmul(moe.gate, token), 0);
    // The two best experts, weighted by their softmax scores (not renormalised).
    const at::Tensor sorted = std::get<1>(scores.sort(0, /*descending=*/true));
    at::Tensor expected = moe.shared(token);
    for (std::int64_t j = 0; j < 2; ++j) {
      const std::int64_t e = sorted[j].item<std::int64_t>();
      experts_used.insert(e);
      expected = expected + scores[e] * moe.experts[static_cast<std::size_t>(e)](token);
    }
    EXPECT_TRUE(at::allclose(y.reshape({-1, 64})[i], expected, 1e-5, 1e-5)) << "token " << i;
  }
  EXPECT_GE(experts_used.size(), 3U);  // the routing really spreads over experts
}

TEST(HunyuanDitPlain, SkipSourcesAreLastInFirstOut) {
  EXPECT_EQ(hunyuandit_skip_sources(5), (std::vector<std::int64_t>{-1, -1, -1, 1, 0}));
  const std::vector<std::int64_t> s21 = hunyuandit_skip_sources(21);
  ASSERT_EQ(s21.size(), 21U);
  for (std::int64_t l = 0; l <= 10; ++l) EXPECT_EQ(s21[static_cast<std::size_t>(l)], -1);
  for (std::int64_t l = 11; l <= 20; ++l) EXPECT_EQ(s21[static_cast<std::size_t>(l)], 20 - l) << l;
}

TEST(HunyuanDitPlain, ForwardWiresTheBlocksAndSkipsAsTheReference) {
  const auto config = tiny_config();
  const HunyuanDitPlain dit = load_or_die(random_hunyuandit_plain_weights(config, 12), config);
  const Inputs in = tiny_inputs();
  const at::Tensor v = dit.forward(in.x, in.t, in.cond);
  ASSERT_EQ(v.sizes(), (std::vector<std::int64_t>{2, 12, 8}));
  EXPECT_TRUE(at::isfinite(v).all().item<bool>());

  // The blocks by hand: block 3 takes block 1's output, block 4 block 0's.
  const auto run = [&](std::int64_t skip3, std::int64_t skip4) {
    std::vector<at::Tensor> outs;
    at::Tensor x = dit.embed_input(in.x, in.t);
    for (std::int64_t l = 0; l < 5; ++l) {
      at::Tensor skip;
      if (l == 3) skip = outs[static_cast<std::size_t>(skip3)];
      if (l == 4) skip = outs[static_cast<std::size_t>(skip4)];
      x = dit.blocks()[static_cast<std::size_t>(l)](x, in.cond, skip, 4);
      outs.push_back(x);
    }
    return dit.final_layer(x);
  };
  EXPECT_TRUE(at::equal(v, run(1, 0)));
  EXPECT_FALSE(at::allclose(v, run(0, 1), 1e-4, 1e-4));  // the order matters, so the test can fail

  // The time token is first and dropped at the end: x_embedder's tokens map one to one.
  const at::Tensor embedded = dit.embed_input(in.x, in.t);
  ASSERT_EQ(embedded.sizes(), (std::vector<std::int64_t>{2, 13, 64}));
  EXPECT_TRUE(at::allclose(embedded.slice(1, 0, 1), dit.embed_time(in.t)));
}

TEST(HunyuanDitPlain, DeterministicAndBatchIndependent) {
  const auto config = tiny_config();
  const HunyuanDitPlain dit = load_or_die(random_hunyuandit_plain_weights(config, 3), config);
  const Inputs in = tiny_inputs();
  const at::Tensor a = dit.forward(in.x, in.t, in.cond);
  EXPECT_TRUE(at::equal(a, dit.forward(in.x, in.t, in.cond)));
  const HunyuanDitPlain again = load_or_die(random_hunyuandit_plain_weights(config, 3), config);
  EXPECT_TRUE(at::equal(a, again.forward(in.x, in.t, in.cond)));
  const HunyuanDitPlain other = load_or_die(random_hunyuandit_plain_weights(config, 4), config);
  EXPECT_FALSE(at::allclose(a, other.forward(in.x, in.t, in.cond)));
  const at::Tensor one = dit.forward(in.x.slice(0, 1), in.t.slice(0, 1), in.cond.slice(0, 1));
  EXPECT_TRUE(at::allclose(one, a.slice(0, 1), 1e-5, 1e-5));
  EXPECT_FALSE(at::allclose(a, dit.forward(in.x, in.t + 0.1, in.cond)));
  EXPECT_FALSE(at::allclose(a, dit.forward(in.x, in.t, in.cond * 2)));
}

TEST(HunyuanDitPlain, LoadNamesTheMissingOrMisshapenTensorAndRefusesUnsupportedOptions) {
  const auto config = tiny_config();
  const Named named = random_hunyuandit_plain_weights(config, 1);
  EXPECT_TRUE(named.count("blocks.3.skip_linear.weight"));
  EXPECT_FALSE(named.count("blocks.2.skip_linear.weight"));
  EXPECT_TRUE(named.count("blocks.3.moe.experts.3.net.0.proj.bias"));
  EXPECT_TRUE(named.count("blocks.2.mlp.fc2.weight"));
  EXPECT_FALSE(named.count("blocks.2.moe.gate.weight"));

  Named missing = named;
  missing.erase("blocks.4.moe.experts.2.net.2.weight");
  auto r = HunyuanDitPlain::load(Weights::from(missing), config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(r.error().message().find("blocks.4.moe.experts.2.net.2.weight"), std::string::npos) << r.error().message();

  Named misshapen = named;
  misshapen["blocks.0.attn1.q_norm.weight"] = at::ones({64});
  r = HunyuanDitPlain::load(Weights::from(misshapen), config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(r.error().message().find("blocks.0.attn1.q_norm.weight"), std::string::npos) << r.error().message();

  auto pooled = config;
  pooled.use_attention_pooling = true;
  r = HunyuanDitPlain::load(Weights::from(named), pooled);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupportedFormat);
  auto too_many = config;
  too_many.moe_top_k = 5;
  r = HunyuanDitPlain::load(Weights::from(named), too_many);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(HunyuanDitPlain, LayerNormQkNormAndNoQkNormLoadTheirOwnTensors) {
  auto config = tiny_config();
  config.qk_norm_type = models::NormKind::kLayer;
  config.qkv_bias = true;
  const Named layer = random_hunyuandit_plain_weights(config, 2);
  EXPECT_TRUE(layer.count("blocks.1.attn2.k_norm.bias"));
  EXPECT_TRUE(layer.count("blocks.1.attn1.to_q.bias"));
  const HunyuanDitPlain a = load_or_die(layer, config);
  config.qk_norm = false;
  const Named none = random_hunyuandit_plain_weights(config, 2);
  EXPECT_FALSE(none.count("blocks.1.attn2.k_norm.weight"));
  const HunyuanDitPlain b = load_or_die(none, config);
  const Inputs in = tiny_inputs(1);
  EXPECT_TRUE(at::isfinite(a.forward(in.x, in.t, in.cond)).all().item<bool>());
  EXPECT_TRUE(at::isfinite(b.forward(in.x, in.t, in.cond)).all().item<bool>());
}

}  // namespace
}  // namespace orfeas::engine
