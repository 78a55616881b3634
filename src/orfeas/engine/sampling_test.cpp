#include "orfeas/engine/sampling.h"

#include <vector>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

TEST(Sampling, TheStandardScheduleIsALinspaceThenOne) {
  SamplingOptions options;
  options.steps = 5;
  EXPECT_EQ(schedule_sigmas(options), (std::vector<float>{0.0F, 0.25F, 0.5F, 0.75F, 1.0F, 1.0F}));
  options.steps = 50;
  const std::vector<float> sigmas = schedule_sigmas(options);
  ASSERT_EQ(sigmas.size(), 51U);
  EXPECT_FLOAT_EQ(sigmas[1], static_cast<float>(1.0 / 49));
  EXPECT_EQ(sigmas[49], 1.0F);  // the last real step already reaches 1: the 50th has dt = 0
}

TEST(Sampling, TheConsistencyScheduleThinsTheThousandPointGrid) {
  SamplingOptions options;
  options.schedule = ScheduleKind::kConsistency;
  options.steps = 5;
  options.pcm_timesteps = 100;
  const std::vector<float> sigmas = schedule_sigmas(options);
  const std::vector<float> expected{0.0F,
                                    static_cast<float>(199 * (1.0 / 999)),
                                    static_cast<float>(399 * (1.0 / 999)),
                                    static_cast<float>(599 * (1.0 / 999)),
                                    static_cast<float>(799 * (1.0 / 999)),
                                    1.0F};
  EXPECT_EQ(sigmas, expected);
}

TEST(Sampling, NoiseIsTheSeededCpuGeneratorsDraw) {
  const at::Tensor a = initial_noise({2, 8, 4}, 1234, at::kFloat, at::kCPU);
  const at::Tensor b = initial_noise({2, 8, 4}, 1234, at::kFloat, at::kCPU);
  const at::Tensor c = initial_noise({2, 8, 4}, 1235, at::kFloat, at::kCPU);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::equal(a, c));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(1234);
  EXPECT_TRUE(at::equal(a, at::randn({2, 8, 4}, generator, at::TensorOptions().dtype(at::kFloat))));
}

TEST(Sampling, AConstantVelocityMovesTheLatentsByItsValueAndTheWastedStepIsNotRun) {
  const at::Tensor noise = initial_noise({1, 4, 3}, 7, at::kFloat, at::kCPU);
  SamplingOptions options;
  options.steps = 10;
  options.guidance_scale = -1.0;  // no CFG: one batch
  int calls = 0;
  std::vector<std::size_t> reported;
  const Denoise denoise = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor&,
                              const std::optional<at::Tensor>& guidance) {
    ++calls;
    EXPECT_EQ(x.size(0), 1);
    EXPECT_EQ(t.sizes(), at::IntArrayRef({1}));
    EXPECT_FALSE(guidance.has_value());
    return at::full_like(x, 2.0);
  };
  const at::Tensor cond = at::zeros({1, 5, 6});
  const at::Tensor out = sample_latents(denoise, noise, cond, cond, options,
                                        [&](std::size_t step, std::size_t) { reported.push_back(step); });
  EXPECT_EQ(calls, 9);  // σ reaches 1 at step 9; step 10 has dt = 0
  EXPECT_EQ(reported.size(), 10U);
  EXPECT_TRUE(at::allclose(out, noise + 2.0, 1e-5, 1e-5));
}

TEST(Sampling, GuidanceCombinesCondAndUncondAndTheModelSeesSigmaInThousandths) {
  const at::Tensor noise = at::zeros({1, 2, 2});
  SamplingOptions options;
  options.steps = 3;  // σ = 0, 0.5, 1, 1
  options.guidance_scale = 3.0;
  std::vector<float> seen_t;
  const Denoise denoise = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                              const std::optional<at::Tensor>&) {
    EXPECT_EQ(x.size(0), 2);  // [cond, uncond]
    EXPECT_EQ(context.size(0), 2);
    EXPECT_EQ(context[0].sum().item<float>(), 5.0F * 6.0F);  // cond (ones) first
    EXPECT_EQ(context[1].sum().item<float>(), 0.0F);
    seen_t.push_back(t[0].item<float>());
    // cond predicts 1, uncond predicts 0.5: guided 0.5 + 3·0.5 = 2.
    return at::cat({at::full({1, 2, 2}, 1.0), at::full({1, 2, 2}, 0.5)}, 0);
  };
  const at::Tensor out = sample_latents(denoise, noise, at::ones({1, 5, 6}), at::zeros({1, 5, 6}), options);
  EXPECT_EQ(seen_t, (std::vector<float>{0.0F, 0.5F}));
  EXPECT_TRUE(at::allclose(out, at::full({1, 2, 2}, 2.0)));  // Σ dt = 1
}

TEST(Sampling, AGuidanceDistilledModelGetsTheScaleAsAnInputAndNoCfgBatch) {
  SamplingOptions options;
  options.steps = 2;
  options.guidance_scale = 5.0;
  options.guidance_embedded = true;
  const Denoise denoise = [&](const at::Tensor& x, const at::Tensor&, const at::Tensor& context,
                              const std::optional<at::Tensor>& guidance) {
    EXPECT_EQ(x.size(0), 1);
    EXPECT_EQ(context.size(0), 1);
    EXPECT_TRUE(guidance.has_value());
    if (guidance) {
      EXPECT_EQ((*guidance)[0].item<float>(), 5.0F);
    }
    return at::ones_like(x);
  };
  const at::Tensor out =
      sample_latents(denoise, at::zeros({1, 2, 2}), at::ones({1, 3, 4}), at::zeros({1, 3, 4}), options);
  EXPECT_TRUE(at::allclose(out, at::ones({1, 2, 2})));
}

}  // namespace
}  // namespace orfeas::engine
