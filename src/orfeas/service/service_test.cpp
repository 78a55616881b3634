// The generation service on the CPU: real SQLite in a temporary directory, the real pipeline at a
// small resolution, events heard through a recording sink. Nothing waits on time for an assertion:
// tests wait for events (with generous limits) and move a fake clock for deadlines and expiry.
#include "orfeas/service/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/parallel.h"
#include "orfeas/export/threemf.h"
#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/service/job_progress.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;

constexpr auto kEventWait = std::chrono::seconds(120);  // generous: the tests run under sanitizers
constexpr int kResolution = 32;

std::string read_bytes(const fs::path& path) {
  return testing::read_text(path);
}
const std::string& duck() {
  static const std::string bytes = read_bytes(fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png");
  return bytes;
}
std::string test_image(const std::string& name) {
  return read_bytes(fs::path(ORFEAS_SOURCE_DIR) / "tests/data" / name);
}

jobs::GenerationParams small_params(std::string format = "stl") {
  jobs::GenerationParams params;
  params.format = std::move(format);
  params.resolution = kResolution;
  return params;
}

// Every event the hub delivers, in order; an optional hook runs after each is recorded (outside
// the recorder's lock, so it may call into the service).
class Recorder final : public EventSink {
 public:
  void deliver(const JobEvent& event, const std::shared_ptr<const std::string>& /*json*/) override {
    std::function<void(const JobEvent&)> hook;
    {
      const std::lock_guard lock(mutex_);
      events_.push_back(event);
      hook = hook_;
    }
    changed_.notify_all();
    if (hook) hook(event);
  }

  void set_hook(std::function<void(const JobEvent&)> hook) {
    const std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

  std::vector<JobEvent> of(const std::string& job) const {
    const std::lock_guard lock(mutex_);
    std::vector<JobEvent> out;
    std::copy_if(events_.begin(), events_.end(), std::back_inserter(out),
                 [&](const JobEvent& e) { return e.job == job; });
    return out;
  }

  // Waits until `job` has had its final event; false after kEventWait.
  bool wait_final(const std::string& job) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kEventWait, [&] {
      return std::any_of(events_.begin(), events_.end(),
                         [&](const JobEvent& e) { return e.job == job && e.is_final(); });
    });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<JobEvent> events_;
  std::function<void(const JobEvent&)> hook_;
};

std::vector<EventType> types_of(const std::vector<JobEvent>& events) {
  std::vector<EventType> types;
  for (const JobEvent& e : events) types.push_back(e.type);
  return types;
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceOptions options(bool start_workers = true) {
    ServiceOptions o;
    o.data_dir = dir_.path();
    o.device = "cpu";
    o.max_queue_delay = std::chrono::milliseconds(20);
    o.clock_ms = [this] { return clock_ms_.fetch_add(1); };
    o.start_workers = start_workers;
    return o;
  }

  void open(ServiceOptions o) {
    service_.reset();
    Result<std::unique_ptr<Service>> service = Service::open(std::move(o));
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    recorder_ = std::make_shared<Recorder>();
    service_->events().subscribe_all(service_->events().add(recorder_));
  }

  SubmitAnswer submit(const jobs::GenerationParams& params, int priority = 0, const std::string& image = duck()) {
    Result<SubmitAnswer> answer = service_->submit({.image = image, .params = params, .priority = priority});
    EXPECT_TRUE(answer) << answer.error().message();
    return answer.value_or(SubmitAnswer{});
  }

  jobs::Job job(const std::string& id) {
    Result<JobView> view = service_->get(id);
    EXPECT_TRUE(view) << view.error().message();
    return view ? view->job : jobs::Job{};
  }

  // A job that ran to its end must have said so; an assertion failure otherwise.
  void expect_final(const std::string& id) { ASSERT_TRUE(recorder_->wait_final(id)) << "no final event for " << id; }

  TempDir dir_;
  std::atomic<std::int64_t> clock_ms_{1'700'000'000'000};
  std::unique_ptr<Service> service_;
  std::shared_ptr<Recorder> recorder_;
};

TEST_F(ServiceTest, ASubmittedJobCompletesWithARealResultAndItsProfile) {
  open(options());
  const SubmitAnswer answer = submit(small_params("glb"));
  EXPECT_FALSE(answer.cached);
  EXPECT_EQ(answer.job.status, jobs::JobStatus::kQueued);
  expect_final(answer.job.id);

  const jobs::Job done = job(answer.job.id);
  ASSERT_EQ(done.status, jobs::JobStatus::kCompleted) << done.error_message;
  EXPECT_EQ(done.result_path, "results/" + done.id + ".glb");
  const Result<fs::path> file = service_->result_file(done.id);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_GT(fs::file_size(*file), 1000U);
  EXPECT_EQ(read_bytes(*file).substr(0, 4), "glTF");

  const Result<std::string> profile = service_->profile_json(done.id);
  ASSERT_TRUE(profile) << profile.error().message();
  const nlohmann::json parsed = nlohmann::json::parse(*profile);
  EXPECT_EQ(parsed["job"], done.id);
  EXPECT_GT(parsed["total_s"].get<double>(), 0.0);
  ASSERT_EQ(parsed["stages"].size(), pipeline::kStageNames.size());
  for (std::size_t i = 0; i < pipeline::kStageNames.size(); ++i) {
    EXPECT_EQ(parsed["stages"][i]["name"], pipeline::kStageNames[i]);
  }
  const std::vector<JobEvent> events = recorder_->of(done.id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, EventType::kCompleted);
  EXPECT_EQ(events.back().result_url, "/api/jobs/" + done.id + "/result");
  EXPECT_EQ(events.back().profile_json, *profile);
  EXPECT_FALSE(service_->result_file("0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(service_->get("not-an-id").error().code(), ErrorCode::kInvalidArgument);
}

// The workers run below the threads that answer requests: a worker's own events (started,
// progress) are published on its thread, which shows the nice value asked for; the caller's
// thread is left as it was.
TEST_F(ServiceTest, WorkerThreadsRunAtTheNiceValueAsked) {
  const int before = this_thread_nice();
  const int expected = std::max(before, 7);  // a test run under `nice` may already be above 7
  ServiceOptions o = options();
  o.worker_nice = 7;
  open(std::move(o));
  std::mutex mutex;
  std::vector<int> seen;
  recorder_->set_hook([&](const JobEvent& event) {
    if (event.type != EventType::kStarted && event.type != EventType::kProgress) return;
    const int nice = this_thread_nice();
    const std::lock_guard lock(mutex);
    seen.push_back(nice);
  });
  const SubmitAnswer answer = submit(small_params());
  expect_final(answer.job.id);
  recorder_->set_hook(nullptr);
  EXPECT_EQ(job(answer.job.id).status, jobs::JobStatus::kCompleted);
  const std::lock_guard lock(mutex);
  ASSERT_FALSE(seen.empty());
  for (const int nice : seen) EXPECT_EQ(nice, expected);
  EXPECT_EQ(this_thread_nice(), before);
}

TEST_F(ServiceTest, ANiceValueOutsideZeroTo19IsRefused) {
  for (const int nice : {-1, 20}) {
    ServiceOptions o = options();
    o.worker_nice = nice;
    const Result<std::unique_ptr<Service>> service = Service::open(std::move(o));
    ASSERT_FALSE(service) << nice;
    EXPECT_EQ(service.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST_F(ServiceTest, OneJobsEventsComeInOrderWithPercentRisingTo100) {
  open(options());
  // While it runs, get() shows the job running with its latest progress.
  std::optional<JobView> seen_running;
  recorder_->set_hook([&](const JobEvent& event) {
    if (event.type == EventType::kProgress && event.stage == "mesh_extraction" && !seen_running) {
      Result<JobView> view = service_->get(event.job);
      if (view) seen_running = std::move(*view);
    }
  });
  const SubmitAnswer answer = submit(small_params());
  expect_final(answer.job.id);
  ASSERT_TRUE(seen_running.has_value());
  EXPECT_EQ(seen_running->job.status, jobs::JobStatus::kRunning);
  EXPECT_FALSE(seen_running->position.has_value());
  ASSERT_TRUE(seen_running->progress.has_value());
  EXPECT_EQ(seen_running->progress->stage, "mesh_extraction");
  EXPECT_GT(seen_running->progress->percent, 0.0);
  EXPECT_FALSE(service_->get(answer.job.id)->progress.has_value()) << "only while running";
  const std::vector<JobEvent> events = recorder_->of(answer.job.id);
  ASSERT_GE(events.size(), 3U + 2 * pipeline::kStageNames.size());
  EXPECT_EQ(events.front().type, EventType::kQueued);
  EXPECT_EQ(events.front().position, 1);
  EXPECT_EQ(events[1].type, EventType::kStarted);
  EXPECT_EQ(events.back().type, EventType::kCompleted);
  double percent = 0.0;
  std::vector<std::string> stages;  // in order of first appearance
  for (std::size_t i = 2; i + 1 < events.size(); ++i) {
    ASSERT_EQ(events[i].type, EventType::kProgress) << i;
    EXPECT_GE(events[i].percent, percent) << "percent fell at event " << i;
    EXPECT_LE(events[i].percent, 100.0);
    percent = events[i].percent;
    if (stages.empty() || stages.back() != events[i].stage) stages.push_back(events[i].stage);
  }
  EXPECT_DOUBLE_EQ(percent, 100.0);
  EXPECT_EQ(stages, std::vector<std::string>(pipeline::kStageNames.begin(), pipeline::kStageNames.end()));
}

TEST_F(ServiceTest, HigherPriorityRunsFirst) {
  open(options(/*start_workers=*/false));
  // Different resolutions: each job is a batch of its own, so the claim order shows.
  jobs::GenerationParams low = small_params();
  jobs::GenerationParams mid = small_params();
  mid.resolution = kResolution + 4;
  jobs::GenerationParams high = small_params();
  high.resolution = kResolution + 8;
  const std::string low_id = submit(low, -10).job.id;
  const std::string mid_id = submit(mid, 0).job.id;
  const SubmitAnswer high_answer = submit(high, 50);
  const std::string high_id = high_answer.job.id;
  EXPECT_EQ(high_answer.position, 1) << "it goes ahead of the others";
  EXPECT_EQ(recorder_->of(mid_id).front().position, 1) << "queued ahead of the lower priority";
  const SubmitAnswer second_low = submit(low, -10);
  EXPECT_EQ(second_low.position, 4) << "behind everything, the same priority by age";
  ASSERT_TRUE(service_->cancel(second_low.job.id));
  EXPECT_EQ(*service_->get(high_id)->position, 1);
  EXPECT_EQ(*service_->get(mid_id)->position, 2);
  EXPECT_EQ(*service_->get(low_id)->position, 3);
  service_->start_workers();
  for (const std::string& id : {low_id, mid_id, high_id}) expect_final(id);
  const jobs::Job l = job(low_id);
  const jobs::Job m = job(mid_id);
  const jobs::Job h = job(high_id);
  for (const jobs::Job& j : {l, m, h}) ASSERT_EQ(j.status, jobs::JobStatus::kCompleted) << j.error_message;
  // The store's clock moves on every reading, so claim times order the claims.
  EXPECT_LT(*h.started_ms, *m.started_ms);
  EXPECT_LT(*m.started_ms, *l.started_ms);
}

// The sum and count of a histogram in the Prometheus text.
std::pair<double, double> histogram_sum_count(const std::string& text, const std::string& name) {
  double sum = -1.0;
  double count = -1.0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "_sum ", 0) == 0) sum = std::stod(line.substr(name.size() + 5));
    if (line.rfind(name + "_count ", 0) == 0) count = std::stod(line.substr(name.size() + 7));
  }
  return {sum, count};
}

TEST_F(ServiceTest, QueuedJobsOfOneKeyRunInBatches) {
  open(options(/*start_workers=*/false));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    jobs::GenerationParams params = small_params(i % 2 == 0 ? "stl" : "ply");  // formats differ within a batch
    params.size_mm = 50.0 + i;
    ids.push_back(submit(params).job.id);
  }
  service_->start_workers();
  for (const std::string& id : ids) expect_final(id);
  for (const std::string& id : ids) EXPECT_EQ(job(id).status, jobs::JobStatus::kCompleted);
  const auto [sum, count] =
      histogram_sum_count(service_->metrics().render(service_->metrics_snapshot()), "orfeas_batch_size");
  EXPECT_EQ(sum, 4.0);
  EXPECT_GE(count, 1.0);
  EXPECT_LT(count, 4.0) << "some batch held more than one job";
  const std::vector<WorkerInfo> workers = service_->workers();
  ASSERT_EQ(workers.size(), 1U);
  EXPECT_EQ(workers[0].batches_run, static_cast<std::size_t>(count));
}

TEST_F(ServiceTest, CancellingAQueuedJobEndsItAtOnce) {
  open(options(/*start_workers=*/false));
  const std::string id = submit(small_params()).job.id;
  const Result<jobs::Job> cancelled = service_->cancel(id);
  ASSERT_TRUE(cancelled) << cancelled.error().message();
  EXPECT_EQ(cancelled->status, jobs::JobStatus::kCancelled);
  EXPECT_EQ(types_of(recorder_->of(id)), (std::vector{EventType::kQueued, EventType::kCancelled}));
  // A final job is answered as it is, without another event.
  EXPECT_EQ(service_->cancel(id)->status, jobs::JobStatus::kCancelled);
  service_->start_workers();
  service_->drain();
  EXPECT_EQ(types_of(recorder_->of(id)), (std::vector{EventType::kQueued, EventType::kCancelled}));
  EXPECT_FALSE(fs::exists(dir_.file("results/" + id + ".stl")));
  EXPECT_EQ(service_->cancel("0123456789abcdef0123456789abcdef").error().code(), ErrorCode::kNotFound);
}

TEST_F(ServiceTest, CancellingARunningJobStopsItWithoutAResult) {
  open(options());
  std::atomic<bool> asked{false};
  recorder_->set_hook([&](const JobEvent& event) {
    // At the start of shape generation: the worker is inside the job. (The hook runs on the
    // worker's thread, inside the event's delivery: cancel() may be called from there.)
    if (event.type == EventType::kProgress && event.stage == "shape_generation" && !asked.exchange(true)) {
      const Result<jobs::Job> cancelled = service_->cancel(event.job);
      EXPECT_TRUE(cancelled && cancelled->status == jobs::JobStatus::kCancelled);
    }
  });
  const std::string id = submit(small_params()).job.id;
  expect_final(id);
  service_->drain();  // the worker is done with it
  const std::vector<JobEvent> events = recorder_->of(id);
  ASSERT_TRUE(asked);
  EXPECT_EQ(events.back().type, EventType::kCancelled);
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const JobEvent& e) { return e.is_final(); }), 1);
  EXPECT_EQ(job(id).status, jobs::JobStatus::kCancelled);
  EXPECT_FALSE(fs::exists(dir_.file("results/" + id + ".stl")));
  EXPECT_TRUE(std::none_of(events.begin(), events.end(), [](const JobEvent& e) {
    return e.stage == "post_processing";
  })) << "the job stopped at the next stage boundary";
}

