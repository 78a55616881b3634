#include "orfeas/jobs/job_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace orfeas::jobs {
namespace {

// "ORJS": marks the file as an ORFEAS job store, so another application's database is refused.
constexpr std::int32_t kApplicationId = 0x4f524a53;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE jobs (
  id            TEXT PRIMARY KEY NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  priority      INTEGER NOT NULL,
  created_ms    INTEGER NOT NULL,
  started_ms    INTEGER,
  finished_ms   INTEGER,
  format        TEXT NOT NULL,
  resolution    INTEGER NOT NULL,
  size_mm       REAL NOT NULL,
  faces         INTEGER NOT NULL,
  backend       TEXT NOT NULL,
  device        TEXT NOT NULL,
  batch_key     TEXT NOT NULL,
  cache_key     TEXT NOT NULL,
  input_sha256  TEXT NOT NULL,
  upload_path   TEXT NOT NULL,
  result_path   TEXT NOT NULL DEFAULT '',
  error_code    TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  retryable     INTEGER NOT NULL DEFAULT 0,
  attempts      INTEGER NOT NULL DEFAULT 0,
  profile_json  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX jobs_queue ON jobs (status, batch_key, priority DESC, created_ms, id);
CREATE INDEX jobs_listing ON jobs (created_ms, id);
CREATE INDEX jobs_cache ON jobs (input_sha256, cache_key, finished_ms) WHERE status = 'completed';
CREATE INDEX jobs_finished ON jobs (finished_ms) WHERE finished_ms IS NOT NULL;
)sql";

// Version 1 → 2: the profile of each run (stage timings as JSON).
constexpr std::string_view kMigrationToV2 = "ALTER TABLE jobs ADD COLUMN profile_json TEXT NOT NULL DEFAULT '';";

#define ORFEAS_JOB_COLUMNS                                                                          \
  "id, status, priority, created_ms, started_ms, finished_ms, format, resolution, size_mm, faces, " \
  "backend, device, input_sha256, upload_path, result_path, error_code, error_message, retryable, attempts"

ErrorCode error_code_of(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return ErrorCode::kCorruptData;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return ErrorCode::kIoError;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kInvalidArgument;
    case SQLITE_NOMEM:
      return ErrorCode::kOutOfMemory;
    default:
      return ErrorCode::kInternal;
  }
}

tl::unexpected<Error> sqlite_error(sqlite3* db, int code, std::string_view what) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return make_error(error_code_of(code), fmt::format("{}: {}", what, message));
}

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

// A prepared statement, prepared once and reused through Use.
class Statement {
 public:
  Statement() = default;
  static Result<Statement> prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    Statement statement;
    statement.handle_.reset(raw);
    if (rc != SQLITE_OK) return sqlite_error(db, rc, fmt::format("while preparing \"{}\"", sql));
    return statement;
  }
  [[nodiscard]] sqlite3_stmt* get() const { return handle_.get(); }

 private:
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> handle_;
};

// One execution of a Statement: binds, steps, reads columns; resets the statement when it goes.
class Use {
 public:
  explicit Use(const Statement& statement) : statement_(statement.get()) {}
  ~Use() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  Use& bind(int index, std::int64_t value) { return check(sqlite3_bind_int64(statement_, index, value)); }
  Use& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Use& bind(int index, double value) { return check(sqlite3_bind_double(statement_, index, value)); }
  Use& bind(int index, std::string_view text) {
    if (text.data() == nullptr) text = "";  // a null pointer would bind SQL NULL, not ''
    return check(sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
  }
  Use& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : check(sqlite3_bind_null(statement_, index));
  }

  // true: a row is available; false: done.
  Result<bool> step() {
    if (bind_error_ != SQLITE_OK) return sqlite_error(sqlite3_db_handle(statement_), bind_error_, "while binding");
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(sqlite3_db_handle(statement_), rc, "while running a statement");
  }
  // Steps to the end, for statements without rows.
  Status run() {
    for (;;) {
      ORFEAS_ASSIGN_OR_RETURN(const bool row, step());
      if (!row) return ok();
    }
  }

  [[nodiscard]] std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  [[nodiscard]] double real(int column) const { return sqlite3_column_double(statement_, column); }
  [[nodiscard]] bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const {
    if (is_null(column)) return std::nullopt;
    return integer(column);
  }
  [[nodiscard]] std::string text(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    const int size = sqlite3_column_bytes(statement_, column);
    if (data == nullptr) return {};
    return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
  }

