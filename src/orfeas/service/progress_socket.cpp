#include "orfeas/service/progress_socket.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/jobs/sha256.h"

namespace orfeas::service {
namespace {

using nlohmann::json;

constexpr std::string_view kHeartbeat = R"({"type":"heartbeat"})";
constexpr std::string_view kPong = R"({"type":"pong"})";

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_frame(std::string_view code, std::string_view message) {
  return dump({{"type", "error"}, {"code", code}, {"message", message}});
}

// Both sides hashed first, so neither the key's length nor where a guess first differs shows in
// the time the comparison takes.
bool keys_equal(std::string_view given, std::string_view expected) {
  const jobs::Sha256Digest a = jobs::sha256(std::as_bytes(std::span(given.data(), given.size())));
  const jobs::Sha256Digest b = jobs::sha256(std::as_bytes(std::span(expected.data(), expected.size())));
  unsigned difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned>(a[i] ^ b[i]);
  return difference == 0;
}

// The token of "Bearer <token>" (scheme case-insensitive, spaces around the token dropped).
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

// The "jobs" of a subscribe/unsubscribe message: "*" or a list of ids.
struct JobSelection {
  bool all = false;
  std::vector<std::string> ids;
};

Result<JobSelection> parse_selection(const json& message) {
  const auto jobs = message.find("jobs");
  if (jobs == message.end())
    return make_error(ErrorCode::kInvalidArgument, "\"jobs\" is missing: a list of ids or \"*\"");
  JobSelection selection;
  if (jobs->is_string() && jobs->get<std::string>() == "*") {
    selection.all = true;
    return selection;
  }
  if (!jobs->is_array()) return make_error(ErrorCode::kInvalidArgument, "\"jobs\" must be a list of job ids or \"*\"");
  for (const json& id : *jobs) {
    if (!id.is_string()) return make_error(ErrorCode::kInvalidArgument, "\"jobs\" must hold job ids (strings)");
    std::string text = id.get<std::string>();
    if (!jobs::is_valid_job_id(text)) {
      return make_error(ErrorCode::kInvalidArgument, "not a job id: \"" + text + "\" (32 lowercase hex digits)");
    }
    if (std::find(selection.ids.begin(), selection.ids.end(), text) == selection.ids.end()) {
      selection.ids.push_back(std::move(text));
    }
  }
  return selection;
}

json selection_json(const JobSelection& selection) {
  return selection.all ? json("*") : json(selection.ids);
}

}  // namespace

bool request_carries_api_key(const serve::Request& request, std::string_view key) {
  if (const std::optional<std::string_view> header = request.headers.get("Authorization")) {
    if (const std::optional<std::string_view> token = bearer_token(*header); token && keys_equal(*token, key)) {
      return true;
    }
  }
  const auto query = request.query.find("api_key");
  return query != request.query.end() && keys_equal(query->second, key);
}

// One open session: what it subscribed to by id, and which of those jobs' final events it has had.
// The hub calls deliver() on the publishing thread; sends happen under the connection's mutex so
// the dedup check and the send are one step (send only queues, it never waits).
class ProgressSocket::Connection final : public EventSink {
 public:
  explicit Connection(std::weak_ptr<serve::WebSocketSession> session) : session_(std::move(session)) {}

  void deliver(const JobEvent& event, const std::shared_ptr<const std::string>& text) override {
    const std::lock_guard lock(mutex_);
    if (by_id_.contains(event.job)) {
      // Nothing after a job's final event, and that event once, whether the hub or the
      // subscription's own lookup got there first.
      if (finals_sent_.contains(event.job)) return;
      if (event.is_final()) finals_sent_.insert(event.job);
    }
    send_locked(text);
  }

  void send(std::string_view text) {
    const std::lock_guard lock(mutex_);
    send_locked(std::make_shared<const std::string>(text));
  }

  [[nodiscard]] std::size_t subscription_count() const {
    const std::lock_guard lock(mutex_);
    return by_id_.size();
  }
  // A subscription starts afresh: a job subscribed again has its final event sent again.
  void add(const std::vector<std::string>& ids) {
    const std::lock_guard lock(mutex_);
    for (const std::string& job : ids) {
      by_id_.insert(job);
      finals_sent_.erase(job);
    }
  }
  void drop(const std::vector<std::string>& ids) {
    const std::lock_guard lock(mutex_);
    for (const std::string& job : ids) {
      by_id_.erase(job);
      finals_sent_.erase(job);
    }
  }
  void drop_all() {
    const std::lock_guard lock(mutex_);
    by_id_.clear();
    finals_sent_.clear();
  }

  SubscriberId id = 0;  // in the service's EventHub

 private:
  // The event's text is shared with every other connection's queue: no copy per connection.
  void send_locked(const std::shared_ptr<const std::string>& text) {
    if (const std::shared_ptr<serve::WebSocketSession> session = session_.lock()) (void)session->send_shared(text);
  }

  mutable std::mutex mutex_;
  std::weak_ptr<serve::WebSocketSession> session_;
  std::set<std::string, std::less<>> by_id_;
  std::set<std::string, std::less<>> finals_sent_;  // a subset of by_id_
};

std::shared_ptr<ProgressSocket> ProgressSocket::create(Service& service, ProgressSocketOptions options) {
  std::shared_ptr<ProgressSocket> socket(new ProgressSocket(service, std::move(options)));
  if (socket->options_.heartbeat_interval.count() > 0) {
    socket->heartbeat_ = std::thread([raw = socket.get()] { raw->heartbeat_loop(); });
  }
  return socket;
}

ProgressSocket::ProgressSocket(Service& service, ProgressSocketOptions options)
    : service_(service), options_(std::move(options)) {}

ProgressSocket::~ProgressSocket() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  // Sessions the server did not close (it closes them all at stop()): off the hub.
  for (const auto& [session, connection] : connections_) service_.events().remove(connection->id);
}

