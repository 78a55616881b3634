// The /api/ws progress endpoint over a real HttpServer on loopback and a real Service on the CPU
// (SQLite in a temporary directory, the real pipeline at a small resolution).
#include "orfeas/service/progress_socket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/serve/test_client.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using serve::testing::WebSocketClient;

constexpr auto kQuick = 10s;      // a message that is due now (generous: sanitizers)
constexpr auto kJob = 120s;       // a job to run through the pipeline
constexpr auto kSilence = 300ms;  // how long "nothing more comes" is watched for

const std::string kUnknownJob = "0123456789abcdef0123456789abcdef";

std::optional<json> next_json(WebSocketClient& client, std::chrono::milliseconds limit = kQuick) {
  const std::optional<std::string> text = client.read(limit);
  if (!text) return std::nullopt;
  json parsed = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << *text;
  return parsed;
}

// The next message that is not a heartbeat.
json next_message(WebSocketClient& client, std::chrono::milliseconds limit = kQuick) {
  while (true) {
    std::optional<json> message = next_json(client, limit);
    if (!message) {
      ADD_FAILURE() << "no message within " << limit.count() << " ms: " << client.error().message();
      return json::object();
    }
    if ((*message)["type"] == "heartbeat") continue;
    // A job event carries the time it was sent: now, give or take the test's own pace. Checked
    // here and left out, so tests compare what is particular to them.
    if (message->contains("job") && message->contains("time")) {
      const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      const double time = (*message)["time"].get<double>();
      EXPECT_LE(time, now + 1e-3);
      EXPECT_GT(time, now - 60.0);
      message->erase("time");
    }
    return *message;
  }
}

class ProgressSocketTest : public ::testing::Test {
 protected:
  // No heartbeats unless asked for, so tests see only what they provoke.
  void open(bool start_workers, std::optional<std::string> api_key = std::nullopt,
            std::chrono::milliseconds heartbeat_interval = 0ms, std::size_t max_subscriptions = 1000) {
    ProgressSocketOptions socket_options;
    socket_options.api_key = std::move(api_key);
    socket_options.heartbeat_interval = heartbeat_interval;
    socket_options.max_subscriptions_per_connection = max_subscriptions;
    ServiceOptions options;
    options.data_dir = dir_.path() / "data";
    options.device = "cpu";
    options.start_workers = start_workers;
    Result<std::unique_ptr<Service>> opened = Service::open(std::move(options));
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    service_ = std::move(*opened);
    socket_ = ProgressSocket::create(*service_, std::move(socket_options));
    serve::HttpServer::Options server_options;
    server_options.port = 0;
    Result<std::unique_ptr<serve::HttpServer>> server = serve::HttpServer::create(server_options, serve::Router{});
    ASSERT_TRUE(server.has_value()) << server.error().message();
    server_ = std::move(*server);
    server_->add_websocket("/api/ws", socket_);
    ASSERT_TRUE(server_->start().has_value());
  }

  void TearDown() override {
    if (server_) server_->stop();  // before the service: the sessions go first
    socket_.reset();
    server_.reset();
    service_.reset();
  }