 private:
  Use& check(int rc) {
    if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
    return *this;
  }

  sqlite3_stmt* statement_;  // borrowed from the Statement
  int bind_error_ = SQLITE_OK;
};

Status execute(sqlite3* db, std::string_view sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return ok();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(error_code_of(rc), std::move(text));
}

Result<std::int64_t> query_integer(sqlite3* db, std::string_view sql) {
  ORFEAS_ASSIGN_OR_RETURN(const Statement statement, Statement::prepare(db, sql));
  Use use(statement);
  ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
  return row ? use.integer(0) : 0;
}

Result<Job> read_job(const Use& use) {
  Job job;
  job.id = use.text(0);
  const std::string status = use.text(1);
  const std::optional<JobStatus> parsed = parse_job_status(status);
  if (!parsed)
    return make_error(ErrorCode::kCorruptData, fmt::format("job {} has unknown status '{}'", job.id, status));
  job.status = *parsed;
  job.priority = static_cast<int>(use.integer(2));
  job.created_ms = use.integer(3);
  job.started_ms = use.optional_integer(4);
  job.finished_ms = use.optional_integer(5);
  job.params.format = use.text(6);
  job.params.resolution = static_cast<int>(use.integer(7));
  job.params.size_mm = use.real(8);
  job.params.faces = use.integer(9);
  job.params.backend = use.text(10);
  job.params.device = use.text(11);
  job.input_sha256 = use.text(12);
  job.upload_path = use.text(13);
  job.result_path = use.text(14);
  job.error_code = use.text(15);
  job.error_message = use.text(16);
  job.retryable = use.integer(17) != 0;
  job.attempts = static_cast<int>(use.integer(18));
  return job;
}

Result<std::vector<Job>> read_jobs(Use& use) {
  std::vector<Job> jobs;
  for (;;) {
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    if (!row) return jobs;
    ORFEAS_ASSIGN_OR_RETURN(Job job, read_job(use));
    jobs.push_back(std::move(job));
  }
}

bool is_lower_hex(std::string_view text, std::size_t size) {
  return text.size() == size &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string PageCursor::to_string() const {
  return fmt::format("{}-{}", created_ms, id);
}

Result<PageCursor> PageCursor::parse(std::string_view text) {
  const auto dash = text.find('-');
  PageCursor cursor;
  if (dash != std::string_view::npos) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + dash, cursor.created_ms);
    cursor.id = std::string(text.substr(dash + 1));
    if (ec == std::errc() && end == text.data() + dash && is_valid_job_id(cursor.id)) return cursor;
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed page cursor '{}'", text));
}

std::int64_t JobCounts::total() const {
  std::int64_t sum = 0;
  for (const std::int64_t count : by_status) sum += count;
  return sum;
}

class JobStore::Impl {
 public:
  Impl(DatabaseHandle db, std::filesystem::path path, JobStoreOptions options)
      : db_(std::move(db)), path_(std::move(path)), options_(std::move(options)) {}