TEST_F(ServiceTest, AJobPastItsTimeLimitFailsAsDeadlineExceeded) {
  ServiceOptions o = options();
  o.job_timeout = std::chrono::seconds(60);
  open(std::move(o));
  // The moment it starts, the fake clock jumps past its limit.
  recorder_->set_hook([this](const JobEvent& event) {
    if (event.type == EventType::kStarted) clock_ms_ += 3'600'000;
  });
  const std::string id = submit(small_params()).job.id;
  expect_final(id);
  const std::vector<JobEvent> events = recorder_->of(id);
  ASSERT_EQ(events.back().type, EventType::kFailed);
  EXPECT_EQ(events.back().error_code, "deadline_exceeded");
  EXPECT_FALSE(events.back().retryable);
  const jobs::Job failed = job(id);
  EXPECT_EQ(failed.status, jobs::JobStatus::kFailed);
  EXPECT_EQ(failed.error_code, error_code_name(ErrorCode::kDeadlineExceeded));
  EXPECT_FALSE(failed.retryable);
  EXPECT_FALSE(fs::exists(dir_.file("results/" + id + ".stl")));
}

TEST_F(ServiceTest, WhatABatchThrowsEndsItsJobsAndTheWorkerGoesOn) {
  open(options());
  std::atomic<bool> thrown{false};
  recorder_->set_hook([&](const JobEvent& event) {
    if (event.type == EventType::kProgress && event.stage == "shape_generation" && !thrown.exchange(true)) {
      throw std::runtime_error("a sink that breaks its contract");
    }
  });
  const std::string first = submit(small_params()).job.id;
  expect_final(first);
  ASSERT_TRUE(thrown);
  const jobs::Job broken = job(first);
  ASSERT_TRUE(jobs::is_final(broken.status));
  if (broken.status == jobs::JobStatus::kFailed) {  // unless the hub contains what sinks throw
    EXPECT_EQ(broken.error_code, error_code_name(ErrorCode::kInternal));
    EXPECT_NE(broken.error_message.find("a sink that breaks its contract"), std::string::npos);
  }
  const std::string second = submit(small_params("ply")).job.id;
  expect_final(second);
  EXPECT_EQ(job(second).status, jobs::JobStatus::kCompleted);
}

