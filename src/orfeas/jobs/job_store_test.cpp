#include "orfeas/jobs/job_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/jobs/sha256.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::jobs {
namespace {

// A store on a real file with a clock that advances one millisecond per reading, so every job has
// its own creation time and the order by age is known.
class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open_store(); }

  void open_store() {
    store_.reset();
    JobStoreOptions options;
    options.clock_ms = [this] { return clock_ms_.fetch_add(1); };
    Result<std::unique_ptr<JobStore>> store = JobStore::open(dir_.path(), options);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
  }

  Job insert(int priority = 0, GenerationParams params = {}, std::string_view image = "image") {
    const Result<std::string> id = new_job_id();
    EXPECT_TRUE(id);
    JobRequest request{.id = *id,
                       .priority = priority,
                       .params = std::move(params),
                       .input_sha256 = sha256_hex(image),
                       .upload_path = "uploads/" + *id + ".png"};
    Result<Job> job = store_->insert(request);
    EXPECT_TRUE(job) << job.error().message();
    return *job;
  }

  Job get(std::string_view id) {
    Result<Job> job = store_->get(id);
    EXPECT_TRUE(job) << job.error().message();
    return job.value_or(Job{});
  }

  std::vector<Job> claim(std::string_view key, int n) {
    Result<std::vector<Job>> jobs = store_->claim_next_batch(key, n);
    EXPECT_TRUE(jobs) << jobs.error().message();
    return jobs.value_or(std::vector<Job>{});
  }

  testing::TempDir dir_;
  std::atomic<std::int64_t> clock_ms_{1'700'000'000'000};
  std::unique_ptr<JobStore> store_;
};

GenerationParams params_with(int resolution, std::string format = "stl") {
  GenerationParams params;
  params.resolution = resolution;
  params.format = std::move(format);
  return params;
}

std::vector<std::string> ids_of(const std::vector<Job>& jobs) {
  std::vector<std::string> ids;
  for (const Job& job : jobs) ids.push_back(job.id);
  return ids;
}

TEST_F(JobStoreTest, InsertGetRoundTrip) {
  GenerationParams params{
      .format = "glb", .resolution = 192, .size_mm = 42.5, .faces = 5000, .backend = "inflate", .device = "cuda:1"};
  const Job inserted = insert(7, params);
  EXPECT_EQ(inserted.status, JobStatus::kQueued);
  EXPECT_EQ(inserted.priority, 7);
  EXPECT_EQ(inserted.params, params);
  EXPECT_GT(inserted.created_ms, 0);
  EXPECT_EQ(inserted.started_ms, std::nullopt);
  EXPECT_EQ(inserted.attempts, 0);
  EXPECT_EQ(get(inserted.id), inserted);
  EXPECT_EQ(store_->database_path(), dir_.path() / "jobs.sqlite3");

  open_store();  // durable across connections
  EXPECT_EQ(get(inserted.id), inserted);
}

TEST_F(JobStoreTest, InsertRejectsBadInput) {
  const Job job = insert();
  JobRequest request;
  request.id = job.id;
  request.input_sha256 = job.input_sha256;
  request.upload_path = job.upload_path;
  EXPECT_EQ(store_->insert(request).error().code(), ErrorCode::kInvalidArgument) << "id in use";
  request.id = "not-an-id";
  EXPECT_EQ(store_->insert(request).error().code(), ErrorCode::kInvalidArgument);
  request.id = *new_job_id();
  request.input_sha256 = "abc";
  EXPECT_EQ(store_->insert(request).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->get("0123456789abcdef0123456789abcdef").error().code(), ErrorCode::kNotFound);
}