  Status prepare_statements() {
    sqlite3* db = db_.get();
    const std::pair<Statement*, std::string_view> statements[] = {
        {&begin_, "BEGIN IMMEDIATE"},
        {&commit_, "COMMIT"},
        {&rollback_, "ROLLBACK"},
        {&insert_,
         "INSERT INTO jobs (id, status, priority, created_ms, format, resolution, size_mm, faces, backend, device, "
         "batch_key, cache_key, input_sha256, upload_path) VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
         "?10, ?11, ?12, ?13)"},
        {&get_, "SELECT " ORFEAS_JOB_COLUMNS " FROM jobs WHERE id = ?1"},
        {&list_, "SELECT " ORFEAS_JOB_COLUMNS
                 " FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR (created_ms, id) > (?2, ?3)) "
                 "ORDER BY created_ms, id LIMIT ?4"},
        {&first_batch_key_,
         "SELECT batch_key FROM jobs WHERE status = 'queued' ORDER BY priority DESC, created_ms, id LIMIT 1"},
        {&claim_,
         "UPDATE jobs SET status = 'running', started_ms = ?1 WHERE id IN (SELECT id FROM jobs WHERE "
         "status = 'queued' AND batch_key = ?2 ORDER BY priority DESC, created_ms, id LIMIT ?3) "
         "RETURNING " ORFEAS_JOB_COLUMNS},
        {&finish_,
         "UPDATE jobs SET status = ?2, finished_ms = ?3, result_path = ?4, error_code = ?5, "
         "error_message = ?6, retryable = ?7, profile_json = ?8 WHERE id = ?1 AND status = 'running'"},
        {&insert_completed_,
         "INSERT INTO jobs (id, status, priority, created_ms, started_ms, finished_ms, format, resolution, size_mm, "
         "faces, backend, device, batch_key, cache_key, input_sha256, upload_path, result_path, profile_json) "
         "VALUES (?1, 'completed', ?2, ?3, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"},
        {&profile_, "SELECT profile_json FROM jobs WHERE id = ?1"},
        {&queue_head_,
         "SELECT batch_key, format, resolution, size_mm, faces, backend, device, created_ms, "
         "(SELECT COUNT(*) FROM jobs q WHERE q.status = 'queued' AND q.batch_key = j.batch_key) FROM jobs j "
         "WHERE status = 'queued' AND (?4 = 1 OR device IN (?1, ?2, ?3)) ORDER BY priority DESC, created_ms, id "
         "LIMIT 1"},
        {&queue_position_,
         "SELECT COUNT(*) FROM jobs q, jobs j WHERE j.id = ?1 AND j.status = 'queued' AND q.status = 'queued' AND "
         "(q.priority > j.priority OR (q.priority = j.priority AND (q.created_ms, q.id) <= (j.created_ms, j.id)))"},
        {&cancel_,
         "UPDATE jobs SET status = 'cancelled', finished_ms = ?2 WHERE id = ?1 AND status IN ('queued', "
         "'running')"},
        {&requeue_, "UPDATE jobs SET status = 'queued', attempts = attempts + 1 WHERE status = 'running'"},
        {&counts_, "SELECT status, COUNT(*) FROM jobs GROUP BY status"},
        {&find_cached_,
         "SELECT " ORFEAS_JOB_COLUMNS " FROM jobs WHERE input_sha256 = ?1 AND cache_key = ?2 AND status = 'completed' "
         "ORDER BY finished_ms DESC, id LIMIT 1"},
        {&expired_paths_,
         "SELECT upload_path, result_path FROM jobs WHERE status IN ('completed', 'failed', "
         "'cancelled') AND finished_ms < ?1"},
        {&expire_, "DELETE FROM jobs WHERE status IN ('completed', 'failed', 'cancelled') AND finished_ms < ?1"},
    };
    for (const auto& [statement, sql] : statements) {
      ORFEAS_ASSIGN_OR_RETURN(*statement, Statement::prepare(db, sql));
    }
    return ok();
  }

  // BEGIN IMMEDIATE … COMMIT; rolled back unless committed.
  class Transaction {
   public:
    explicit Transaction(Impl& impl) : impl_(impl) {}
    ~Transaction() {
      if (open_ && !committed_) (void)Use(impl_.rollback_).run();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Status begin() {
      ORFEAS_RETURN_IF_ERROR_CTX(Use(impl_.begin_).run(), "while starting a transaction");
      open_ = true;
      return ok();
    }
    Status commit() {
      ORFEAS_RETURN_IF_ERROR_CTX(Use(impl_.commit_).run(), "while committing");
      committed_ = true;
      return ok();
    }

   private:
    Impl& impl_;
    bool open_ = false;
    bool committed_ = false;
  };

  std::int64_t now() const { return options_.clock_ms ? options_.clock_ms() : system_clock_ms(); }

  Result<Job> get_locked(std::string_view id) {
    Use use(get_);
    use.bind(1, id);
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    if (!row) return make_error(ErrorCode::kNotFound, fmt::format("no job {}", id));
    return read_job(use);
  }

  // ?1 … ?13 of both inserts: the request, its keys and the time now.
  void bind_request(Use& use, const JobRequest& request) const {
    const GenerationParams& p = request.params;
    use.bind(1, request.id).bind(2, request.priority).bind(3, now()).bind(4, p.format).bind(5, p.resolution);
    use.bind(6, p.size_mm).bind(7, p.faces).bind(8, p.backend).bind(9, p.device).bind(10, p.batch_key());
    use.bind(11, p.cache_key()).bind(12, request.input_sha256).bind(13, request.upload_path);
  }

  static Status check_request(const JobRequest& request) {
    if (!is_valid_job_id(request.id)) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", request.id));
    }
    if (!is_lower_hex(request.input_sha256, 64)) {
      return make_error(ErrorCode::kInvalidArgument, "input hash is not 64 lowercase hex digits");
    }
    return ok();
  }

