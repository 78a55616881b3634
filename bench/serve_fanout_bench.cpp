// WebSocket fan-out of a running `orfeas serve`: how long after an event is triggered each of N
// subscribers has it.
//
//   build/release/bin/orfeas_serve_fanout_bench --port 8080 [--subscribers 1000] [--events 100]
//       [--trigger cancel|cache] [--blockers 20] [--blocker-resolution 512] [--image examples/duck.png]
//       [--client-threads 1]
//
// N WebSocket connections to /api/ws each send {"type":"subscribe","jobs":"*"}; the bench waits for
// every acknowledgement. The server puts no timestamp in its events, so the clock starts in this
// process just before the request that publishes one:
//   --trigger cancel: a DELETE of a queued job, which publishes `cancelled` at once. --blockers jobs
//     at priority 100 and --blocker-resolution keep the worker busy (their progress events reach
//     every subscriber meanwhile, as a busy server's would); the measured jobs wait behind them at
//     priority -100 (each with its own size_mm, so the content cache answers none). A job no longer
//     queued when its turn comes is skipped.
//   --trigger cache: one job is computed first; then each POST of the same image and settings is a
//     content-cache hit, a new job completed at once, which publishes `completed` (worker idle). The
//     request itself decodes and hashes the image, so its round trip is printed too.
// The first event is a warm-up that proves every subscription live; then per event the bench waits
// until every subscriber has it (or 2 s).
//
// Printed, over events × subscribers: p50 / p90 / p99 / max of
//   - latency: request sent → event read by the subscriber (the request, the publish, the fan-out
//     and this process's own reading, on the same machine);
//   - publish: the event's own `time` (when the server serialised it, Unix time) → read by the
//     subscriber, by the system clock, which the two processes share on one machine: the fan-out
//     and this process's reading, without the request before it;
//   - spread: the event's first subscriber's receipt → this subscriber's (the fan-out alone);
// and the trigger request's round trip. Received messages are read by --client-threads threads that
// share the machine with the server, so on a small machine the client's own reading is part of what
// is measured. No assertions: results go to docs/benchmarks.md.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "bench_support.h"

namespace {

using namespace orfeas::bench;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One subscriber's reading of an event.
struct Receipt {
  Clock::time_point at;
  double since_publish_ms = 0.0;  // from the event's `time`, by the system clock
};

// What the readers fill in: when each subscriber read the measured event of each job.
class Receipts {
 public:
  void received(const std::string& job, Receipt receipt) {
    const std::lock_guard lock(mutex_);
    events_[job].push_back(receipt);  // may come before the trigger's request has returned the job's id
  }
  [[nodiscard]] std::size_t count(const std::string& job) const {
    const std::lock_guard lock(mutex_);
    const auto found = events_.find(job);
    return found == events_.end() ? 0 : found->second.size();
  }
  [[nodiscard]] std::vector<Receipt> take(const std::string& job) {
    const std::lock_guard lock(mutex_);
    std::vector<Receipt> receipts = std::move(events_[job]);
    events_.erase(job);
    return receipts;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Receipt>> events_;
};

// The event's "time" (Unix seconds), or 0 when it has none.
double time_of_event(std::string_view message) {
  constexpr std::string_view kKey = R"("time":)";
  const std::size_t at = message.find(kKey);
  if (at == std::string_view::npos) return 0.0;
  return std::strtod(std::string(message.substr(at + kKey.size(), 32)).c_str(), nullptr);
}

// The job id of an event of `type`, read without a JSON parser (the reader is on the measured path).
std::optional<std::string> job_of_event(std::string_view message, std::string_view type) {
  if (message.find(fmt::format(R"("type":"{}")", type)) == std::string_view::npos) return std::nullopt;
  constexpr std::string_view kKey = R"("job":")";
  const std::size_t at = message.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t start = at + kKey.size();
  const std::size_t end = message.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(message.substr(start, end - start));
}

// One subscriber: a WebSocket connection subscribed to every job, reading until closed.
class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(asio::io_context& io, std::string event_type, Receipts& receipts, std::atomic<int>& acknowledged)
      : ws_(io), event_type_(std::move(event_type)), receipts_(receipts), acknowledged_(acknowledged) {}

