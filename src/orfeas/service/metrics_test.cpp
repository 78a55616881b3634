#include "orfeas/service/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace orfeas::service {
namespace {

TEST(HistogramTest, CountsAreCumulativeAndBoundsInclusive) {
  Histogram histogram({1.0, 2.0, 5.0});
  for (const double value : {0.5, 1.0, 1.5, 2.0, 4.0, 7.0}) histogram.observe(value);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.bounds, (std::vector<double>{1.0, 2.0, 5.0}));
  EXPECT_EQ(snapshot.cumulative, (std::vector<std::uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(snapshot.count, 6U);
  EXPECT_DOUBLE_EQ(snapshot.sum, 16.0);
}

TEST(HistogramTest, NanIsNotObservedAndUnsortedBoundsAreSorted) {
  Histogram histogram({5.0, 1.0});
  histogram.observe(std::numeric_limits<double>::quiet_NaN());
  histogram.observe(3.0);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.bounds, (std::vector<double>{1.0, 5.0}));
  EXPECT_EQ(snapshot.cumulative, (std::vector<std::uint64_t>{0, 1, 1}));
  EXPECT_EQ(snapshot.count, 1U);
  EXPECT_DOUBLE_EQ(snapshot.sum, 3.0);
}

TEST(HistogramTest, ObservationsFromManyThreadsAreAllCounted) {
  Histogram histogram({1.0});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram] {
      for (int i = 0; i < 1000; ++i) histogram.observe(i % 2 == 0 ? 0.5 : 2.0);
    });
  }
  for (std::thread& thread : threads) thread.join();
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.cumulative, (std::vector<std::uint64_t>{2000, 4000}));
  EXPECT_DOUBLE_EQ(snapshot.sum, 2000 * 0.5 + 2000 * 2.0);
}

// The whole scrape of a fresh service with an empty snapshot: every family that is always there,
// with zeros.
TEST(ServiceMetricsTest, RendersAFreshServiceExactly) {
  const ServiceMetrics metrics;
  const std::string expected =
      "# HELP orfeas_up 1 while the service answers.\n"
      "# TYPE orfeas_up gauge\n"
      "orfeas_up 1\n"
      "# HELP orfeas_jobs_submitted_total Jobs accepted by the service since it started.\n"
      "# TYPE orfeas_jobs_submitted_total counter\n"
      "orfeas_jobs_submitted_total 0\n"
      "# HELP orfeas_jobs_finished_total Jobs that reached a final state since the service started.\n"
      "# TYPE orfeas_jobs_finished_total counter\n"
      "orfeas_jobs_finished_total{status=\"completed\"} 0\n"
      "orfeas_jobs_finished_total{status=\"failed\"} 0\n"
      "orfeas_jobs_finished_total{status=\"cancelled\"} 0\n"
      "# HELP orfeas_cache_hits_total Submissions answered from the result cache.\n"
      "# TYPE orfeas_cache_hits_total counter\n"
      "orfeas_cache_hits_total 0\n"
      "# HELP orfeas_oom_retries_total Batches split and retried after running out of memory.\n"
      "# TYPE orfeas_oom_retries_total counter\n"
      "orfeas_oom_retries_total 0\n"
      "# HELP orfeas_batch_size Jobs per pipeline batch.\n"
      "# TYPE orfeas_batch_size histogram\n"
      "orfeas_batch_size_bucket{le=\"1\"} 0\n"
      "orfeas_batch_size_bucket{le=\"2\"} 0\n"
      "orfeas_batch_size_bucket{le=\"4\"} 0\n"
      "orfeas_batch_size_bucket{le=\"8\"} 0\n"
      "orfeas_batch_size_bucket{le=\"16\"} 0\n"
      "orfeas_batch_size_bucket{le=\"32\"} 0\n"
      "orfeas_batch_size_bucket{le=\"64\"} 0\n"
      "orfeas_batch_size_bucket{le=\"+Inf\"} 0\n"
      "orfeas_batch_size_sum 0\n"
      "orfeas_batch_size_count 0\n"
      "# HELP orfeas_job_duration_seconds Time from submission to a final state.\n"
      "# TYPE orfeas_job_duration_seconds histogram\n"
      "orfeas_job_duration_seconds_bucket{le=\"0.1\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"0.25\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"0.5\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"1\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"2.5\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"5\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"10\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"30\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"60\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"120\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"300\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"600\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"1800\"} 0\n"
      "orfeas_job_duration_seconds_bucket{le=\"+Inf\"} 0\n"
      "orfeas_job_duration_seconds_sum 0\n"
      "orfeas_job_duration_seconds_count 0\n"
      "# HELP orfeas_jobs Jobs in the store by status.\n"
      "# TYPE orfeas_jobs gauge\n"
      "orfeas_jobs{status=\"queued\"} 0\n"
      "orfeas_jobs{status=\"running\"} 0\n"
      "orfeas_jobs{status=\"completed\"} 0\n"
      "orfeas_jobs{status=\"failed\"} 0\n"
      "orfeas_jobs{status=\"cancelled\"} 0\n"
      "# HELP orfeas_queue_length Jobs waiting for a worker.\n"
      "# TYPE orfeas_queue_length gauge\n"
      "orfeas_queue_length 0\n";
  EXPECT_EQ(metrics.render(MetricsSnapshot{}), expected);
}