std::optional<serve::Response> ProgressSocket::accept(const serve::Request& request) {
  if (!options_.api_key || request_carries_api_key(request, *options_.api_key)) return std::nullopt;
  serve::Response refusal = serve::json_error(
      401, "unauthorized", "this WebSocket needs the API key: \"Authorization: Bearer <key>\" or \"?api_key=<key>\"");
  refusal.headers.set("WWW-Authenticate", "Bearer");
  return refusal;
}

void ProgressSocket::on_open(const std::shared_ptr<serve::WebSocketSession>& session) {
  auto connection = std::make_shared<Connection>(session);
  connection->id = service_.events().add(connection);
  const std::lock_guard lock(mutex_);
  connections_[session.get()] = std::move(connection);
}

void ProgressSocket::on_close(const std::shared_ptr<serve::WebSocketSession>& session) {
  std::shared_ptr<Connection> connection;
  {
    const std::lock_guard lock(mutex_);
    const auto found = connections_.find(session.get());
    if (found == connections_.end()) return;
    connection = std::move(found->second);
    connections_.erase(found);
  }
  service_.events().remove(connection->id);
}

std::shared_ptr<ProgressSocket::Connection> ProgressSocket::find(const serve::WebSocketSession* session) const {
  const std::lock_guard lock(mutex_);
  const auto found = connections_.find(session);
  return found == connections_.end() ? nullptr : found->second;
}

void ProgressSocket::on_text(const std::shared_ptr<serve::WebSocketSession>& session, std::string_view text) {
  const std::shared_ptr<Connection> connection = find(session.get());
  if (!connection) return;
  const json message = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    return connection->send(error_frame("invalid_argument", "a message is a JSON object with a \"type\""));
  }
  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) {
    return connection->send(error_frame("invalid_argument", "the message has no \"type\""));
  }
  const std::string& kind = type->get_ref<const std::string&>();
  if (kind == "ping") return connection->send(kPong);
  if (kind != "subscribe" && kind != "unsubscribe") {
    return connection->send(
        error_frame("invalid_argument", "unknown message type \"" + kind + "\": subscribe, unsubscribe or ping"));
  }
  Result<JobSelection> selection = parse_selection(message);
  if (!selection) return connection->send(error_frame("invalid_argument", selection.error().message()));
  EventHub& hub = service_.events();

  if (kind == "unsubscribe") {
    if (selection->all) {
      hub.unsubscribe_all(connection->id);
      connection->drop_all();
    } else {
      hub.unsubscribe(connection->id, selection->ids);
      connection->drop(selection->ids);
    }
    return connection->send(dump({{"type", "unsubscribed"}, {"jobs", selection_json(*selection)}}));
  }

  if (selection->all) {
    hub.subscribe_all(connection->id);
    return connection->send(dump({{"type", "subscribed"}, {"jobs", "*"}}));
  }
  if (connection->subscription_count() + selection->ids.size() > options_.max_subscriptions_per_connection) {
    return connection->send(error_frame(
        "limit_exceeded", "at most " + std::to_string(options_.max_subscriptions_per_connection) +
                              " jobs per connection; unsubscribe from finished ones or subscribe to \"*\""));
  }
  // Subscribed before looking: an event published meanwhile is heard, and a job that finished
  // before is found final below. The connection sends each final event once.
  connection->add(selection->ids);
  hub.subscribe(connection->id, selection->ids);
  JobSelection accepted;
  std::vector<JobEvent> finals;
  std::vector<std::string> unknown;
  for (const std::string& id : selection->ids) {
    Result<JobView> view = service_.get(id);
    if (!view) {
      unknown.push_back(id);
      connection->send(error_frame("not_found", "no job " + id + ": " + view.error().message()));
      continue;
    }
    accepted.ids.push_back(id);
    std::optional<JobEvent> final_event = final_event_of(view->job);
    if (!final_event) continue;
    if (final_event->type == EventType::kCompleted) {
      if (Result<std::string> profile = service_.profile_json(id)) final_event->profile_json = std::move(*profile);
    }
    finals.push_back(std::move(*final_event));
  }
  if (!unknown.empty()) {
    hub.unsubscribe(connection->id, unknown);
    connection->drop(unknown);
  }
  connection->send(dump({{"type", "subscribed"}, {"jobs", selection_json(accepted)}}));
  for (const JobEvent& event : finals) connection->deliver(event, std::make_shared<const std::string>(event.to_json()));
}

std::size_t ProgressSocket::connection_count() const {
  const std::lock_guard lock(mutex_);
  return connections_.size();
}

void ProgressSocket::heartbeat_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (stop_requested_.wait_for(lock, options_.heartbeat_interval, [this] { return stopping_; })) return;
    std::vector<std::shared_ptr<Connection>> open;
    open.reserve(connections_.size());
    for (const auto& [session, connection] : connections_) open.push_back(connection);
    lock.unlock();
    for (const std::shared_ptr<Connection>& connection : open) connection->send(kHeartbeat);
    lock.lock();
  }
}

}  // namespace orfeas::service
