#include "orfeas/jobs/job.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::jobs {
namespace {

TEST(JobIdTest, ThirtyTwoHexDigitsAndUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 10'000; ++i) {
    const Result<std::string> id = new_job_id();
    ASSERT_TRUE(id) << id.error().message();
    ASSERT_EQ(id->size(), 32U);
    ASSERT_TRUE(is_valid_job_id(*id)) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 10'000U);
}

TEST(JobIdTest, ValidationRejectsEverythingElse) {
  EXPECT_TRUE(is_valid_job_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_valid_job_id(""));
  EXPECT_FALSE(is_valid_job_id("0123456789abcdef0123456789abcde"));     // 31
  EXPECT_FALSE(is_valid_job_id("0123456789abcdef0123456789abcdef0"));   // 33
  EXPECT_FALSE(is_valid_job_id("0123456789ABCDEF0123456789abcdef"));    // upper case
  EXPECT_FALSE(is_valid_job_id("../../../../etc/passwd0123456789ab"));  // 32 characters, not hex
}

TEST(JobStatusTest, NamesRoundTrip) {
  for (int i = 0; i < kJobStatusCount; ++i) {
    const auto status = static_cast<JobStatus>(i);
    EXPECT_EQ(parse_job_status(job_status_name(status)), status);
  }
  EXPECT_EQ(parse_job_status("done"), std::nullopt);
  EXPECT_FALSE(is_final(JobStatus::kQueued));
  EXPECT_FALSE(is_final(JobStatus::kRunning));
  EXPECT_TRUE(is_final(JobStatus::kCancelled));
}

TEST(GenerationParamsTest, Keys) {
  GenerationParams a;
  GenerationParams b = a;
  b.device = "cuda:1";
  EXPECT_EQ(a.batch_key(), "inflate/r128/auto");
  EXPECT_NE(a.batch_key(), b.batch_key());
  EXPECT_EQ(a.cache_key(), b.cache_key());  // the device does not change the result
  b.size_mm = 100.0000001;                  // below a micrometre
  EXPECT_EQ(a.cache_key(), b.cache_key());
  b.format = "glb";
  EXPECT_NE(a.cache_key(), b.cache_key());
}

}  // namespace
}  // namespace orfeas::jobs