TEST_F(JobStoreTest, ClaimsByPriorityThenAge) {
  const Job old_low = insert(0);
  const Job high = insert(5);
  const Job new_low = insert(0);
  const Job old_high = get(high.id);
  const Job newest_high = insert(5);
  const std::vector<Job> batch = claim("", 3);
  EXPECT_EQ(ids_of(batch), (std::vector<std::string>{old_high.id, newest_high.id, old_low.id}));
  for (const Job& job : batch) {
    EXPECT_EQ(job.status, JobStatus::kRunning);
    ASSERT_TRUE(job.started_ms);
    EXPECT_EQ(get(job.id), job);
  }
  EXPECT_EQ(ids_of(claim("", 3)), std::vector<std::string>{new_low.id});
  EXPECT_TRUE(claim("", 3).empty());
  EXPECT_EQ(store_->claim_next_batch("", 0).error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(JobStoreTest, ClaimsOnlyCompatibleJobs) {
  const Job a128 = insert(0, params_with(128));
  const Job b256 = insert(9, params_with(256));
  const Job c128 = insert(0, params_with(128, "glb"));
  // An empty key follows the first job in line: the 256 one, alone in its batch.
  EXPECT_EQ(ids_of(claim("", 8)), std::vector<std::string>{b256.id});
  EXPECT_TRUE(claim(b256.params.batch_key(), 8).empty());
  EXPECT_EQ(ids_of(claim(a128.params.batch_key(), 8)), (std::vector<std::string>{a128.id, c128.id}));
}

TEST_F(JobStoreTest, ConcurrentClaimsTakeEachJobOnce) {
  constexpr int kJobs = 400;
  std::set<std::string> all;
  for (int i = 0; i < kJobs; ++i) all.insert(insert(i % 3).id);
  std::vector<std::vector<std::string>> claimed(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < claimed.size(); ++t) {
    threads.emplace_back([this, t, &claimed] {
      for (;;) {
        Result<std::vector<Job>> batch = store_->claim_next_batch("", 3);
        if (!batch || batch->empty()) return;
        for (const Job& job : *batch) claimed[t].push_back(job.id);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::multiset<std::string> seen;
  for (const auto& ids : claimed) seen.insert(ids.begin(), ids.end());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);
  EXPECT_EQ(store_->counts()->of(JobStatus::kRunning), kJobs);
}

TEST_F(JobStoreTest, ConcurrentClaimsFromTwoConnections) {
  // Two stores on one file stand for two processes: BEGIN IMMEDIATE keeps claims exclusive.
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) insert();
  Result<std::unique_ptr<JobStore>> other = JobStore::open(dir_.path());
  ASSERT_TRUE(other) << other.error().message();
  std::vector<std::string> first, second;
  auto drain = [](JobStore& store, std::vector<std::string>& ids) {
    for (;;) {
      Result<std::vector<Job>> batch = store.claim_next_batch("", 2);
      ASSERT_TRUE(batch) << batch.error().message();
      if (batch->empty()) return;
      for (const Job& job : *batch) ids.push_back(job.id);
    }
  };
  std::thread a([&] { drain(*store_, first); });
  std::thread b([&] { drain(**other, second); });
  a.join();
  b.join();
  std::set<std::string> unique(first.begin(), first.end());
  unique.insert(second.begin(), second.end());
  EXPECT_EQ(first.size() + second.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kJobs));
}

TEST_F(JobStoreTest, CompleteAndFail) {
  const Job a = insert();
  const Job b = insert();
  EXPECT_EQ(store_->mark_completed(a.id, "results/x.stl").error().code(), ErrorCode::kInvalidArgument)
      << "a queued job cannot complete";
  ASSERT_EQ(claim("", 2).size(), 2U);
  ASSERT_TRUE(store_->mark_completed(a.id, "results/" + a.id + ".stl"));
  ASSERT_TRUE(store_->mark_failed(b.id, Error(ErrorCode::kOutOfMemory, "volume too large"), true));
  const Job done = get(a.id);
  EXPECT_EQ(done.status, JobStatus::kCompleted);
  EXPECT_EQ(done.result_path, "results/" + a.id + ".stl");
  EXPECT_TRUE(done.finished_ms);
  const Job failed = get(b.id);
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.error_code, "out of memory");
  EXPECT_EQ(failed.error_message, "volume too large");
  EXPECT_TRUE(failed.retryable);
  EXPECT_EQ(store_->mark_failed(a.id, Error(ErrorCode::kInternal, "late"), false).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->mark_completed("0123456789abcdef0123456789abcdef", "x").error().code(), ErrorCode::kNotFound);
}

TEST_F(JobStoreTest, CancelRules) {
  const Job queued = insert();
  const Job running = insert();
  const Job completed = insert();
  const Job failed = insert();
  ASSERT_EQ(claim("", 1).front().id, queued.id);
  // claim the other three, then finish two of them
  ASSERT_EQ(claim("", 3).size(), 3U);
  ASSERT_TRUE(store_->mark_completed(completed.id, "results/r.stl"));
  ASSERT_TRUE(store_->mark_failed(failed.id, Error(ErrorCode::kNoForeground, "empty"), false));
  const Job fresh = insert();

  const Result<Job> cancelled_queued = store_->cancel(fresh.id);
  ASSERT_TRUE(cancelled_queued);
  EXPECT_EQ(cancelled_queued->status, JobStatus::kCancelled);
  EXPECT_TRUE(cancelled_queued->finished_ms);
  EXPECT_EQ(store_->cancel(running.id)->status, JobStatus::kCancelled);
  EXPECT_EQ(store_->cancel(completed.id)->status, JobStatus::kCompleted);
  EXPECT_EQ(store_->cancel(failed.id)->status, JobStatus::kFailed);
  EXPECT_EQ(store_->cancel(fresh.id)->status, JobStatus::kCancelled);
  EXPECT_EQ(store_->cancel("0123456789abcdef0123456789abcdef").error().code(), ErrorCode::kNotFound);
  // The worker of a cancelled job learns it when it reports.
  EXPECT_EQ(store_->mark_completed(running.id, "results/late.stl").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(get(running.id).status, JobStatus::kCancelled);
  EXPECT_TRUE(claim("", 8).empty()) << "a cancelled job is never claimed";
}

TEST_F(JobStoreTest, RequeueAfterCrash) {
  const Job a = insert();
  const Job b = insert();
  const Job c = insert();
  ASSERT_EQ(claim("", 2).size(), 2U);
  ASSERT_TRUE(store_->mark_completed(a.id, "results/a.stl"));
  open_store();  // the process died with b running
  const Result<int> requeued = store_->requeue_running();
  ASSERT_TRUE(requeued) << requeued.error().message();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(get(a.id).status, JobStatus::kCompleted);
  EXPECT_EQ(get(a.id).attempts, 0);
  EXPECT_EQ(get(b.id).status, JobStatus::kQueued);
  EXPECT_EQ(get(b.id).attempts, 1);
  EXPECT_EQ(ids_of(claim("", 8)), (std::vector<std::string>{b.id, c.id}));
  EXPECT_EQ(*store_->requeue_running(), 2);
  EXPECT_EQ(get(b.id).attempts, 2);
}

TEST_F(JobStoreTest, PaginationVisitsEveryJobOnce) {
  std::vector<std::string> inserted;
  for (int i = 0; i < 53; ++i) inserted.push_back(insert().id);
  for (int i = 0; i < 53; i += 4) ASSERT_TRUE(store_->cancel(inserted[i]));
  std::vector<std::string> seen;
  ListQuery query;
  query.limit = 10;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 10);
    const Result<JobPage> page = store_->list(query);
    ASSERT_TRUE(page) << page.error().message();
    for (const Job& job : page->jobs) seen.push_back(job.id);
    if (!page->next_cursor) break;
    // The cursor survives a round trip through its text form, as an API client would send it.
    const Result<PageCursor> cursor = PageCursor::parse(page->next_cursor->to_string());
    ASSERT_TRUE(cursor);
    EXPECT_EQ(*cursor, *page->next_cursor);
    query.after = *cursor;
  }
  EXPECT_EQ(seen, inserted);  // creation order, each once

  query = ListQuery();
  query.status = JobStatus::kCancelled;
  query.limit = 5;
  std::size_t cancelled = 0;
  for (;;) {
    const Result<JobPage> page = store_->list(query);
    ASSERT_TRUE(page);
    for (const Job& job : page->jobs) EXPECT_EQ(job.status, JobStatus::kCancelled);
    cancelled += page->jobs.size();
    if (!page->next_cursor) break;
    query.after = page->next_cursor;
  }
  EXPECT_EQ(cancelled, 14U);
  query.limit = 0;
  EXPECT_EQ(store_->list(query).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(PageCursor::parse("12-nothex"));
  EXPECT_FALSE(PageCursor::parse("x-0123456789abcdef0123456789abcdef"));
}

TEST_F(JobStoreTest, Counts) {
  insert();
  insert();
  const Job c = insert();
  ASSERT_TRUE(store_->cancel(c.id));
  const Result<JobCounts> counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->of(JobStatus::kQueued), 2);
  EXPECT_EQ(counts->of(JobStatus::kCancelled), 1);
  EXPECT_EQ(counts->of(JobStatus::kRunning), 0);
  EXPECT_EQ(counts->total(), 3);
}

TEST_F(JobStoreTest, CacheLookup) {
  const GenerationParams params = params_with(128, "glb");
  const Job first = insert(0, params, "image one");
  const Job other_image = insert(0, params, "image two");
  EXPECT_EQ(*store_->find_completed_by_cache_key(first.input_sha256, params), std::nullopt) << "not completed yet";
  ASSERT_EQ(claim("", 8).size(), 2U);
  ASSERT_TRUE(store_->mark_completed(first.id, "results/" + first.id + ".glb"));
  ASSERT_TRUE(store_->mark_failed(other_image.id, Error(ErrorCode::kNoForeground, "empty"), false));

  const Result<std::optional<Job>> hit = store_->find_completed_by_cache_key(sha256_hex("image one"), params);
  ASSERT_TRUE(hit);
  ASSERT_TRUE(*hit);
  EXPECT_EQ((*hit)->id, first.id);
  GenerationParams other_device = params;
  other_device.device = "cpu";
  EXPECT_TRUE(*store_->find_completed_by_cache_key(first.input_sha256, other_device));
  GenerationParams other_size = params;
  other_size.size_mm = 50;
  EXPECT_EQ(*store_->find_completed_by_cache_key(first.input_sha256, other_size), std::nullopt);
  EXPECT_EQ(*store_->find_completed_by_cache_key(other_image.input_sha256, params), std::nullopt) << "failed";
}

TEST_F(JobStoreTest, ExpireRemovesOnlyOldFinishedJobs) {
  const Job completed = insert();
  const Job failed = insert();
  const Job running = insert();
  ASSERT_EQ(claim("", 3).size(), 3U);
  ASSERT_TRUE(store_->mark_completed(completed.id, "results/" + completed.id + ".stl"));
  ASSERT_TRUE(store_->mark_failed(failed.id, Error(ErrorCode::kCorruptData, "bad png"), false));
  const Job queued = insert();
  const std::int64_t cutoff = clock_ms_.load();
  clock_ms_ += 1000;
  const Job late = insert();
  ASSERT_TRUE(store_->cancel(late.id));  // finished after the cutoff

  const Result<std::vector<std::string>> paths = store_->expire(cutoff);
  ASSERT_TRUE(paths) << paths.error().message();
  std::vector<std::string> sorted = *paths;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> expected = {completed.upload_path, "results/" + completed.id + ".stl", failed.upload_path};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted, expected);
  EXPECT_EQ(store_->get(completed.id).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->get(failed.id).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(get(running.id).status, JobStatus::kRunning);
  EXPECT_EQ(get(queued.id).status, JobStatus::kQueued);
  EXPECT_EQ(get(late.id).status, JobStatus::kCancelled);
  EXPECT_TRUE(store_->expire(cutoff)->empty());
}

TEST(JobStoreOpenTest, CorruptFileIsRefusedAndKept) {
  const testing::TempDir dir;
  const std::string garbage(4096, 'x');
  testing::write_text(dir.file("jobs.sqlite3"), garbage);
  const Result<std::unique_ptr<JobStore>> store = JobStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kCorruptData);
  EXPECT_NE(store.error().message().find("not an SQLite database"), std::string::npos) << store.error().message();
  EXPECT_EQ(testing::read_text(dir.file("jobs.sqlite3")), garbage);
}