  void connect(const tcp::resolver::results_type& endpoints, const std::string& host) {
    asio::connect(ws_.next_layer(), endpoints);
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.handshake(host, "/api/ws");
    ws_.text(true);
    ws_.write(asio::buffer(std::string(R"({"type":"subscribe","jobs":"*"})")));
  }
  void start() { read(); }
  void close() {
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }
  [[nodiscard]] bool closed() const { return closed_.load(); }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      const Clock::time_point now = Clock::now();
      const double wall_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      if (error) {
        self->closed_.store(true);
        return;
      }
      const auto data = self->buffer_.cdata();
      const std::string_view message(static_cast<const char*>(data.data()), data.size());
      if (const std::optional<std::string> job = job_of_event(message, self->event_type_)) {
        self->receipts_.received(*job, Receipt{now, (wall_s - time_of_event(message)) * 1e3});
      } else if (message.find(R"("type":"subscribed")") != std::string_view::npos) {
        self->acknowledged_.fetch_add(1);
      }
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  std::string event_type_;          // the measured one
  Receipts& receipts_;              // borrowed: outlives the io_context's run
  std::atomic<int>& acknowledged_;  // borrowed: subscriptions the server has acknowledged
  std::atomic<bool> closed_{false};
};

// A keep-alive HTTP/1.1 connection for the requests that trigger events.
class HttpClient {
 public:
  HttpClient(asio::io_context& io, const tcp::resolver::results_type& endpoints, std::string host)
      : stream_(io), host_(std::move(host)) {
    asio::connect(stream_, endpoints);
    stream_.set_option(tcp::no_delay(true));
  }

  std::pair<int, std::string> request(http::verb verb, const std::string& target, std::string body = {},
                                      const std::string& content_type = {}) {
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, host_);
    if (!content_type.empty()) request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream_, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream_, buffer, response);
    return {static_cast<int>(response.result_int()), std::move(response.body())};
  }

 private:
  tcp::socket stream_;
  std::string host_;
};

void raise_fd_limit(std::size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) die("getrlimit failed");
  if (limit.rlim_cur >= needed) return;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) limit.rlim_max = needed;  // root may raise it
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    die(fmt::format("cannot raise the open-file limit to {} (ulimit -n; run as root or raise the hard limit)", needed));
  }
}

// Nearest-rank percentile of sorted samples, p in [0, 100].
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void print_distribution(const std::string& name, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  fmt::print("{}: p50 {:.3f} ms, p90 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms ({} samples)\n", name, percentile(ms, 50),
             percentile(ms, 90), percentile(ms, 99), ms.empty() ? 0.0 : ms.back(), ms.size());
}

std::string submit(HttpClient& client, const std::string& image, const std::string& query) {
  const auto [status, body] = client.request(http::verb::post, "/api/jobs?" + query, image, "image/png");
  if (status != 202 && status != 200 && status != 201) die(fmt::format("POST /api/jobs answered {}: {}", status, body));
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  if (!answer.is_object() || !answer.contains("id")) die("POST /api/jobs answered no id: " + body);
  return answer["id"].get<std::string>();
}