  Result<Job> insert_completed(const JobRequest& request, std::string_view result_path, std::string_view profile_json) {
    ORFEAS_RETURN_IF_ERROR(check_request(request));
    std::lock_guard lock(mutex_);
    {
      Use use(insert_completed_);
      bind_request(use, request);
      use.bind(14, result_path).bind(15, profile_json);
      ORFEAS_RETURN_IF_ERROR_CTX(use.run(), fmt::format("while inserting job {}", request.id));
    }
    return get_locked(request.id);
  }

  Result<std::string> profile(std::string_view id) {
    std::lock_guard lock(mutex_);
    Use use(profile_);
    use.bind(1, id);
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    if (!row) return make_error(ErrorCode::kNotFound, fmt::format("no job {}", id));
    return use.text(0);
  }

  Result<std::optional<QueueHead>> queue_head(std::span<const std::string> devices) {
    if (devices.size() > 3) return make_error(ErrorCode::kInvalidArgument, "at most three device names");
    std::lock_guard lock(mutex_);
    Use use(queue_head_);
    for (int i = 0; i < 3; ++i) {
      if (!devices.empty()) use.bind(i + 1, devices[std::min<std::size_t>(i, devices.size() - 1)]);
    }
    use.bind(4, devices.empty() ? 1 : 0);
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    if (!row) return std::optional<QueueHead>();
    QueueHead head;
    head.batch_key = use.text(0);
    head.params = {.format = use.text(1),
                   .resolution = static_cast<int>(use.integer(2)),
                   .size_mm = use.real(3),
                   .faces = use.integer(4),
                   .backend = use.text(5),
                   .device = use.text(6)};
    head.created_ms = use.integer(7);
    head.queued_with_key = use.integer(8);
    return std::optional<QueueHead>(std::move(head));
  }

  Result<std::int64_t> queue_position(std::string_view id) {
    std::lock_guard lock(mutex_);
    Use use(queue_position_);
    use.bind(1, id);
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    return row ? use.integer(0) : 0;
  }

  Result<Job> insert(const JobRequest& request) {
    ORFEAS_RETURN_IF_ERROR(check_request(request));
    std::lock_guard lock(mutex_);
    {
      Use use(insert_);
      bind_request(use, request);
      ORFEAS_RETURN_IF_ERROR_CTX(use.run(), fmt::format("while inserting job {}", request.id));
    }
    return get_locked(request.id);
  }

  Result<Job> get(std::string_view id) {
    std::lock_guard lock(mutex_);
    return get_locked(id);
  }