// The lines of `text` that start with `prefix`, in order.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
    begin = end + 1;
  }
  return out;
}

TEST(ServiceMetricsTest, CountersCountWhatHappened) {
  ServiceMetrics metrics;
  metrics.job_submitted();
  metrics.job_submitted();
  metrics.job_submitted();
  metrics.cache_hit();
  metrics.oom_retry();
  metrics.oom_retry();
  metrics.job_finished(jobs::JobStatus::kCompleted, 0.3);
  metrics.job_finished(jobs::JobStatus::kCompleted, 0.1);
  metrics.job_finished(jobs::JobStatus::kFailed, 2000.0);
  EXPECT_EQ(metrics.cache_hits(), 1U);
  EXPECT_EQ(metrics.oom_retries(), 2U);
  const std::string text = metrics.render(MetricsSnapshot{});
  EXPECT_EQ(lines_starting(text, "orfeas_jobs_submitted_total"),
            std::vector<std::string>{"orfeas_jobs_submitted_total 3"});
  EXPECT_EQ(lines_starting(text, "orfeas_jobs_finished_total"),
            (std::vector<std::string>{"orfeas_jobs_finished_total{status=\"completed\"} 2",
                                      "orfeas_jobs_finished_total{status=\"failed\"} 1",
                                      "orfeas_jobs_finished_total{status=\"cancelled\"} 0"}));
  EXPECT_EQ(lines_starting(text, "orfeas_cache_hits_total"), std::vector<std::string>{"orfeas_cache_hits_total 1"});
  EXPECT_EQ(lines_starting(text, "orfeas_oom_retries_total"), std::vector<std::string>{"orfeas_oom_retries_total 2"});
  // 0.1 is in le="0.1" (inclusive), 0.3 in le="0.5", 2000 only in +Inf.
  const std::vector<std::string> job_duration = lines_starting(text, "orfeas_job_duration_seconds");
  ASSERT_EQ(job_duration.size(), 16U);
  EXPECT_EQ(job_duration[0], "orfeas_job_duration_seconds_bucket{le=\"0.1\"} 1");
  EXPECT_EQ(job_duration[1], "orfeas_job_duration_seconds_bucket{le=\"0.25\"} 1");
  EXPECT_EQ(job_duration[2], "orfeas_job_duration_seconds_bucket{le=\"0.5\"} 2");
  EXPECT_EQ(job_duration[12], "orfeas_job_duration_seconds_bucket{le=\"1800\"} 2");
  EXPECT_EQ(job_duration[13], "orfeas_job_duration_seconds_bucket{le=\"+Inf\"} 3");
  EXPECT_EQ(job_duration[14], "orfeas_job_duration_seconds_sum 2000.4");
  EXPECT_EQ(job_duration[15], "orfeas_job_duration_seconds_count 3");
}