std::string status_of(HttpClient& client, const std::string& job) {
  const auto [status, body] = client.request(http::verb::get, "/api/jobs/" + job);
  if (status != 200) die(fmt::format("GET /api/jobs/{} answered {}: {}", job, status, body));
  const nlohmann::json answer = nlohmann::json::parse(body, nullptr, false);
  return answer.is_object() && answer.contains("status") ? answer["status"].get<std::string>() : "?";
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8080;
  int subscribers = 1000;
  int events = 100;
  int client_threads = 1;
  int blockers = 20;
  int blocker_resolution = 512;
  std::string trigger = "cancel";
  std::filesystem::path image_path = std::filesystem::path(ORFEAS_SOURCE_DIR) / "examples/duck.png";
  CLI::App app{"Event latency of a running orfeas serve's WebSocket fan-out to N subscribers",
               "orfeas_serve_fanout_bench"};
  app.add_option("--host", host, "Server address")->capture_default_str();
  app.add_option("--port", port, "Server port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("--subscribers", subscribers, "WebSocket connections, each subscribed to every job")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_option("--trigger", trigger,
                 "cancel: DELETE a queued job behind busy workers; cache: POST an image already done (idle worker)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cancel", "cache"}));
  app.add_option("--events", events, "Measured events")->capture_default_str()->check(at_least(1));
  app.add_option("--client-threads", client_threads, "Threads reading the subscribers' sockets")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_option("--blockers", blockers, "Jobs at priority 100 that keep the worker busy while events are measured")
      ->capture_default_str()
      ->check(at_least(1));
  app.add_option("--blocker-resolution", blocker_resolution, "Their grid resolution (slower as it grows)")
      ->capture_default_str()
      ->check(CLI::Range(8, 1024));
  app.add_option("--image", image_path, "Image the jobs are made of (PNG)")->capture_default_str();
  parse_or_exit(app, argc, argv);

  raise_fd_limit(static_cast<std::size_t>(subscribers) + 64);
  const std::string event_type = trigger == "cancel" ? "cancelled" : "completed";
  std::ifstream image_file(image_path, std::ios::binary);
  const std::string image((std::istreambuf_iterator<char>(image_file)), std::istreambuf_iterator<char>());
  if (image.empty()) die("cannot read " + image_path.string());

  asio::io_context io;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, std::to_string(port));
  Receipts receipts;
  std::atomic<int> acknowledged{0};
  std::vector<std::shared_ptr<Subscriber>> subs;
  const double connect_ms = time_ms([&] {
    for (int i = 0; i < subscribers; ++i) {
      auto sub = std::make_shared<Subscriber>(io, event_type, receipts, acknowledged);
      try {
        sub->connect(endpoints, host);
      } catch (const std::exception& e) {
        die(fmt::format("subscriber {}: {}", i, e.what()));
      }
      subs.push_back(std::move(sub));
    }
  });
  for (const auto& sub : subs) sub->start();
  auto guard = asio::make_work_guard(io);
  std::vector<std::thread> readers;
  for (int i = 0; i < client_threads; ++i) readers.emplace_back([&io] { io.run(); });

  const Clock::time_point ack_deadline = Clock::now() + std::chrono::seconds(30);
  while (acknowledged.load() < subscribers && Clock::now() < ack_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (acknowledged.load() < subscribers) {
    die(fmt::format("{} of {} subscriptions acknowledged", acknowledged.load(), subscribers));
  }
  fmt::print("subscribers: {} connected in {:.0f} ms and acknowledged, {} reader thread(s)\n", subscribers, connect_ms,
             client_threads);
  asio::io_context http_io;
  HttpClient client(http_io, endpoints, host);

  // Each trigger publishes one event (`event_type`) for `job`; `sent` is taken just before its request.
  struct Trigger {
    std::string job;
    Clock::time_point sent;
  };
  std::function<std::optional<Trigger>()> next_trigger;
  std::vector<std::string> waiting;
  std::size_t next_waiting = 0;
  int skipped = 0;
  std::string seed_query;
  if (trigger == "cancel") {
    // Slow jobs keep the worker busy; the measured ones wait behind them at the lowest priority.
    // Each has its own size_mm, so none is a content-cache hit.
    for (int i = 0; i < blockers; ++i) {
      (void)submit(client, image, fmt::format("priority=100&resolution={}&size_mm={}", blocker_resolution, 100 + i));
    }
    for (int i = 0; i <= events + events / 2; ++i) {
      waiting.push_back(submit(client, image, fmt::format("priority=-100&size_mm={:.3f}", 10.0 + 0.001 * i)));
    }
    next_trigger = [&]() -> std::optional<Trigger> {
      while (next_waiting < waiting.size()) {
        const std::string& job = waiting[next_waiting++];
        if (status_of(client, job) != "queued") {
          ++skipped;
          continue;
        }
        const Clock::time_point sent = Clock::now();
        const auto [status, body] = client.request(http::verb::delete_, "/api/jobs/" + job);
        if (status != 200) die(fmt::format("DELETE /api/jobs/{} answered {}: {}", job, status, body));
        return Trigger{job, sent};
      }
      return std::nullopt;
    };
  } else {
    // One job computed first; then the same image and settings again are cache hits, each a new job
    // completed (and its event published) at once, with the worker idle.
    seed_query = "size_mm=77";
    const std::string seed = submit(client, image, seed_query);
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
    while (status_of(client, seed) != "completed") {
      if (Clock::now() > deadline) die("the first job did not complete within 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    next_trigger = [&]() -> std::optional<Trigger> {
      const Clock::time_point sent = Clock::now();
      return Trigger{submit(client, image, seed_query), sent};
    };
  }

  std::vector<double> latency_ms;
  std::vector<double> spread_ms;
  std::vector<double> publish_ms;
  std::vector<double> request_ms;
  int measured = 0;
  std::size_t missing = 0;
  for (int i = 0; i <= events; ++i) {
    const std::optional<Trigger> fired = next_trigger();
    if (!fired) break;
    request_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - fired->sent).count());
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(2);
    while (receipts.count(fired->job) < subs.size() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const std::vector<Receipt> received = receipts.take(fired->job);
    if (i == 0) {  // the warm-up: every subscription must be live
      if (received.size() < subs.size()) {
        die(fmt::format("warm-up: {} of {} subscribers heard the event", received.size(), subs.size()));
      }
      continue;
    }
    ++measured;
    missing += subs.size() - std::min(subs.size(), received.size());
    if (received.empty()) continue;
    const Clock::time_point first =
        std::min_element(received.begin(), received.end(), [](const Receipt& a, const Receipt& b) {
          return a.at < b.at;
        })->at;
    for (const Receipt& receipt : received) {
      latency_ms.push_back(std::chrono::duration<double, std::milli>(receipt.at - fired->sent).count());
      spread_ms.push_back(std::chrono::duration<double, std::milli>(receipt.at - first).count());
      publish_ms.push_back(receipt.since_publish_ms);
    }
  }
  for (std::size_t j = next_waiting; j < waiting.size(); ++j)
    (void)client.request(http::verb::delete_, "/api/jobs/" + waiting[j]);
  const auto dropped = std::count_if(subs.begin(), subs.end(), [](const auto& sub) { return sub->closed(); });

  const std::string action = trigger == "cancel" ? "DELETE" : "POST (cache hit)";
  fmt::print(
      "trigger: {} -> `{}`; events: {} measured, {} skipped (no longer queued), {} receipts missing, {} "
      "connections dropped\n",
      action, event_type, measured, skipped, missing, dropped);
  print_distribution(fmt::format("latency ({} sent -> {} read)", action, event_type), latency_ms);
  print_distribution(fmt::format("publish (the event's time -> {} read)", event_type), publish_ms);
  print_distribution("spread (first subscriber -> this one)", spread_ms);
  print_distribution(fmt::format("{} round trip", action), request_ms);

  // The readers stop before the sockets close: a socket is used by one thread at a time.
  guard.reset();
  io.stop();
  for (std::thread& reader : readers) reader.join();
  for (const auto& sub : subs) sub->close();
  return 0;
}
