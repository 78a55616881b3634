// Job events: what `orfeas serve` tells WebSocket subscribers about a job, and the hub that fans
// them out.
//
//   EventHub hub;
//   const SubscriberId me = hub.add(sink);          // a WebSocket connection, a test's recorder
//   hub.subscribe(me, {"<job id>"});                // or hub.subscribe_all(me)
//   hub.publish(JobEvent::progress(id, "shape_generation", 3, 8, 41.5, 2.1));
//   hub.remove(me);                                 // the connection closed
//
// Wire form (to_json): {"type": "queued"|"started"|"progress"|"completed"|"failed"|"cancelled",
// "job": "<id>", "time": <Unix time in seconds, to the microsecond, when the event was sent>, ...}: queued has
// `position`; progress has `stage`, `step`, `steps`, `percent` (0–100, never falling for one job) and `eta_s` (null
// when unknown); completed has `result_url` and `profile` (the job's stage timings); failed has `error` {code, message}
// and `retryable`.
//
// publish() serialises an event once and hands that one immutable text (shared, never copied per
// sink) to each interested sink; sinks must not block (a WebSocket session queues, and drops a client that falls
// behind). Thread-safety: every method may be called from any thread. Sinks are called without the hub's lock held, so
// a sink may call back into the hub.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "orfeas/jobs/job.h"

namespace orfeas::service {

enum class EventType { kQueued, kStarted, kProgress, kCompleted, kFailed, kCancelled };
[[nodiscard]] std::string_view event_type_name(EventType type);  // "queued", ...

struct JobEvent {
  EventType type = EventType::kQueued;
  std::string job;
  double time_s = 0.0;  // Unix time (s) when it happened; 0: to_json() stamps the time it is serialised
  // queued
  std::int64_t position = 0;  // 1 = runs next
  // progress
  std::string stage;
  std::size_t step = 0;
  std::size_t steps = 0;
  double percent = 0.0;
  std::optional<double> eta_s;
  // completed
  std::string result_url;    // "/api/jobs/<id>/result"
  std::string profile_json;  // JSON object text: {"total_s": …, "stages": [{"name", "seconds"}, …]}
  // failed
  std::string error_code;  // API error code ("out_of_memory", ...)
  std::string error_message;
  bool retryable = false;

  [[nodiscard]] bool is_final() const;
  [[nodiscard]] std::string to_json() const;
};

// The final event of a job that will not change again (completed, failed, cancelled): what a
// subscriber to a finished job receives at once. nullopt for a queued or running job. The job
// store keeps a completed job's profile beside the job, so `profile_json` is left empty here; the
// caller adds Service::profile_json(id) when it has it.
[[nodiscard]] std::optional<JobEvent> final_event_of(const jobs::Job& job);

// Where events go: one per WebSocket connection (or test recorder).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `json` is event.to_json(), made once per publish and shared by every sink: a sink keeps the
  // pointer (a WebSocket's send queue) rather than copying the text. Never null. Must not block;
  // called on the publishing thread.
  virtual void deliver(const JobEvent& event, const std::shared_ptr<const std::string>& json) = 0;
};

using SubscriberId = std::uint64_t;

class EventHub {
 public:
  SubscriberId add(std::shared_ptr<EventSink> sink);
  void remove(SubscriberId subscriber);
  // Adds jobs to what the subscriber hears; ids are taken as given (unknown ids simply never fire).
  void subscribe(SubscriberId subscriber, const std::vector<std::string>& jobs);
  void subscribe_all(SubscriberId subscriber);
  void unsubscribe(SubscriberId subscriber, const std::vector<std::string>& jobs);
  void unsubscribe_all(SubscriberId subscriber);  // stops "*" and every job subscription

  void publish(const JobEvent& event);

  [[nodiscard]] std::size_t subscriber_count() const;

 private:
  struct Subscriber {
    std::shared_ptr<EventSink> sink;
    bool all = false;
    std::set<std::string, std::less<>> jobs;
  };
  // Takes `subscriber` off the job's list (and the list away once empty); mutex_ held.
  void drop_from_job_locked(SubscriberId subscriber, const std::string& job);

  mutable std::mutex mutex_;
  SubscriberId next_id_ = 1;
  std::unordered_map<SubscriberId, Subscriber> subscribers_;
  std::unordered_map<std::string, std::set<SubscriberId>> by_job_;
  std::set<SubscriberId> all_;
};

}  // namespace orfeas::service