// Sets a PRAGMA in a database file through SQLite directly, as another program would.
void write_pragma(const std::filesystem::path& path, const std::string& pragma) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(JobStoreOpenTest, NewerSchemaIsRefusedAndKept) {
  const testing::TempDir dir;
  std::string id;
  {
    const Result<std::unique_ptr<JobStore>> store = JobStore::open(dir.path());
    ASSERT_TRUE(store) << store.error().message();
    id = *new_job_id();
    JobRequest request;
    request.id = id;
    request.input_sha256 = sha256_hex("");
    request.upload_path = "u";
    ASSERT_TRUE((*store)->insert(request));
  }
  write_pragma(dir.file("jobs.sqlite3"), "PRAGMA user_version = 3");
  const Result<std::unique_ptr<JobStore>> newer = JobStore::open(dir.path());
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code(), ErrorCode::kUnsupportedFormat);
  EXPECT_NE(newer.error().message().find("schema version 3"), std::string::npos) << newer.error().message();

  write_pragma(dir.file("jobs.sqlite3"), "PRAGMA user_version = 2");
  const Result<std::unique_ptr<JobStore>> again = JobStore::open(dir.path());
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE((*again)->get(id)) << "the refused file was left as it was";
}

TEST_F(JobStoreTest, QueueHeadAndPositionsFollowTheClaimOrder) {
  const Job low = insert(-5, {.resolution = 32});
  const Job high = insert(10, {.resolution = 64, .device = "cpu"});
  const Job same_key = insert(0, {.resolution = 64, .device = "cpu"});
  EXPECT_EQ(*store_->queue_position(high.id), 1);
  EXPECT_EQ(*store_->queue_position(same_key.id), 2);
  EXPECT_EQ(*store_->queue_position(low.id), 3);

  const std::vector<std::string> cpu = {"auto", "cpu"};
  const auto head = store_->queue_head(cpu);
  ASSERT_TRUE(head && head->has_value());
  EXPECT_EQ((*head)->batch_key, high.params.batch_key());
  EXPECT_EQ((*head)->params, high.params);
  EXPECT_EQ((*head)->queued_with_key, 2);
  EXPECT_EQ((*head)->created_ms, high.created_ms);

  // A worker of another device passes over the jobs for the CPU.
  const std::vector<std::string> cuda = {"auto", "cuda", "cuda:0"};
  const auto cuda_head = store_->queue_head(cuda);
  ASSERT_TRUE(cuda_head && cuda_head->has_value());
  EXPECT_EQ((*cuda_head)->batch_key, low.params.batch_key());
  EXPECT_EQ((*cuda_head)->queued_with_key, 1);

  ASSERT_EQ(claim((*head)->batch_key, 8).size(), 2U);
  EXPECT_EQ(*store_->queue_position(high.id), 0) << "running";
  EXPECT_EQ(*store_->queue_position(low.id), 1);
  EXPECT_FALSE(store_->queue_head(cpu)->has_value() && (*store_->queue_head(cpu))->batch_key != low.params.batch_key());
  ASSERT_EQ(claim("", 8).size(), 1U);
  EXPECT_FALSE(store_->queue_head(std::vector<std::string>{})->has_value());
}