  std::string submit() {
    SubmitRequest request;
    request.image = testing::read_text(fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png");
    request.params.resolution = 32;
    Result<SubmitAnswer> answer = service_->submit(std::move(request));
    EXPECT_TRUE(answer.has_value()) << answer.error().message();
    return answer ? answer->job.id : std::string();
  }

  void connect(WebSocketClient& client, const std::string& target = "/api/ws") {
    ASSERT_TRUE(client.connect(server_->port(), target)) << client.error().message();
  }

  void subscribe(WebSocketClient& client, const json& jobs, const json& expected_ack) {
    ASSERT_TRUE(client.send(json({{"type", "subscribe"}, {"jobs", jobs}}).dump()));
    EXPECT_EQ(next_message(client), (json{{"type", "subscribed"}, {"jobs", expected_ack}}));
  }

  // Waits until the store says the job is final.
  void wait_final(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + kJob;
    while (std::chrono::steady_clock::now() < deadline) {
      Result<JobView> view = service_->get(id);
      ASSERT_TRUE(view.has_value()) << view.error().message();
      if (jobs::is_final(view->job.status)) return;
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "job " << id << " did not finish";
  }

  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
  std::shared_ptr<ProgressSocket> socket_;
  std::unique_ptr<serve::HttpServer> server_;
};

TEST(RequestCarriesApiKeyTest, BearerHeaderOrQuery) {
  serve::Request request;
  EXPECT_FALSE(request_carries_api_key(request, "sesame"));
  request.headers.set("Authorization", "Bearer sesame");
  EXPECT_TRUE(request_carries_api_key(request, "sesame"));
  request.headers.set("Authorization", "bearer  sesame ");
  EXPECT_TRUE(request_carries_api_key(request, "sesame"));
  request.headers.set("Authorization", "Bearer sesam");
  EXPECT_FALSE(request_carries_api_key(request, "sesame"));
  request.headers.set("Authorization", "Basic sesame");
  EXPECT_FALSE(request_carries_api_key(request, "sesame"));
  request.query["api_key"] = "sesame";  // a wrong header does not spoil a right query
  EXPECT_TRUE(request_carries_api_key(request, "sesame"));
  request.query["api_key"] = "sesame2";
  EXPECT_FALSE(request_carries_api_key(request, "sesame"));
}

TEST_F(ProgressSocketTest, WithAnApiKeyTheUpgradeNeedsItInTheHeaderOrTheQuery) {
  open(/*start_workers=*/false, "sesame");
  WebSocketClient without;
  EXPECT_FALSE(without.connect(server_->port(), "/api/ws"));
  EXPECT_EQ(without.error(), boost::beast::websocket::error::upgrade_declined) << without.error().message();
  WebSocketClient wrong;
  EXPECT_FALSE(wrong.connect(server_->port(), "/api/ws?api_key=nope"));
  const auto refusal = serve::testing::upgrade_by_hand(server_->port(), "/api/ws?api_key=nope");
  EXPECT_EQ(refusal.result_int(), 401);
  EXPECT_EQ(refusal[boost::beast::http::field::www_authenticate], "Bearer");
  EXPECT_EQ(json::parse(refusal.body())["error"]["code"], "unauthorized") << refusal.body();
  EXPECT_EQ(socket_->connection_count(), 0U);

  WebSocketClient by_query;
  connect(by_query, "/api/ws?api_key=sesame");
  WebSocketClient by_header;
  ASSERT_TRUE(by_header.connect(server_->port(), "/api/ws", {{"Authorization", "Bearer sesame"}}))
      << by_header.error().message();
  for (WebSocketClient* client : {&by_query, &by_header}) {
    ASSERT_TRUE(client->send(R"({"type":"ping"})"));
    EXPECT_EQ(next_message(*client), (json{{"type", "pong"}}));
  }
}

TEST_F(ProgressSocketTest, BadMessagesAreAnsweredAndTheConnectionStays) {
  open(/*start_workers=*/false);
  WebSocketClient client;
  connect(client);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "a message is a JSON object with a \"type\""},
      {R"(["subscribe"])", "a message is a JSON object with a \"type\""},
      {R"({"jobs":"*"})", "the message has no \"type\""},
      {R"({"type":"dance"})", "unknown message type \"dance\": subscribe, unsubscribe or ping"},
      {R"({"type":"subscribe"})", "\"jobs\" is missing: a list of ids or \"*\""},
      {R"({"type":"subscribe","jobs":7})", "\"jobs\" must be a list of job ids or \"*\""},
      {R"({"type":"subscribe","jobs":[7]})", "\"jobs\" must hold job ids (strings)"},
      {R"({"type":"subscribe","jobs":["../etc"]})", "not a job id: \"../etc\" (32 lowercase hex digits)"},
  };
  for (const auto& [text, message] : cases) {
    ASSERT_TRUE(client.send(text));
    EXPECT_EQ(next_message(client), (json{{"type", "error"}, {"code", "invalid_argument"}, {"message", message}}))
        << text;
  }
  ASSERT_TRUE(client.send(R"({"type":"ping"})"));
  EXPECT_EQ(next_message(client), (json{{"type", "pong"}}));
}

TEST_F(ProgressSocketTest, AnUnknownJobIsRefusedAndTheOthersSubscribed) {
  open(/*start_workers=*/false);
  const std::string id = submit();
  WebSocketClient client;
  connect(client);
  ASSERT_TRUE(client.send(json({{"type", "subscribe"}, {"jobs", {kUnknownJob, id}}}).dump()));
  const json error = next_message(client);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["code"], "not_found");
  EXPECT_NE(error["message"].get<std::string>().find(kUnknownJob), std::string::npos) << error.dump();
  EXPECT_EQ(next_message(client), (json{{"type", "subscribed"}, {"jobs", {id}}}));
  // The known one is heard: cancelling it sends `cancelled`.
  ASSERT_TRUE(service_->cancel(id).has_value());
  EXPECT_EQ(next_message(client), (json{{"type", "cancelled"}, {"job", id}}));
}

TEST_F(ProgressSocketTest, TooManySubscriptionsAreRefused) {
  open(/*start_workers=*/false, std::nullopt, 0ms, /*max_subscriptions=*/1);
  const std::string first = submit();
  const std::string second = submit();
  WebSocketClient client;
  connect(client);
  ASSERT_TRUE(client.send(json({{"type", "subscribe"}, {"jobs", {first, second}}}).dump()));
  const json error = next_message(client);
  EXPECT_EQ(error["code"], "limit_exceeded");
  subscribe(client, {first}, {first});
}