  Result<JobPage> list(const ListQuery& query) {
    if (query.limit < 1 || query.limit > 1000) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("list limit {} is outside 1..1000", query.limit));
    }
    std::lock_guard lock(mutex_);
    Use use(list_);
    if (query.status) use.bind(1, job_status_name(*query.status));
    if (query.after) use.bind(2, query.after->created_ms).bind(3, query.after->id);
    use.bind(4, query.limit + 1);  // one more tells whether another page follows
    JobPage page;
    ORFEAS_ASSIGN_OR_RETURN(page.jobs, read_jobs(use));
    if (page.jobs.size() > static_cast<std::size_t>(query.limit)) {
      page.jobs.pop_back();
      page.next_cursor = PageCursor{page.jobs.back().created_ms, page.jobs.back().id};
    }
    return page;
  }

  Result<std::vector<Job>> claim_next_batch(std::string_view batch_key, int max_jobs) {
    if (max_jobs < 1) return make_error(ErrorCode::kInvalidArgument, "a batch needs room for one job at least");
    std::lock_guard lock(mutex_);
    Transaction transaction(*this);
    ORFEAS_RETURN_IF_ERROR(transaction.begin());
    std::string key(batch_key);
    if (key.empty()) {
      Use use(first_batch_key_);
      ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
      if (!row) return std::vector<Job>{};
      key = use.text(0);
    }
    std::vector<Job> jobs;
    {
      Use use(claim_);
      use.bind(1, now()).bind(2, key).bind(3, max_jobs);
      ORFEAS_ASSIGN_OR_RETURN(jobs, read_jobs(use));
    }
    ORFEAS_RETURN_IF_ERROR(transaction.commit());
    // RETURNING gives no order: restore the queue's.
    std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
      return a.id < b.id;
    });
    return jobs;
  }

  Status finish(std::string_view id, JobStatus status, std::string_view result_path, const Error* error, bool retryable,
                std::string_view profile_json) {
    std::lock_guard lock(mutex_);
    {
      Use use(finish_);
      use.bind(1, id).bind(2, job_status_name(status)).bind(3, now()).bind(4, result_path);
      use.bind(5, error != nullptr ? error_code_name(error->code()) : std::string_view());
      use.bind(6, error != nullptr ? std::string_view(error->message()) : std::string_view());
      use.bind(7, retryable ? 1 : 0).bind(8, profile_json);
      ORFEAS_RETURN_IF_ERROR_CTX(use.run(), fmt::format("while finishing job {}", id));
    }
    if (sqlite3_changes(db_.get()) == 1) return ok();
    ORFEAS_ASSIGN_OR_RETURN(const Job job, get_locked(id));
    return make_error(ErrorCode::kInvalidArgument, fmt::format("job {} is {}, not running, so it cannot become {}", id,
                                                               job_status_name(job.status), job_status_name(status)));
  }

  Result<Job> cancel(std::string_view id) {
    std::lock_guard lock(mutex_);
    {
      Use use(cancel_);
      use.bind(1, id).bind(2, now());
      ORFEAS_RETURN_IF_ERROR_CTX(use.run(), fmt::format("while cancelling job {}", id));
    }
    return get_locked(id);
  }

  Result<int> requeue_running() {
    std::lock_guard lock(mutex_);
    ORFEAS_RETURN_IF_ERROR_CTX(Use(requeue_).run(), "while requeueing running jobs");
    return sqlite3_changes(db_.get());
  }

  Result<JobCounts> counts() {
    std::lock_guard lock(mutex_);
    Use use(counts_);
    JobCounts counts;
    for (;;) {
      ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
      if (!row) return counts;
      if (const auto status = parse_job_status(use.text(0))) {
        counts.by_status[static_cast<std::size_t>(*status)] = use.integer(1);
      }
    }
  }

  Result<std::optional<Job>> find_completed(std::string_view input_sha256, const GenerationParams& params) {
    std::lock_guard lock(mutex_);
    Use use(find_cached_);
    use.bind(1, input_sha256).bind(2, params.cache_key());
    ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
    if (!row) return std::optional<Job>();
    ORFEAS_ASSIGN_OR_RETURN(Job job, read_job(use));
    return std::optional<Job>(std::move(job));
  }

  Result<std::vector<std::string>> expire(std::int64_t cutoff_ms) {
    std::lock_guard lock(mutex_);
    Transaction transaction(*this);
    ORFEAS_RETURN_IF_ERROR(transaction.begin());
    std::vector<std::string> paths;
    {
      Use use(expired_paths_);
      use.bind(1, cutoff_ms);
      for (;;) {
        ORFEAS_ASSIGN_OR_RETURN(const bool row, use.step());
        if (!row) break;
        for (const int column : {0, 1}) {
          if (std::string path = use.text(column); !path.empty()) paths.push_back(std::move(path));
        }
      }
    }
    {
      Use use(expire_);
      use.bind(1, cutoff_ms);
      ORFEAS_RETURN_IF_ERROR_CTX(use.run(), "while expiring jobs");
    }
    ORFEAS_RETURN_IF_ERROR(transaction.commit());
    return paths;
  }

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::mutex mutex_;
  DatabaseHandle db_;  // declared before the statements, so they are finalised first
  std::filesystem::path path_;
  JobStoreOptions options_;
  Statement begin_, commit_, rollback_, insert_, get_, list_, first_batch_key_, claim_, finish_, cancel_, requeue_,
      counts_, find_cached_, expired_paths_, expire_, insert_completed_, profile_, queue_head_, queue_position_;
};

