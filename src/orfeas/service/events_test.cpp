#include "orfeas/service/events.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace orfeas::service {
namespace {

using nlohmann::json;

const std::string kJob = "0123456789abcdef0123456789abcdef";
const std::string kOtherJob = "fedcba9876543210fedcba9876543210";

// Records what it hears; the hub may call it from any thread.
class Recorder : public EventSink {
 public:
  void deliver(const JobEvent& event, const std::shared_ptr<const std::string>& text) override {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(event.job);
    texts_.push_back(text);
  }
  std::vector<std::string> jobs() const {
    const std::lock_guard lock(mutex_);
    return jobs_;
  }
  std::vector<std::shared_ptr<const std::string>> texts() const {
    const std::lock_guard lock(mutex_);
    return texts_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> jobs_;
  std::vector<std::shared_ptr<const std::string>> texts_;
};

constexpr double kTime = 1764480000.25;  // 2025-11-30 05:20:00.25 UTC

JobEvent event_of(EventType type, std::string job) {
  JobEvent event;
  event.type = type;
  event.job = std::move(job);
  event.time_s = kTime;
  return event;
}

TEST(JobEventTest, TypeNames) {
  EXPECT_EQ(event_type_name(EventType::kQueued), "queued");
  EXPECT_EQ(event_type_name(EventType::kStarted), "started");
  EXPECT_EQ(event_type_name(EventType::kProgress), "progress");
  EXPECT_EQ(event_type_name(EventType::kCompleted), "completed");
  EXPECT_EQ(event_type_name(EventType::kFailed), "failed");
  EXPECT_EQ(event_type_name(EventType::kCancelled), "cancelled");
}

TEST(JobEventTest, OnlyCompletedFailedAndCancelledAreFinal) {
  EXPECT_FALSE(event_of(EventType::kQueued, kJob).is_final());
  EXPECT_FALSE(event_of(EventType::kStarted, kJob).is_final());
  EXPECT_FALSE(event_of(EventType::kProgress, kJob).is_final());
  EXPECT_TRUE(event_of(EventType::kCompleted, kJob).is_final());
  EXPECT_TRUE(event_of(EventType::kFailed, kJob).is_final());
  EXPECT_TRUE(event_of(EventType::kCancelled, kJob).is_final());
}

TEST(JobEventTest, QueuedCarriesItsPosition) {
  JobEvent event = event_of(EventType::kQueued, kJob);
  event.position = 3;
  EXPECT_EQ(json::parse(event.to_json()), (json{{"type", "queued"}, {"job", kJob}, {"time", kTime}, {"position", 3}}));
}

TEST(JobEventTest, StartedAndCancelledCarryOnlyTheJob) {
  EXPECT_EQ(json::parse(event_of(EventType::kStarted, kJob).to_json()),
            (json{{"type", "started"}, {"job", kJob}, {"time", kTime}}));
  EXPECT_EQ(json::parse(event_of(EventType::kCancelled, kJob).to_json()),
            (json{{"type", "cancelled"}, {"job", kJob}, {"time", kTime}}));
}

TEST(JobEventTest, ProgressWithAndWithoutAnEta) {
  JobEvent event = event_of(EventType::kProgress, kJob);
  event.stage = "shape_generation";
  event.step = 3;
  event.steps = 8;
  event.percent = 41.5;
  const json unknown = json::parse(event.to_json());
  EXPECT_EQ(unknown, (json{{"type", "progress"},
                           {"job", kJob},
                           {"time", kTime},
                           {"stage", "shape_generation"},
                           {"step", 3},
                           {"steps", 8},
                           {"percent", 41.5},
                           {"eta_s", nullptr}}));
  event.eta_s = 2.25;
  EXPECT_EQ(json::parse(event.to_json())["eta_s"], json(2.25));
}

TEST(JobEventTest, CompletedEmbedsTheProfileAsAnObject) {
  JobEvent event = event_of(EventType::kCompleted, kJob);
  event.result_url = "/api/jobs/" + kJob + "/result";
  event.profile_json = R"({"total_s": 1.5, "stages": [{"name": "export", "seconds": 0.25}]})";
  const json out = json::parse(event.to_json());
  EXPECT_EQ(
      out, (json{{"type", "completed"},
                 {"job", kJob},
                 {"time", kTime},
                 {"result_url", "/api/jobs/" + kJob + "/result"},
                 {"profile", {{"total_s", 1.5}, {"stages", json::array({{{"name", "export"}, {"seconds", 0.25}}})}}}}));
}

TEST(JobEventTest, CompletedWithoutProfileOmitsItAndABrokenProfileIsNull) {
  JobEvent event = event_of(EventType::kCompleted, kJob);
  event.result_url = "/r";
  EXPECT_FALSE(json::parse(event.to_json()).contains("profile"));
  event.profile_json = "{not json";
  const json out = json::parse(event.to_json());
  ASSERT_TRUE(out.contains("profile"));
  EXPECT_TRUE(out["profile"].is_null());
}

TEST(JobEventTest, FailedCarriesTheErrorAndWhetherToRetry) {
  JobEvent event = event_of(EventType::kFailed, kJob);
  event.error_code = "out_of_memory";
  event.error_message = "the batch did not fit";
  event.retryable = true;
  EXPECT_EQ(json::parse(event.to_json()),
            (json{{"type", "failed"},
                  {"job", kJob},
                  {"time", kTime},
                  {"error", {{"code", "out_of_memory"}, {"message", "the batch did not fit"}}},
                  {"retryable", true}}));
}

TEST(JobEventTest, AnEventWithoutATimeIsStampedWithNowToTheMicrosecond) {
  JobEvent event = event_of(EventType::kStarted, kJob);
  event.time_s = 0.0;
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const json out = json::parse(event.to_json());
  const double after = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE(out["time"].is_number_float());
  const double time = out["time"].get<double>();
  EXPECT_GE(time, before - 1e-6);
  EXPECT_LE(time, after + 1e-6);
}

TEST(JobEventTest, InvalidUtf8InAMessageIsReplacedNotThrown) {
  JobEvent event = event_of(EventType::kFailed, kJob);
  event.error_code = "corrupt_data";
  event.error_message = "bad name \xff\xfe";
  const json out = json::parse(event.to_json());
  EXPECT_EQ(out["error"]["message"], "bad name \xEF\xBF\xBD\xEF\xBF\xBD");
}

jobs::Job job_with(jobs::JobStatus status) {
  jobs::Job job;
  job.id = kJob;
  job.status = status;
  return job;
}

TEST(FinalEventOfTest, QueuedAndRunningJobsHaveNone) {
  EXPECT_FALSE(final_event_of(job_with(jobs::JobStatus::kQueued)).has_value());
  EXPECT_FALSE(final_event_of(job_with(jobs::JobStatus::kRunning)).has_value());
}

TEST(FinalEventOfTest, CompletedPointsAtTheResult) {
  const std::optional<JobEvent> event = final_event_of(job_with(jobs::JobStatus::kCompleted));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, EventType::kCompleted);
  EXPECT_EQ(event->job, kJob);
  EXPECT_EQ(event->result_url, "/api/jobs/" + kJob + "/result");
}

TEST(FinalEventOfTest, FailedCarriesTheStoredError) {
  jobs::Job job = job_with(jobs::JobStatus::kFailed);
  job.error_code = "no_foreground";
  job.error_message = "the image has no foreground";
  job.retryable = false;
  const std::optional<JobEvent> event = final_event_of(job);
  ASSERT_TRUE(event.has_value());
  json out = json::parse(event->to_json());
  EXPECT_TRUE(out["time"].is_number_float());  // when it is sent
  out.erase("time");
  EXPECT_EQ(out, (json{{"type", "failed"},
                       {"job", kJob},
                       {"error", {{"code", "no_foreground"}, {"message", "the image has no foreground"}}},
                       {"retryable", false}}));
}

TEST(FinalEventOfTest, Cancelled) {
  const std::optional<JobEvent> event = final_event_of(job_with(jobs::JobStatus::kCancelled));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->type, EventType::kCancelled);
  EXPECT_EQ(event->job, kJob);
}

