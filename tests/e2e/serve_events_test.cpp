// The progress WebSocket of `orfeas serve` against a real server process: a job's events in order
// (queued, started, progress up to 100, completed), the final event at once for a finished job,
// and the API key on the upgrade.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/serve/test_client.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"
#include "serve_process.h"

namespace orfeas {
namespace {

using namespace std::chrono_literals;
using e2e::http_request;
using e2e::HttpReply;
using e2e::ServeProcess;
using nlohmann::json;
using serve::testing::WebSocketClient;

constexpr auto kQuick = 20s;  // a message due now (generous: sanitizers)
constexpr auto kJob = 180s;   // a job through the pipeline at resolution 32

const std::filesystem::path kSource = ORFEAS_SOURCE_DIR;

// The next message that is not a heartbeat; an empty object (and a failure) when none came.
json next_message(WebSocketClient& client, std::chrono::milliseconds limit = kQuick) {
  while (true) {
    const std::optional<std::string> text = client.read(limit);
    if (!text) {
      ADD_FAILURE() << "no message within " << limit.count() << " ms: " << client.error().message();
      return json::object();
    }
    json message = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
      ADD_FAILURE() << "not JSON: " << *text;
      return json::object();
    }
    if (message["type"] != "heartbeat") return message;
  }
}

struct Server {
  explicit Server(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--port", "0", "--data-dir", (dir.path() / "data").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<ServeProcess>(args);
    port = process->wait_for_port(60s);
  }
  testing::TempDir dir;
  std::unique_ptr<ServeProcess> process;
  int port = -1;
};

// POST /api/jobs with the duck's bytes; the new job's id ("" after a failure).
std::string submit(int port, const std::vector<std::pair<std::string, std::string>>& auth = {}) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "image/png"}};
  headers.insert(headers.end(), auth.begin(), auth.end());
  const HttpReply reply = http_request(port, "POST", "/api/jobs?format=stl&resolution=32", headers,
                                       testing::read_text(kSource / "examples/duck.png"));
  EXPECT_EQ(reply.status, 202) << reply.body;
  const json answer = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  return answer.is_object() ? answer.value("id", "") : "";
}

void subscribe(WebSocketClient& client, const json& jobs) {
  ASSERT_TRUE(client.send(json({{"type", "subscribe"}, {"jobs", jobs}}).dump()));
  EXPECT_EQ(next_message(client), (json{{"type", "subscribed"}, {"jobs", jobs}}));
}

TEST(ServeEvents, AJobsEventsArriveInOrderAndAFinishedJobAnswersAtOnce) {
  Server server;
  ASSERT_GT(server.port, 0) << "orfeas serve did not say its port";
  const auto port = static_cast<std::uint16_t>(server.port);
  WebSocketClient watcher;
  ASSERT_TRUE(watcher.connect(port, "/api/ws")) << watcher.error().message();
  subscribe(watcher, "*");

  const std::string id = submit(server.port);
  ASSERT_FALSE(id.empty());
  const json queued = next_message(watcher);
  EXPECT_EQ(queued["type"], "queued") << queued.dump();
  EXPECT_EQ(queued["job"], id);
  EXPECT_GE(queued["position"].get<int>(), 1);
  json started = next_message(watcher, kJob);
  EXPECT_TRUE(started["time"].is_number_float()) << started.dump();  // when the server sent it
  started.erase("time");
  EXPECT_EQ(started, (json{{"type", "started"}, {"job", id}}));

  double last_percent = -1.0;
  std::size_t progress_events = 0;
  json message;
  while (true) {
    message = next_message(watcher, kJob);
    ASSERT_EQ(message.value("job", ""), id) << message.dump();
    if (message["type"] != "progress") break;
    ++progress_events;
    const double percent = message["percent"].get<double>();
    EXPECT_GE(percent, last_percent) << "the percentage fell: " << message.dump();
    EXPECT_LE(percent, 100.0);
    EXPECT_TRUE(message["stage"].is_string()) << message.dump();
    EXPECT_TRUE(message.contains("eta_s")) << message.dump();
    last_percent = percent;
  }
  EXPECT_GT(progress_events, 1U);
  EXPECT_DOUBLE_EQ(last_percent, 100.0);
  ASSERT_EQ(message["type"], "completed") << message.dump();
  EXPECT_EQ(message["result_url"], "/api/jobs/" + id + "/result");
  const HttpReply result = http_request(server.port, "GET", message["result_url"].get<std::string>());
  EXPECT_EQ(result.status, 200);
  EXPECT_GT(result.body.size(), 84U);

  // Another client subscribing to the finished job hears its final event at once.
  WebSocketClient late;
  ASSERT_TRUE(late.connect(port, "/api/ws")) << late.error().message();
  subscribe(late, json::array({id}));
  const json final_event = next_message(late);
  EXPECT_EQ(final_event["type"], "completed") << final_event.dump();
  EXPECT_EQ(final_event["job"], id);
  EXPECT_EQ(final_event["result_url"], "/api/jobs/" + id + "/result");
  EXPECT_TRUE(final_event["profile"].is_object()) << final_event.dump();

  // A bad message is answered and the connection stays.
  ASSERT_TRUE(late.send("{"));
  EXPECT_EQ(next_message(late)["type"], "error");
  ASSERT_TRUE(late.send(R"({"type":"ping"})"));
  EXPECT_EQ(next_message(late), (json{{"type", "pong"}}));
}

TEST(ServeEvents, WithAnApiKeyTheUpgradeCarriesIt) {
  Server server({"--api-key", "sesame"});
  ASSERT_GT(server.port, 0) << "orfeas serve did not say its port";
  const auto port = static_cast<std::uint16_t>(server.port);
  const auto refused = serve::testing::upgrade_by_hand(port, "/api/ws");
  EXPECT_EQ(refused.result_int(), 401);
  EXPECT_EQ(json::parse(refused.body(), nullptr, false).value("error", json::object()).value("code", ""),
            "unauthorized")
      << refused.body();
  EXPECT_EQ(serve::testing::upgrade_by_hand(port, "/api/ws?api_key=wrong").result_int(), 401);

  // A browser's way (the query) and a script's (the header) both get through.
  WebSocketClient by_query;
  ASSERT_TRUE(by_query.connect(port, "/api/ws?api_key=sesame")) << by_query.error().message();
  WebSocketClient by_header;
  ASSERT_TRUE(by_header.connect(port, "/api/ws", {{"Authorization", "Bearer sesame"}})) << by_header.error().message();
  subscribe(by_query, "*");
  const std::string id = submit(server.port, {{"Authorization", "Bearer sesame"}});
  ASSERT_FALSE(id.empty());
  const json queued = next_message(by_query);
  EXPECT_EQ(queued["type"], "queued") << queued.dump();
  EXPECT_EQ(queued["job"], id);
}

}  // namespace
}  // namespace orfeas