namespace {

// Checks what the file holds and creates the schema in an empty one; never alters a file it refuses.
Status check_or_create_schema(sqlite3* db, const std::filesystem::path& path) {
  ORFEAS_ASSIGN_OR_RETURN_CTX(const std::int64_t application_id, query_integer(db, "PRAGMA application_id"),
                              "not an SQLite database");
  ORFEAS_ASSIGN_OR_RETURN(const std::int64_t version, query_integer(db, "PRAGMA user_version"));
  ORFEAS_ASSIGN_OR_RETURN(const std::int64_t objects, query_integer(db, "SELECT COUNT(*) FROM sqlite_schema"));
  if (application_id == 0 && version == 0 && objects == 0) {
    ORFEAS_RETURN_IF_ERROR_CTX(execute(db, "PRAGMA journal_mode = WAL"), "while switching to WAL");
    ORFEAS_RETURN_IF_ERROR_CTX(execute(db, fmt::format("BEGIN IMMEDIATE; {} PRAGMA application_id = {}; "
                                                       "PRAGMA user_version = {}; COMMIT;",
                                                       kSchema, kApplicationId, kSchemaVersion)),
                               "while creating the schema");
    return ok();
  }
  if (application_id != kApplicationId) {
    return make_error(ErrorCode::kUnsupportedFormat,
                      fmt::format("{} is an SQLite database of another application (application_id {:#x}), not an "
                                  "ORFEAS job store; refusing to use it",
                                  path.string(), application_id));
  }
  if (version > kSchemaVersion) {
    return make_error(ErrorCode::kUnsupportedFormat,
                      fmt::format("{} has job store schema version {}, newer than this build's {}: run a newer "
                                  "orfeas, or another data directory",
                                  path.string(), version, kSchemaVersion));
  }
  if (version < 1) {
    return make_error(ErrorCode::kCorruptData, fmt::format("{} has no job store schema version", path.string()));
  }
  ORFEAS_RETURN_IF_ERROR_CTX(execute(db, "PRAGMA journal_mode = WAL"), "while switching to WAL");
  if (version < 2) {
    // In one transaction: a crash leaves version 1 as it was, and the next open migrates again.
    ORFEAS_RETURN_IF_ERROR_CTX(
        execute(db, fmt::format("BEGIN IMMEDIATE; {} PRAGMA user_version = 2; COMMIT;", kMigrationToV2)),
        "while migrating the job store schema from version 1 to 2");
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::open(const std::filesystem::path& data_dir, JobStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot create data directory {}: {}", data_dir.string(), ec.message()));
  }
  const std::filesystem::path path = data_dir / kDatabaseFileName;
  const std::string context = "while opening job store " + path.string();
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabaseHandle db(raw);
  if (rc != SQLITE_OK) return tl::unexpected(sqlite_error(db.get(), rc, "cannot open").value().with_context(context));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  ORFEAS_RETURN_IF_ERROR_CTX(check_or_create_schema(db.get(), path), context);
  ORFEAS_RETURN_IF_ERROR_CTX(execute(db.get(), "PRAGMA synchronous = NORMAL"), context);
  auto impl = std::make_unique<Impl>(std::move(db), path, std::move(options));
  ORFEAS_RETURN_IF_ERROR_CTX(impl->prepare_statements(), context);
  return std::unique_ptr<JobStore>(new JobStore(std::move(impl)));
}

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() = default;

const std::filesystem::path& JobStore::database_path() const {
  return impl_->path();
}
Result<Job> JobStore::insert(const JobRequest& request) {
  return impl_->insert(request);
}
Result<Job> JobStore::get(std::string_view id) {
  return impl_->get(id);
}
Result<JobPage> JobStore::list(const ListQuery& query) {
  return impl_->list(query);
}
Result<std::vector<Job>> JobStore::claim_next_batch(std::string_view batch_key, int max_jobs) {
  return impl_->claim_next_batch(batch_key, max_jobs);
}
Status JobStore::mark_completed(std::string_view id, std::string_view result_path, std::string_view profile_json) {
  return impl_->finish(id, JobStatus::kCompleted, result_path, nullptr, false, profile_json);
}
Status JobStore::mark_failed(std::string_view id, const Error& error, bool retryable, std::string_view profile_json) {
  return impl_->finish(id, JobStatus::kFailed, "", &error, retryable, profile_json);
}
Result<Job> JobStore::insert_completed(const JobRequest& request, std::string_view result_path,
                                       std::string_view profile_json) {
  return impl_->insert_completed(request, result_path, profile_json);
}
Result<std::string> JobStore::profile_json(std::string_view id) {
  return impl_->profile(id);
}
Result<std::optional<QueueHead>> JobStore::queue_head(std::span<const std::string> devices) {
  return impl_->queue_head(devices);
}
Result<std::int64_t> JobStore::queue_position(std::string_view id) {
  return impl_->queue_position(id);
}
Result<Job> JobStore::cancel(std::string_view id) {
  return impl_->cancel(id);
}
Result<int> JobStore::requeue_running() {
  return impl_->requeue_running();
}
Result<JobCounts> JobStore::counts() {
  return impl_->counts();
}
Result<std::optional<Job>> JobStore::find_completed_by_cache_key(std::string_view input_sha256,
                                                                 const GenerationParams& params) {
  return impl_->find_completed(input_sha256, params);
}
Result<std::vector<std::string>> JobStore::expire(std::int64_t cutoff_ms) {
  return impl_->expire(cutoff_ms);
}

}  // namespace orfeas::jobs