TEST(EventHubTest, ASubscriberHearsOnlyItsJobs) {
  EventHub hub;
  auto recorder = std::make_shared<Recorder>();
  const SubscriberId me = hub.add(recorder);
  hub.subscribe(me, {kJob});
  hub.publish(event_of(EventType::kStarted, kJob));
  hub.publish(event_of(EventType::kStarted, kOtherJob));
  ASSERT_EQ(recorder->jobs(), std::vector<std::string>{kJob});
  ASSERT_NE(recorder->texts()[0], nullptr);
  EXPECT_EQ(*recorder->texts()[0], event_of(EventType::kStarted, kJob).to_json());
}

// What a 1 000-subscriber fan-out relies on: one serialisation per publish, the same text object
// handed to every sink (no copy per sink).
TEST(EventHubTest, EverySinkGetsTheSameSharedText) {
  EventHub hub;
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  hub.subscribe_all(hub.add(first));
  hub.subscribe(hub.add(second), {kJob});
  hub.publish(event_of(EventType::kStarted, kJob));
  ASSERT_EQ(first->texts().size(), 1U);
  ASSERT_EQ(second->texts().size(), 1U);
  EXPECT_EQ(first->texts()[0].get(), second->texts()[0].get());
  EXPECT_EQ(*first->texts()[0], event_of(EventType::kStarted, kJob).to_json());
}