TEST_F(JobStoreTest, ProfileIsStoredWithTheEndOfARun) {
  const Job job = insert();
  EXPECT_EQ(*store_->profile_json(job.id), "");
  ASSERT_EQ(claim("", 1).size(), 1U);
  ASSERT_TRUE(store_->mark_completed(job.id, "results/" + job.id + ".stl", R"({"total_s":1})"));
  EXPECT_EQ(*store_->profile_json(job.id), R"({"total_s":1})");
  EXPECT_EQ(store_->profile_json("0123456789abcdef0123456789abcdef").error().code(), ErrorCode::kNotFound);
}

TEST_F(JobStoreTest, InsertCompletedAddsAFinishedJobTheCacheFinds) {
  const Result<std::string> id = new_job_id();
  ASSERT_TRUE(id);
  const JobRequest request{.id = *id,
                           .priority = 3,
                           .params = {.format = "glb"},
                           .input_sha256 = sha256_hex("bytes"),
                           .upload_path = "uploads/" + *id + ".png"};
  const Result<Job> job = store_->insert_completed(request, "results/" + *id + ".glb", R"({"stages":[]})");
  ASSERT_TRUE(job) << job.error().message();
  EXPECT_EQ(job->status, JobStatus::kCompleted);
  EXPECT_EQ(job->result_path, "results/" + *id + ".glb");
  ASSERT_TRUE(job->finished_ms.has_value());
  EXPECT_EQ(*store_->profile_json(*id), R"({"stages":[]})");
  const auto found = store_->find_completed_by_cache_key(sha256_hex("bytes"), request.params);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->id, *id);
}

