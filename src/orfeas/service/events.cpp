#include "orfeas/service/events.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace orfeas::service {
namespace {

// The profile text is ours (Service::profile_json), but a broken one must not take the event down
// with it: it is shown as null.
nlohmann::json parse_profile(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return nullptr;
  return parsed;
}

}  // namespace

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kQueued:
      return "queued";
    case EventType::kStarted:
      return "started";
    case EventType::kProgress:
      return "progress";
    case EventType::kCompleted:
      return "completed";
    case EventType::kFailed:
      return "failed";
    case EventType::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

bool JobEvent::is_final() const {
  return type == EventType::kCompleted || type == EventType::kFailed || type == EventType::kCancelled;
}

std::string JobEvent::to_json() const {
  nlohmann::json out;
  out["type"] = event_type_name(type);
  out["job"] = job;
  const double time = time_s > 0.0
                          ? time_s
                          : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  out["time"] = std::round(time * 1e6) / 1e6;
  switch (type) {
    case EventType::kQueued:
      out["position"] = position;
      break;
    case EventType::kStarted:
    case EventType::kCancelled:
      break;
    case EventType::kProgress:
      out["stage"] = stage;
      out["step"] = step;
      out["steps"] = steps;
      out["percent"] = percent;
      out["eta_s"] = eta_s ? nlohmann::json(*eta_s) : nlohmann::json(nullptr);
      break;
    case EventType::kCompleted:
      out["result_url"] = result_url;
      if (!profile_json.empty()) out["profile"] = parse_profile(profile_json);
      break;
    case EventType::kFailed:
      out["error"] = {{"code", error_code}, {"message", error_message}};
      out["retryable"] = retryable;
      break;
  }
  // Replacement of invalid UTF-8 (an error message quoting a file name) rather than a throw.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<JobEvent> final_event_of(const jobs::Job& job) {
  JobEvent event;
  event.job = job.id;
  switch (job.status) {
    case jobs::JobStatus::kQueued:
    case jobs::JobStatus::kRunning:
      return std::nullopt;
    case jobs::JobStatus::kCompleted:
      event.type = EventType::kCompleted;
      event.result_url = "/api/jobs/" + job.id + "/result";
      break;
    case jobs::JobStatus::kFailed:
      event.type = EventType::kFailed;
      event.error_code = job.error_code;
      event.error_message = job.error_message;
      event.retryable = job.retryable;
      break;
    case jobs::JobStatus::kCancelled:
      event.type = EventType::kCancelled;
      break;
  }
  return event;
}

void EventHub::drop_from_job_locked(SubscriberId subscriber, const std::string& job) {
  const auto entry = by_job_.find(job);
  if (entry == by_job_.end()) return;
  entry->second.erase(subscriber);
  if (entry->second.empty()) by_job_.erase(entry);
}

SubscriberId EventHub::add(std::shared_ptr<EventSink> sink) {
  const std::lock_guard lock(mutex_);
  const SubscriberId id = next_id_++;
  subscribers_.emplace(id, Subscriber{.sink = std::move(sink), .all = false, .jobs = {}});
  return id;
}

void EventHub::remove(SubscriberId subscriber) {
  std::shared_ptr<EventSink> released;  // let go outside the lock: its destructor may call back
  {
    const std::lock_guard lock(mutex_);
    const auto found = subscribers_.find(subscriber);
    if (found == subscribers_.end()) return;
    for (const std::string& job : found->second.jobs) {
      drop_from_job_locked(subscriber, job);
    }
    all_.erase(subscriber);
    released = std::move(found->second.sink);
    subscribers_.erase(found);
  }
}

void EventHub::subscribe(SubscriberId subscriber, const std::vector<std::string>& jobs) {
  const std::lock_guard lock(mutex_);
  const auto found = subscribers_.find(subscriber);
  if (found == subscribers_.end()) return;
  for (const std::string& job : jobs) {
    found->second.jobs.insert(job);
    by_job_[job].insert(subscriber);
  }
}

void EventHub::subscribe_all(SubscriberId subscriber) {
  const std::lock_guard lock(mutex_);
  const auto found = subscribers_.find(subscriber);
  if (found == subscribers_.end()) return;
  found->second.all = true;
  all_.insert(subscriber);
}

void EventHub::unsubscribe(SubscriberId subscriber, const std::vector<std::string>& jobs) {
  const std::lock_guard lock(mutex_);
  const auto found = subscribers_.find(subscriber);
  if (found == subscribers_.end()) return;
  for (const std::string& job : jobs) {
    found->second.jobs.erase(job);
    drop_from_job_locked(subscriber, job);
  }
}

void EventHub::unsubscribe_all(SubscriberId subscriber) {
  const std::lock_guard lock(mutex_);
  const auto found = subscribers_.find(subscriber);
  if (found == subscribers_.end()) return;
  for (const std::string& job : found->second.jobs) {
    drop_from_job_locked(subscriber, job);
  }
  found->second.jobs.clear();
  found->second.all = false;
  all_.erase(subscriber);
}

void EventHub::publish(const JobEvent& event) {
  std::vector<std::shared_ptr<EventSink>> sinks;
  {
    const std::lock_guard lock(mutex_);
    // Each subscriber once: those of "*", then those of this job who are not also of "*".
    const auto entry = by_job_.find(event.job);
    sinks.reserve(all_.size() + (entry == by_job_.end() ? 0 : entry->second.size()));
    for (const SubscriberId id : all_) sinks.push_back(subscribers_.at(id).sink);
    if (entry != by_job_.end()) {
      for (const SubscriberId id : entry->second)
        if (!all_.contains(id)) sinks.push_back(subscribers_.at(id).sink);
    }
  }
  if (sinks.empty()) return;
  const auto json = std::make_shared<const std::string>(event.to_json());
  for (const std::shared_ptr<EventSink>& sink : sinks) sink->deliver(event, json);
}

std::size_t EventHub::subscriber_count() const {
  const std::lock_guard lock(mutex_);
  return subscribers_.size();
}

}  // namespace orfeas::service