TEST(ServiceMetricsTest, BatchSizesAndStageDurationsAreHistograms) {
  ServiceMetrics metrics;
  metrics.batch_run(1);
  metrics.batch_run(3);
  metrics.batch_run(100);
  metrics.stage_observed("shape_generation", 0.2);
  metrics.stage_observed("export", 0.004);
  metrics.stage_observed("shape_generation", 45.0);
  const std::string text = metrics.render(MetricsSnapshot{});
  EXPECT_EQ(
      lines_starting(text, "orfeas_batch_size"),
      (std::vector<std::string>{"orfeas_batch_size_bucket{le=\"1\"} 1", "orfeas_batch_size_bucket{le=\"2\"} 1",
                                "orfeas_batch_size_bucket{le=\"4\"} 2", "orfeas_batch_size_bucket{le=\"8\"} 2",
                                "orfeas_batch_size_bucket{le=\"16\"} 2", "orfeas_batch_size_bucket{le=\"32\"} 2",
                                "orfeas_batch_size_bucket{le=\"64\"} 2", "orfeas_batch_size_bucket{le=\"+Inf\"} 3",
                                "orfeas_batch_size_sum 104", "orfeas_batch_size_count 3"}));
  const std::string stage_help =
      "# HELP orfeas_stage_duration_seconds Wall time of one pipeline stage for one batch.\n"
      "# TYPE orfeas_stage_duration_seconds histogram\n";
  EXPECT_NE(text.find(stage_help), std::string::npos);
  // Stages in name order, le last among the labels.
  EXPECT_EQ(lines_starting(text, "orfeas_stage_duration_seconds"),
            (std::vector<std::string>{"orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.005\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.01\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.025\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.05\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.1\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.25\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"0.5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"1\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"2.5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"10\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"30\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"60\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"export\",le=\"+Inf\"} 1",
                                      "orfeas_stage_duration_seconds_sum{stage=\"export\"} 0.004",
                                      "orfeas_stage_duration_seconds_count{stage=\"export\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.005\"} 0",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.01\"} 0",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.025\"} 0",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.05\"} 0",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.1\"} 0",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.25\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"0.5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"1\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"2.5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"5\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"10\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"30\"} 1",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"60\"} 2",
                                      "orfeas_stage_duration_seconds_bucket{stage=\"shape_generation\",le=\"+Inf\"} 2",
                                      "orfeas_stage_duration_seconds_sum{stage=\"shape_generation\"} 45.2",
                                      "orfeas_stage_duration_seconds_count{stage=\"shape_generation\"} 2"}));
}

TEST(ServiceMetricsTest, SnapshotGaugesAndDeviceReadings) {
  const ServiceMetrics metrics;
  MetricsSnapshot snapshot;
  snapshot.jobs_by_status = {4, 1, 10, 2, 0};
  snapshot.queue_length = 4;
  snapshot.devices.push_back({.name = "cuda:0",
                              .worker_up = true,
                              .memory_total_bytes = 150'000'000'000,
                              .memory_used_bytes = 2'500'000'000,
                              .utilization_percent = 37.5});
  // A CPU worker reports no device memory: its lines are left out, not written as 0.
  MetricsSnapshot::Device cpu;
  cpu.name = "cpu";
  cpu.worker_up = false;
  snapshot.devices.push_back(cpu);
  const std::string text = metrics.render(snapshot);
  const std::string expected_tail =
      "# HELP orfeas_jobs Jobs in the store by status.\n"
      "# TYPE orfeas_jobs gauge\n"
      "orfeas_jobs{status=\"queued\"} 4\n"
      "orfeas_jobs{status=\"running\"} 1\n"
      "orfeas_jobs{status=\"completed\"} 10\n"
      "orfeas_jobs{status=\"failed\"} 2\n"
      "orfeas_jobs{status=\"cancelled\"} 0\n"
      "# HELP orfeas_queue_length Jobs waiting for a worker.\n"
      "# TYPE orfeas_queue_length gauge\n"
      "orfeas_queue_length 4\n"
      "# HELP orfeas_workers 1 per device whose worker is up, 0 when it is down.\n"
      "# TYPE orfeas_workers gauge\n"
      "orfeas_workers{device=\"cuda:0\"} 1\n"
      "orfeas_workers{device=\"cpu\"} 0\n"
      "# HELP orfeas_gpu_memory_total_bytes Device memory in bytes.\n"
      "# TYPE orfeas_gpu_memory_total_bytes gauge\n"
      "orfeas_gpu_memory_total_bytes{device=\"cuda:0\"} 150000000000\n"
      "# HELP orfeas_gpu_memory_used_bytes Device memory in use in bytes, every process together.\n"
      "# TYPE orfeas_gpu_memory_used_bytes gauge\n"
      "orfeas_gpu_memory_used_bytes{device=\"cuda:0\"} 2500000000\n"
      "# HELP orfeas_gpu_utilization_percent Share of time the device was computing, 0-100.\n"
      "# TYPE orfeas_gpu_utilization_percent gauge\n"
      "orfeas_gpu_utilization_percent{device=\"cuda:0\"} 37.5\n";
  ASSERT_GE(text.size(), expected_tail.size());
  EXPECT_EQ(text.substr(text.size() - expected_tail.size()), expected_tail);
}

TEST(ServiceMetricsTest, LabelValuesAreEscaped) {
  ServiceMetrics metrics;
  metrics.stage_observed("a\\b\"c\nd", 1.0);
  const std::string text = metrics.render(MetricsSnapshot{});
  EXPECT_NE(text.find("orfeas_stage_duration_seconds_count{stage=\"a\\\\b\\\"c\\nd\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace orfeas::service