TEST(JobStoreOpenTest, VersionOneFileIsMigratedKeepingItsJobs) {
  const testing::TempDir dir;
  const std::string id(32, 'a');
  {
    // The version 1 schema, as the first release wrote it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("jobs.sqlite3").c_str(), &db), SQLITE_OK);
    const std::string sql = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL, status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed',
  'cancelled')), priority INTEGER NOT NULL, created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER,
  format TEXT NOT NULL, resolution INTEGER NOT NULL, size_mm REAL NOT NULL, faces INTEGER NOT NULL,
  backend TEXT NOT NULL, device TEXT NOT NULL, batch_key TEXT NOT NULL, cache_key TEXT NOT NULL,
  input_sha256 TEXT NOT NULL, upload_path TEXT NOT NULL, result_path TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '', retryable INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE INDEX jobs_queue ON jobs (status, batch_key, priority DESC, created_ms, id);
INSERT INTO jobs (id, status, priority, created_ms, format, resolution, size_mm, faces, backend, device, batch_key,
  cache_key, input_sha256, upload_path) VALUES (')sql" +
                            id + R"sql(', 'queued', 0, 5, 'stl', 128, 100.0, 0, 'inflate',
  'auto', 'inflate/r128/auto', 'inflate/r128/f0/s100000um/stl', ')sql" +
                            std::string(64, 'b') + R"sql(',
  'uploads/)sql" + id + R"sql(.png');
PRAGMA application_id = 1330793043;
PRAGMA user_version = 1;)sql";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  for (int open = 0; open < 2; ++open) {  // migrated once, then opened as version 2
    const Result<std::unique_ptr<JobStore>> store = JobStore::open(dir.path());
    ASSERT_TRUE(store) << store.error().message();
    const Result<Job> job = (*store)->get(id);
    ASSERT_TRUE(job) << job.error().message();
    EXPECT_EQ(job->created_ms, 5);
    EXPECT_EQ(*(*store)->profile_json(id), "");
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("jobs.sqlite3").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), kSchemaVersion);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST(JobStoreOpenTest, ForeignDatabaseIsRefused) {
  const testing::TempDir dir;
  write_pragma(dir.file("jobs.sqlite3"), "CREATE TABLE notes (text TEXT)");
  const Result<std::unique_ptr<JobStore>> store = JobStore::open(dir.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kUnsupportedFormat);
  EXPECT_NE(store.error().message().find("another application"), std::string::npos) << store.error().message();
}

}  // namespace
}  // namespace orfeas::jobs
