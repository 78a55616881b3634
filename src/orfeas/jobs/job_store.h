// JobStore: the durable queue and history of `orfeas serve`, an SQLite database in the data
// directory (<data>/jobs.sqlite3).
//
//   ORFEAS_ASSIGN_OR_RETURN(auto store, jobs::JobStore::open(data_dir));
//   ORFEAS_ASSIGN_OR_RETURN(const int requeued, store->requeue_running());   // at start-up
//   ORFEAS_ASSIGN_OR_RETURN(jobs::Job job, store->insert(request));          // queued
//   ORFEAS_ASSIGN_OR_RETURN(auto batch, store->claim_next_batch("", 8));     // now running
//   ORFEAS_RETURN_IF_ERROR(store->mark_completed(batch[0].id, "results/<id>.glb"));
//
// Durability: WAL journal, synchronous=NORMAL (a committed transaction survives a process crash;
// an OS crash may lose the last ones, never corrupt the file), a busy timeout so a second process
// (a backup, the sqlite3 shell) waits instead of failing. Every change is one transaction.
//
// Schema: PRAGMA application_id marks the file as ours and PRAGMA user_version holds the schema
// version (kSchemaVersion). open() creates the schema in an empty file, migrates an older one in
// one transaction (1 → 2 adds each job's profile), and refuses — never
// rewrites or drops — a file that is not an SQLite database (kCorruptData), an SQLite database of
// another application (kUnsupportedFormat) or one with a newer schema (kUnsupportedFormat).
//
// Ownership: owns one sqlite3 connection and its prepared statements (reused by every call).
// Thread-safety: every method may be called from any thread; one mutex serialises them on the one
// connection (calls are short: no file I/O but the database's). claim_next_batch is atomic across
// threads and, through BEGIN IMMEDIATE, across processes sharing the file: each job is claimed once.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/jobs/job.h"

namespace orfeas::jobs {

inline constexpr int kSchemaVersion = 2;  // 2: profile_json (version 1 files are migrated at open)
inline constexpr std::string_view kDatabaseFileName = "jobs.sqlite3";

struct JobStoreOptions {
  // Unix time in milliseconds; tests pass a fake clock. Default: the system clock.
  std::function<std::int64_t()> clock_ms;
  int busy_timeout_ms = 5000;
};

// What a client submits; the store adds the status (queued), the times and the counters.
struct JobRequest {
  std::string id;  // from new_job_id()
  int priority = 0;
  GenerationParams params;
  std::string input_sha256;
  std::string upload_path;  // relative to the data directory (DataDir::upload_path)
};

// A position in the listing order (created_ms, id), both ascending: the last job of a page.
struct PageCursor {
  std::int64_t created_ms = 0;
  std::string id;

  // "<created_ms>-<id>", opaque to API clients; parse() answers kInvalidArgument for anything else.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] static Result<PageCursor> parse(std::string_view text);
  friend bool operator==(const PageCursor&, const PageCursor&) = default;
};

struct ListQuery {
  std::optional<JobStatus> status;  // all statuses when unset
  int limit = 100;                  // 1..1000
  std::optional<PageCursor> after;  // the previous page's next_cursor
};

struct JobPage {
  std::vector<Job> jobs;
  std::optional<PageCursor> next_cursor;  // set when more jobs may follow
};

// The job that runs next (among those for some devices) and how many queued jobs share its batch key.
struct QueueHead {
  std::string batch_key;
  GenerationParams params;
  std::int64_t created_ms = 0;
  std::int64_t queued_with_key = 0;
};

struct JobCounts {
  std::array<std::int64_t, kJobStatusCount> by_status{};  // indexed by JobStatus
  [[nodiscard]] std::int64_t of(JobStatus status) const { return by_status[static_cast<std::size_t>(status)]; }
  [[nodiscard]] std::int64_t total() const;
};

class JobStore {
 public:
  // Opens or creates <data_dir>/jobs.sqlite3 (creating data_dir if needed). Errors: kIoError (the
  // directory or file cannot be created or opened), kCorruptData, kUnsupportedFormat (see above).
  [[nodiscard]] static Result<std::unique_ptr<JobStore>> open(const std::filesystem::path& data_dir,
                                                              JobStoreOptions options = {});
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  [[nodiscard]] const std::filesystem::path& database_path() const;

  // Adds a queued job created now. kInvalidArgument for a malformed id or hash, or an id in use.
  [[nodiscard]] Result<Job> insert(const JobRequest& request);
  // kNotFound when no job has this id.
  [[nodiscard]] Result<Job> get(std::string_view id);
  // Jobs in (created_ms, id) order after `query.after`; walking the cursors visits each job once.
  [[nodiscard]] Result<JobPage> list(const ListQuery& query);

  // Marks up to `max_jobs` queued jobs with this batch key running (started now) and returns them,
  // highest priority first, then oldest. An empty key takes the key of the job that would run
  // first. Empty when nothing is queued. Atomic: concurrent callers never get the same job.
  [[nodiscard]] Result<std::vector<Job>> claim_next_batch(std::string_view batch_key, int max_jobs);

  // Adds a job already completed now with `result_path` (the content cache's answer).
  [[nodiscard]] Result<Job> insert_completed(const JobRequest& request, std::string_view result_path,
                                             std::string_view profile_json);

  // The queued job that runs next among those whose device preference is one of `devices` (1 to 3
  // names, e.g. {"auto", "cpu"}; empty: any), or nullopt when there is none.
  [[nodiscard]] Result<std::optional<QueueHead>> queue_head(std::span<const std::string> devices);
  // 1 for the job that runs next, … ; 0 when the job is not queued (or unknown).
  [[nodiscard]] Result<std::int64_t> queue_position(std::string_view id);

  // running → completed with its result and the run's profile (JSON text, may be empty). kNotFound
  // for an unknown id; kInvalidArgument when the job is not running (cancelled meanwhile: the
  // caller deletes the result it made).
  [[nodiscard]] Status mark_completed(std::string_view id, std::string_view result_path,
                                      std::string_view profile_json = {});
  // running → failed with the error (its code name and message). Same errors as mark_completed.
  [[nodiscard]] Status mark_failed(std::string_view id, const Error& error, bool retryable,
                                   std::string_view profile_json = {});
  // The profile stored with the job's end ("" when none). kNotFound for an unknown id.
  [[nodiscard]] Result<std::string> profile_json(std::string_view id);
  // queued or running → cancelled; a final job stays as it is. Returns the job as it is afterwards.
  [[nodiscard]] Result<Job> cancel(std::string_view id);

  // Start-up after a crash, or a drain's end: every running job is queued again with attempts + 1.
  // Returns how many.
  [[nodiscard]] Result<int> requeue_running();
  [[nodiscard]] Result<JobCounts> counts();

  // The newest completed job for the same image bytes and the same GenerationParams::cache_key().
  [[nodiscard]] Result<std::optional<Job>> find_completed_by_cache_key(std::string_view input_sha256,
                                                                       const GenerationParams& params);

  // Deletes the final jobs (completed, failed, cancelled) that finished before `cutoff_ms` and
  // returns their upload and result paths (relative to the data directory) for the caller to delete
  // after this returns. Queued and running jobs are never expired.
  [[nodiscard]] Result<std::vector<std::string>> expire(std::int64_t cutoff_ms);

 private:
  class Impl;
  explicit JobStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orfeas::jobs