TEST(EventHubTest, StarHearsEveryJobAndOverlapDeliversOnce) {
  EventHub hub;
  auto recorder = std::make_shared<Recorder>();
  const SubscriberId me = hub.add(recorder);
  hub.subscribe_all(me);
  hub.subscribe(me, {kJob});
  hub.publish(event_of(EventType::kStarted, kJob));
  hub.publish(event_of(EventType::kStarted, kOtherJob));
  EXPECT_EQ(recorder->jobs(), (std::vector<std::string>{kJob, kOtherJob}));
}

TEST(EventHubTest, UnsubscribeStopsOneJobAndUnsubscribeAllStopsEverything) {
  EventHub hub;
  auto recorder = std::make_shared<Recorder>();
  const SubscriberId me = hub.add(recorder);
  hub.subscribe(me, {kJob, kOtherJob});
  hub.unsubscribe(me, {kJob});
  hub.publish(event_of(EventType::kStarted, kJob));
  hub.publish(event_of(EventType::kStarted, kOtherJob));
  EXPECT_EQ(recorder->jobs(), std::vector<std::string>{kOtherJob});

  hub.subscribe_all(me);
  hub.unsubscribe_all(me);
  hub.publish(event_of(EventType::kQueued, kJob));
  hub.publish(event_of(EventType::kQueued, kOtherJob));
  EXPECT_EQ(recorder->jobs(), std::vector<std::string>{kOtherJob});
  EXPECT_EQ(hub.subscriber_count(), 1U);
}

TEST(EventHubTest, RemovedSubscribersHearNothingAndAreLetGo) {
  EventHub hub;
  auto recorder = std::make_shared<Recorder>();
  const SubscriberId me = hub.add(recorder);
  auto other = std::make_shared<Recorder>();
  const SubscriberId them = hub.add(other);
  hub.subscribe(me, {kJob});
  hub.subscribe(them, {kJob});
  EXPECT_EQ(hub.subscriber_count(), 2U);
  hub.remove(me);
  hub.remove(me);  // twice is harmless
  hub.publish(event_of(EventType::kStarted, kJob));
  EXPECT_TRUE(recorder->jobs().empty());
  EXPECT_EQ(other->jobs(), std::vector<std::string>{kJob});
  EXPECT_EQ(hub.subscriber_count(), 1U);
  EXPECT_EQ(recorder.use_count(), 1);  // the hub holds it no longer
  // Calls for an id that is gone change nothing.
  hub.subscribe(me, {kJob});
  hub.subscribe_all(me);
  EXPECT_EQ(hub.subscriber_count(), 1U);
}

// A sink that calls back into the hub from deliver(): the hub must not hold its lock then.
class Reentrant : public EventSink {
 public:
  explicit Reentrant(EventHub* hub) : hub_(hub) {}  // borrowed
  void deliver(const JobEvent& event, const std::shared_ptr<const std::string>& /*json*/) override {
    hub_->unsubscribe(id, {event.job});
    ++heard;
  }
  EventHub* hub_;
  SubscriberId id = 0;
  int heard = 0;
};

TEST(EventHubTest, ASinkMayCallBackIntoTheHub) {
  EventHub hub;
  auto sink = std::make_shared<Reentrant>(&hub);
  sink->id = hub.add(sink);
  hub.subscribe(sink->id, {kJob});
  hub.publish(event_of(EventType::kStarted, kJob));
  hub.publish(event_of(EventType::kCompleted, kJob));
  EXPECT_EQ(sink->heard, 1);
}

// Publishers on several threads while subscribers come and go: every event reaches the subscriber
// that stays, and nothing is touched after it is removed (ASan would say).
TEST(EventHubTest, PublishingWhileSubscribersComeAndGo) {
  EventHub hub;
  auto stays = std::make_shared<Recorder>();
  const SubscriberId stay = hub.add(stays);
  hub.subscribe_all(stay);
  constexpr int kPublishers = 3;
  constexpr int kEach = 300;
  std::atomic<bool> publishing{true};
  std::thread churn([&] {
    while (publishing.load()) {
      auto passing = std::make_shared<Recorder>();
      const SubscriberId id = hub.add(passing);
      hub.subscribe(id, {kJob});
      hub.subscribe_all(id);
      hub.unsubscribe(id, {kJob});
      hub.remove(id);
    }
  });
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&hub] {
      for (int i = 0; i < kEach; ++i) hub.publish(event_of(EventType::kStarted, i % 2 == 0 ? kJob : kOtherJob));
    });
  }
  for (std::thread& publisher : publishers) publisher.join();
  publishing = false;
  churn.join();
  EXPECT_EQ(stays->jobs().size(), static_cast<std::size_t>(kPublishers * kEach));
  EXPECT_EQ(hub.subscriber_count(), 1U);
}

}  // namespace
}  // namespace orfeas::service