TEST_F(ServiceTest, AFullQueueRefusesWithResourceExhausted) {
  ServiceOptions o = options(/*start_workers=*/false);
  o.max_queue = 2;
  open(std::move(o));
  submit(small_params());
  submit(small_params());
  const Result<SubmitAnswer> refused = service_->submit({.image = duck(), .params = small_params(), .priority = 0});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_GE(service_->retry_after_s(), 1);
  EXPECT_EQ(service_->metrics_snapshot().queue_length, 2);
}

TEST_F(ServiceTest, TheSameImageAndParametersAreAnsweredFromTheCache) {
  open(options());
  const std::string first = submit(small_params()).job.id;
  expect_final(first);
  ASSERT_EQ(job(first).status, jobs::JobStatus::kCompleted);

  const SubmitAnswer again = submit(small_params());
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.position, 0);
  EXPECT_EQ(again.job.status, jobs::JobStatus::kCompleted);
  EXPECT_NE(again.job.id, first);
  EXPECT_EQ(service_->metrics().cache_hits(), 1U);
  EXPECT_EQ(types_of(recorder_->of(again.job.id)), std::vector{EventType::kCompleted});
  EXPECT_EQ(read_bytes(*service_->result_file(again.job.id)), read_bytes(*service_->result_file(first)));
  EXPECT_TRUE(service_->profile_json(again.job.id));

  // Another format is another result.
  const SubmitAnswer other = submit(small_params("obj"));
  EXPECT_FALSE(other.cached);
  expect_final(other.job.id);
  EXPECT_EQ(service_->metrics().cache_hits(), 1U);
}