TEST_F(ProgressSocketTest, ASubscriberToAFinishedJobGetsItsFinalEventAtOnceEachTime) {
  open(/*start_workers=*/false);
  const std::string id = submit();
  ASSERT_TRUE(service_->cancel(id).has_value());
  WebSocketClient client;
  connect(client);
  subscribe(client, {id}, {id});
  EXPECT_EQ(next_message(client), (json{{"type", "cancelled"}, {"job", id}}));
  // Asking again answers again; nothing else comes.
  subscribe(client, {id}, {id});
  EXPECT_EQ(next_message(client), (json{{"type", "cancelled"}, {"job", id}}));
  EXPECT_FALSE(next_json(client, kSilence).has_value());
}

TEST_F(ProgressSocketTest, UnsubscribedJobsAreNotHeard) {
  open(/*start_workers=*/false);
  const std::string id = submit();
  WebSocketClient client;
  connect(client);
  subscribe(client, {id}, {id});
  ASSERT_TRUE(client.send(json({{"type", "unsubscribe"}, {"jobs", {id}}}).dump()));
  EXPECT_EQ(next_message(client), (json{{"type", "unsubscribed"}, {"jobs", {id}}}));
  ASSERT_TRUE(service_->cancel(id).has_value());  // delivered (or not) before cancel() returns
  ASSERT_TRUE(client.send(R"({"type":"ping"})"));
  EXPECT_EQ(next_message(client), (json{{"type", "pong"}}));

  subscribe(client, "*", "*");
  ASSERT_TRUE(client.send(R"({"type":"unsubscribe","jobs":"*"})"));
  EXPECT_EQ(next_message(client), (json{{"type", "unsubscribed"}, {"jobs", "*"}}));
  const std::string other = submit();
  ASSERT_TRUE(client.send(R"({"type":"ping"})"));
  EXPECT_EQ(next_message(client), (json{{"type", "pong"}}));
  EXPECT_FALSE(other.empty());
}

TEST_F(ProgressSocketTest, StarHearsAJobFromQueuedToCompletedInOrder) {
  open(/*start_workers=*/false);
  WebSocketClient client;
  connect(client);
  subscribe(client, "*", "*");
  const std::string id = submit();
  EXPECT_EQ(next_message(client), (json{{"type", "queued"}, {"job", id}, {"position", 1}}));
  service_->start_workers();
  EXPECT_EQ(next_message(client, kJob), (json{{"type", "started"}, {"job", id}}));
  double last_percent = -1.0;
  json message;
  while (true) {
    message = next_message(client, kJob);
    ASSERT_EQ(message["job"], id) << message.dump();
    if (message["type"] != "progress") break;
    const double percent = message["percent"].get<double>();
    EXPECT_GE(percent, last_percent) << message.dump();
    EXPECT_LE(percent, 100.0);
    EXPECT_TRUE(message["stage"].is_string());
    last_percent = percent;
  }
  EXPECT_DOUBLE_EQ(last_percent, 100.0);
  EXPECT_EQ(message["type"], "completed") << message.dump();
  EXPECT_EQ(message["result_url"], "/api/jobs/" + id + "/result");
}

TEST_F(ProgressSocketTest, ASubscriberToACompletedJobGetsTheResultAndTheProfile) {
  open(/*start_workers=*/true);
  const std::string id = submit();
  wait_final(id);
  ASSERT_EQ(service_->get(id)->job.status, jobs::JobStatus::kCompleted);
  WebSocketClient client;
  connect(client);
  subscribe(client, {id}, {id});
  const json completed = next_message(client);
  EXPECT_EQ(completed["type"], "completed");
  EXPECT_EQ(completed["job"], id);
  EXPECT_EQ(completed["result_url"], "/api/jobs/" + id + "/result");
  ASSERT_TRUE(completed["profile"].is_object()) << completed.dump();
  EXPECT_EQ(completed["profile"], json::parse(*service_->profile_json(id)));
}

TEST_F(ProgressSocketTest, HeartbeatsComeEveryInterval) {
  open(/*start_workers=*/false, std::nullopt, /*heartbeat_interval=*/50ms);
  WebSocketClient client;
  connect(client);
  for (int i = 0; i < 2; ++i) {
    const std::optional<json> message = next_json(client);
    ASSERT_TRUE(message.has_value()) << client.error().message();
    EXPECT_EQ(*message, (json{{"type", "heartbeat"}}));
  }
}

TEST_F(ProgressSocketTest, AClosedConnectionLeavesTheHub) {
  open(/*start_workers=*/false);
  const std::size_t before = service_->events().subscriber_count();
  {
    WebSocketClient client;
    connect(client);
    subscribe(client, "*", "*");
    EXPECT_EQ(socket_->connection_count(), 1U);
    EXPECT_EQ(service_->events().subscriber_count(), before + 1);
    client.close();
  }
  const auto deadline = std::chrono::steady_clock::now() + kQuick;
  while (socket_->connection_count() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(socket_->connection_count(), 0U);
  EXPECT_EQ(service_->events().subscriber_count(), before);
}

}  // namespace
}  // namespace orfeas::service