TEST_F(ServiceTest, ACachedResultWhoseFileIsGoneIsMadeAgain) {
  open(options());
  const std::string first = submit(small_params()).job.id;
  expect_final(first);
  Result<std::filesystem::path> stored = service_->result_file(first);
  ASSERT_TRUE(stored) << stored.error().message();
  ASSERT_TRUE(std::filesystem::remove(*stored));

  const SubmitAnswer again = submit(small_params());  // the image is checked and the job runs
  EXPECT_FALSE(again.cached);
  EXPECT_EQ(again.job.status, jobs::JobStatus::kQueued);
  expect_final(again.job.id);
  EXPECT_EQ(job(again.job.id).status, jobs::JobStatus::kCompleted);
  EXPECT_EQ(service_->metrics().cache_hits(), 0U);
  EXPECT_TRUE(service_->result_file(again.job.id));
}

TEST_F(ServiceTest, JobsSurviveARestartAndCompleteExactlyOnce) {
  std::vector<std::string> ids;
  open(options(/*start_workers=*/false));
  ids.push_back(submit(small_params()).job.id);
  ids.push_back(submit(small_params("ply")).job.id);
  service_.reset();
  {
    // A crash while one job was running: it is left `running` in the store.
    auto store = jobs::JobStore::open(dir_.path());
    ASSERT_TRUE(store);
    const auto claimed = (*store)->claim_next_batch("", 1);
    ASSERT_TRUE(claimed && claimed->size() == 1U);
  }
  open(options());
  for (const std::string& id : ids) expect_final(id);
  service_->drain();
  int attempts = 0;
  for (const std::string& id : ids) {
    const jobs::Job done = job(id);
    EXPECT_EQ(done.status, jobs::JobStatus::kCompleted) << done.error_message;
    attempts += done.attempts;
    const std::vector<JobEvent> events = recorder_->of(id);
    EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const JobEvent& e) { return e.is_final(); }), 1);
    EXPECT_EQ(
        std::count_if(events.begin(), events.end(), [](const JobEvent& e) { return e.type == EventType::kStarted; }),
        1);
  }
  EXPECT_EQ(attempts, 1) << "the interrupted job ran again, once";
}

TEST_F(ServiceTest, FinishedJobsAndTheirFilesExpire) {
  ServiceOptions o = options();
  o.expire_after = std::chrono::hours(1);
  open(std::move(o));
  const std::string id = submit(small_params()).job.id;
  expect_final(id);
  const jobs::Job done = job(id);
  ASSERT_EQ(done.status, jobs::JobStatus::kCompleted);
  const fs::path upload = dir_.path() / done.upload_path;
  const fs::path result = dir_.path() / done.result_path;
  ASSERT_TRUE(fs::exists(upload) && fs::exists(result));

  EXPECT_EQ(*service_->expire_now(), 0U) << "not an hour old yet";
  EXPECT_TRUE(service_->get(id));
  clock_ms_ += 2 * 3'600'000;
  EXPECT_EQ(*service_->expire_now(), 2U);
  EXPECT_EQ(service_->get(id).error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(upload));
  EXPECT_FALSE(fs::exists(result));
}

TEST_F(ServiceTest, TheExpiryThreadRunsEveryInterval) {
  ServiceOptions o = options(/*start_workers=*/false);
  o.expire_after = std::chrono::hours(1);
  o.expiry_interval = std::chrono::milliseconds(5);
  open(std::move(o));
  const std::string id = submit(small_params()).job.id;
  ASSERT_TRUE(service_->cancel(id));  // final now, with its upload
  const fs::path upload = dir_.path() / job(id).upload_path;
  ASSERT_TRUE(fs::exists(upload));
  clock_ms_ += 2 * 3'600'000;
  // Waits for the thread's pass (a poll with a generous limit, not a timing assertion); the
  // files go after the job's row.
  for (int i = 0; i < 60'000 && fs::exists(upload); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(fs::exists(upload));
  EXPECT_EQ(service_->get(id).error().code(), ErrorCode::kNotFound);
}

TEST_F(ServiceTest, BadImagesAndParametersAreRefusedWithTheirReason) {
  open(options(/*start_workers=*/false));
  const auto code_of = [&](const std::string& image, const jobs::GenerationParams& params, int priority = 0) {
    const Result<SubmitAnswer> answer = service_->submit({.image = image, .params = params, .priority = priority});
    EXPECT_FALSE(answer);
    return answer ? ErrorCode::kInternal : answer.error().code();
  };
  EXPECT_EQ(code_of(test_image("not_supported.gif"), small_params()), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code_of(test_image("garbage.png"), small_params()), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(code_of(test_image("truncated.png"), small_params()), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(test_image("truncated.jpg"), small_params()), ErrorCode::kCorruptData);
  EXPECT_EQ(code_of(test_image("bomb_12000x12000.png"), small_params()), ErrorCode::kLimitExceeded);
  EXPECT_EQ(code_of("", small_params()), ErrorCode::kCorruptData);

  const auto with = [](auto change) {
    jobs::GenerationParams params = small_params();
    change(params);
    return params;
  };
  const std::vector<std::pair<jobs::GenerationParams, std::string>> bad = {
      {with([](auto& p) { p.format = "fbx"; }), "format"},
      {with([](auto& p) { p.resolution = 15; }), "resolution"},
      {with([](auto& p) { p.resolution = 1025; }), "resolution"},
      {with([](auto& p) { p.size_mm = 0.0; }), "size_mm"},
      {with([](auto& p) { p.size_mm = 10000.5; }), "size_mm"},
      {with([](auto& p) { p.faces = -1; }), "faces"},
      {with([](auto& p) { p.backend = "nope"; }), "backend"},
      {with([](auto& p) { p.device = "cuda:3"; }), "device"},
  };
  for (const auto& [params, field] : bad) {
    const Result<SubmitAnswer> answer = service_->submit({.image = duck(), .params = params, .priority = 0});
    ASSERT_FALSE(answer) << field;
    EXPECT_EQ(answer.error().code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_NE(answer.error().message().find(field), std::string::npos) << answer.error().message();
  }
  EXPECT_EQ(code_of(duck(), small_params(), 101), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of(duck(), small_params(), -101), ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->metrics_snapshot().queue_length, 0) << "nothing refused was queued";
  EXPECT_TRUE(fs::is_empty(dir_.file("uploads")));
}

// 3MF where this build has lib3mf: a ZIP package as the result; without it, refused at submission.
TEST_F(ServiceTest, ThreeMfJobsWhereTheBuildHasLib3mf) {
  open(options());
  if (!exporter::threemf_available()) {
    const Result<SubmitAnswer> refused =
        service_->submit({.image = duck(), .params = small_params("3mf"), .priority = 0});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
    return;
  }
  const SubmitAnswer answer = submit(small_params("3mf"));
  expect_final(answer.job.id);
  const jobs::Job done = job(answer.job.id);
  ASSERT_EQ(done.status, jobs::JobStatus::kCompleted) << done.error_message;
  EXPECT_EQ(done.result_path, "results/" + done.id + ".3mf");
  const Result<fs::path> file = service_->result_file(done.id);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(read_bytes(*file).substr(0, 4), std::string("PK\x03\x04", 4));
}

TEST_F(ServiceTest, UploadLimitsComeFromTheOptions) {
  ServiceOptions o = options(/*start_workers=*/false);
  o.max_upload_bytes = 1000;
  open(std::move(o));
  EXPECT_EQ(service_->submit({.image = duck(), .params = small_params(), .priority = 0}).error().code(),
            ErrorCode::kLimitExceeded);
  ServiceOptions p = options(/*start_workers=*/false);
  p.max_pixels = 100 * 100;
  open(std::move(p));
  EXPECT_EQ(service_->submit({.image = duck(), .params = small_params(), .priority = 0}).error().code(),
            ErrorCode::kLimitExceeded);
}

TEST_F(ServiceTest, ReadinessWorkersAndSnapshotTellTheState) {
  open(options(/*start_workers=*/false));
  Readiness readiness = service_->readiness();
  EXPECT_TRUE(readiness.storage_writable);
  EXPECT_FALSE(readiness.workers_up);
  EXPECT_FALSE(readiness.ready());
  EXPECT_FALSE(readiness.detail.empty());
  submit(small_params());
  MetricsSnapshot snapshot = service_->metrics_snapshot();
  EXPECT_EQ(snapshot.queue_length, 1);
  EXPECT_EQ(snapshot.jobs_by_status[static_cast<std::size_t>(jobs::JobStatus::kQueued)], 1);
  ASSERT_EQ(snapshot.devices.size(), 1U);
  EXPECT_EQ(snapshot.devices[0].name, "cpu");
  EXPECT_FALSE(snapshot.devices[0].worker_up);

  service_->start_workers();
  readiness = service_->readiness();
  EXPECT_TRUE(readiness.ready()) << readiness.detail;
  const std::vector<WorkerInfo> workers = service_->workers();
  ASSERT_EQ(workers.size(), 1U);
  EXPECT_EQ(workers[0].device, "cpu");
  EXPECT_TRUE(workers[0].up);
  ASSERT_NE(workers[0].optimizer, nullptr);
  EXPECT_EQ(workers[0].config.key, "inflate/cpu/r128");
  EXPECT_TRUE(service_->metrics_snapshot().devices[0].worker_up);
  EXPECT_EQ(service_->data_dir(), dir_.path());
}

TEST_F(ServiceTest, OpenRefusesBadOptions) {
  ServiceOptions o = options();
  o.device = "tpu";
  EXPECT_EQ(Service::open(o).error().code(), ErrorCode::kInvalidArgument);
  o = options();
  o.max_queue = 0;
  EXPECT_EQ(Service::open(o).error().code(), ErrorCode::kInvalidArgument);
  o = options();
  o.data_dir.clear();
  EXPECT_EQ(Service::open(o).error().code(), ErrorCode::kInvalidArgument);
}

// The bytes one job's volume takes from the CPU worker's pool.
std::uint64_t volume_bytes() {
  const auto n = static_cast<std::size_t>(kResolution) + 1;
  return gpu::pool_bucket_bytes(4 * n * n * n);
}

TEST_F(ServiceTest, ABatchThatDoesNotFitIsSplitAndEveryJobCompletes) {
  ServiceOptions o = options(/*start_workers=*/false);
  o.cpu_pool_bytes = volume_bytes() * 3 / 2;  // one volume at a time
  open(std::move(o));
  const std::string a = submit(small_params()).job.id;
  const std::string b = submit(small_params("ply")).job.id;
  service_->start_workers();
  expect_final(a);
  expect_final(b);
  EXPECT_EQ(job(a).status, jobs::JobStatus::kCompleted) << job(a).error_message;
  EXPECT_EQ(job(b).status, jobs::JobStatus::kCompleted) << job(b).error_message;
  if (service_->workers()[0].optimizer->recommend_batch(service_->workers()[0].config, 2).recommended > 1) {
    EXPECT_GE(service_->metrics().oom_retries(), 1U);
  }
}

TEST_F(ServiceTest, AJobThatCannotFitAloneFailsAsRetryableOutOfMemory) {
  ServiceOptions o = options();
  o.cpu_pool_bytes = volume_bytes() / 2;
  open(std::move(o));
  const std::string id = submit(small_params()).job.id;
  expect_final(id);
  const std::vector<JobEvent> events = recorder_->of(id);
  ASSERT_EQ(events.back().type, EventType::kFailed);
  EXPECT_EQ(events.back().error_code, "out_of_memory");
  EXPECT_TRUE(events.back().retryable);
  EXPECT_EQ(job(id).status, jobs::JobStatus::kFailed);
  EXPECT_TRUE(job(id).retryable);
}

TEST_F(ServiceTest, ADrainPastItsGraceQueuesTheRunningJobAgain) {
  open(options());
  std::mutex mutex;
  std::condition_variable changed;
  bool inside = false;
  recorder_->set_hook([&](const JobEvent& event) {
    if (event.type != EventType::kProgress || event.stage != "shape_generation" || event.steps != 0) return;
    {
      const std::lock_guard lock(mutex);
      if (inside) return;
      inside = true;
    }
    changed.notify_all();
    // Hold the worker inside the job until the drain has given up waiting for it.
    for (int i = 0; i < 60'000; ++i) {
      if (service_->readiness().detail.find("queued again") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "the drain never gave up on the running job";
  });
  const std::string id = submit(small_params()).job.id;
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, kEventWait, [&] { return inside; }));
  }
  service_->drain(std::chrono::milliseconds(0));
  const jobs::Job requeued = job(id);
  EXPECT_EQ(requeued.status, jobs::JobStatus::kQueued);
  EXPECT_EQ(requeued.attempts, 1);
  const std::vector<JobEvent> events = recorder_->of(id);
  EXPECT_TRUE(std::none_of(events.begin(), events.end(), [](const JobEvent& e) { return e.is_final(); }));
  EXPECT_FALSE(fs::exists(dir_.file("results/" + id + ".stl")));
  EXPECT_FALSE(service_->readiness().ready());

  open(options());  // the next start runs it, once
  expect_final(id);
  EXPECT_EQ(job(id).status, jobs::JobStatus::kCompleted);
  EXPECT_EQ(job(id).attempts, 1);
}

TEST_F(ServiceTest, OnAMachineWithCudaEveryDeviceGetsAWorkerThatRunsJobs) {
  if (gpu::cuda_device_count() == 0) {
    ServiceOptions o = options();
    o.device = "cuda";
    EXPECT_EQ(Service::open(std::move(o)).error().code(), ErrorCode::kUnavailable);
    GTEST_SKIP() << "no CUDA device: the GPU workers are not tried here";
  }
  ServiceOptions o = options();
  o.device = "auto";
  open(std::move(o));
  const std::vector<WorkerInfo> workers = service_->workers();
  ASSERT_EQ(workers.size(), static_cast<std::size_t>(gpu::cuda_device_count()));
  for (std::size_t i = 0; i < workers.size(); ++i) {
    EXPECT_EQ(workers[i].device, "cuda:" + std::to_string(i));
    EXPECT_EQ(workers[i].config.key, "inflate/cuda/r128");
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    jobs::GenerationParams params = small_params(i % 2 == 0 ? "glb" : "stl");
    params.resolution = 96;
    params.faces = i == 3 ? 500 : 0;
    ids.push_back(submit(params).job.id);
  }
  jobs::GenerationParams on_last = small_params();
  on_last.device = workers.back().device;
  ids.push_back(submit(on_last).job.id);
  for (const std::string& id : ids) expect_final(id);
  for (const std::string& id : ids) {
    const jobs::Job done = job(id);
    EXPECT_EQ(done.status, jobs::JobStatus::kCompleted) << done.error_message;
    EXPECT_TRUE(service_->result_file(id));
  }
  const MetricsSnapshot snapshot = service_->metrics_snapshot();
  ASSERT_EQ(snapshot.devices.size(), workers.size());
  EXPECT_TRUE(snapshot.devices[0].worker_up);
  std::cout << "cuda:0 memory total " << snapshot.devices[0].memory_total_bytes.value_or(0) << " used "
            << snapshot.devices[0].memory_used_bytes.value_or(0) << "\n";
}

TEST(JobProgressTest, StagesShareTheWayTo100WithoutJumps) {
  const StageWeights weights = {1, 1, 1, 1, 1, 5};  // export is half the job
  JobProgress progress("job", weights, 0, 100);
  std::vector<double> percents;
  for (std::size_t i = 0; i < pipeline::kStageNames.size(); ++i) {
    const auto start = progress.on_event({.stage = pipeline::kStageNames[i], .index = i}, 0);
    ASSERT_TRUE(start);
    if (!percents.empty()) {
      EXPECT_DOUBLE_EQ(start->percent, percents.back()) << "a stage starts where the last ended";
    }
    const auto end = progress.on_event({.stage = pipeline::kStageNames[i], .index = i, .done = true}, 0);
    ASSERT_TRUE(end);
    percents.push_back(end->percent);
  }
  EXPECT_DOUBLE_EQ(percents[0], 10.0);
  EXPECT_DOUBLE_EQ(percents[4], 50.0);
  EXPECT_DOUBLE_EQ(percents.back(), 100.0);
}

TEST(JobProgressTest, StepsMoveWithinTheStageAndAreRateLimited) {
  JobProgress progress("job", default_stage_weights(), 0, 100);
  ASSERT_TRUE(progress.on_event({.stage = "image_preprocessing", .index = 0, .done = true}, 0));
  const auto first = progress.on_event({.stage = "shape_generation", .index = 1, .step = 1, .steps = 4}, 1000);
  ASSERT_TRUE(first);
  EXPECT_NEAR(first->percent, 10.0 + 35.0 / 4, 1e-9);
  ASSERT_TRUE(first->eta_s);
  EXPECT_NEAR(*first->eta_s, 1.0 * (100.0 - first->percent) / first->percent, 1e-9);
  // 50 ms later: held back, but remembered.
  EXPECT_FALSE(progress.on_event({.stage = "shape_generation", .index = 1, .step = 2, .steps = 4}, 1050));
  EXPECT_NEAR(progress.last()->percent, 10.0 + 35.0 / 2, 1e-9);
  EXPECT_TRUE(progress.on_event({.stage = "shape_generation", .index = 1, .step = 3, .steps = 4}, 1100));
  // A stage end always goes out; a stage run again (a split batch) never moves the bar back.
  EXPECT_TRUE(progress.on_event({.stage = "shape_generation", .index = 1, .done = true}, 1101));
  const auto again = progress.on_event({.stage = "shape_generation", .index = 1}, 1102);
  ASSERT_TRUE(again);
  EXPECT_DOUBLE_EQ(again->percent, 45.0);
}

TEST(JobProgressTest, WeightsComeFromTheProfilerWhenEveryStageHasHistory) {
  EXPECT_EQ(stage_weights({}), default_stage_weights());
  std::vector<profiling::StageShare> shares;
  for (const std::string_view stage : pipeline::kStageNames) {
    profiling::StageShare share;
    share.stage = std::string(stage);
    share.mean_share_percent = 10.0;
    share.job_count = 3;
    shares.push_back(share);
  }
  shares[1].mean_share_percent = 50.0;
  const StageWeights weights = stage_weights(shares);
  EXPECT_EQ(weights[1], 50.0);
  EXPECT_EQ(weights[0], 10.0);
  shares.pop_back();
  EXPECT_EQ(stage_weights(shares), default_stage_weights()) << "a stage without history";
}

}  // namespace
}  // namespace orfeas::service
