// Chat robots played by a local HTTP server that answers the way their
// documented APIs do: 200 with an error code in the body (rate limits,
// refusals), 429 with Retry-After. The real errpulsed must count a page as
// sent only once the robot accepted it, send every throttled page in the
// end, refuse to retry a refused one (logged once, with the robot's words,
// never the URL's key), and group a 40-code surge into one message.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/http_recorder.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;

// A robot on 127.0.0.1: every POST recorded, each answered as the test's
// script says.
using FakeRobot = t::HttpRecorder;
using Answer = t::ScriptedAnswer;

// The daemon with one rule firing per code (by code), webhooks as given.
struct RobotDaemon {
  t::TempDir dir;
  int port = t::FreePort();
  std::unique_ptr<t::DaemonProcess> daemon;

  ::testing::AssertionResult Start(const std::string& hooks) {
    t::WriteFile(dir.File("app.log"), "");
    t::WriteFile(dir.File("errpulse.yaml"),
                 "listen: 127.0.0.1:" + std::to_string(port) + "\nstate_dir: " +
                     dir.File("state") + "\nalerting:\n  timeout: 2s\n  host: edge-7\n"
                     "  webhooks:\n" + hooks +
                     "alerts:\n  - alert: CodeSurge\n    match: { domains: [rest_common, "
                     "rest_room, unknown] }\n    by: [code]\n    window: 1m\n    threshold: 2\n"
                     "sources:\n  - name: rest\n    paths: [" + dir.File("app.log") +
                     "]\n    start_at: beginning\n");
    daemon = std::make_unique<t::DaemonProcess>(
        std::vector<std::string>{"--config", dir.File("errpulse.yaml")});
    if (!t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; }))
      return ::testing::AssertionFailure() << daemon->Log();
    return ::testing::AssertionSuccess();
  }
  // Two errors of each code: every code's alert fires.
  void Errors(const std::vector<int>& codes) {
    std::string lines;
    for (int code : codes)
      for (int i = 0; i < 2; ++i) lines += "{\"ErrorCode\":" + std::to_string(code) + "}\n";
    t::AppendFile(dir.File("app.log"), lines);
  }
  double Outcome(const std::string& receiver, const std::string& outcome) {
    return t::MetricValue(t::HttpGet(port, "/metrics").body, "errpulse_notifications_total",
                          {"receiver=\"" + receiver + "\"", "outcome=\"" + outcome + "\""});
  }
};

// The codes a Feishu text message lists as firing ("[FIRING] CodeSurge 60107").
std::vector<std::string> FiringCodes(const std::string& body) {
  std::vector<std::string> codes;
  const std::string text = nlohmann::json::parse(body)["content"]["text"];
  const std::string head = "[FIRING] CodeSurge ";
  for (size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
    const size_t start = at + head.size();
    codes.push_back(text.substr(start, text.find('\n', start) - start));
  }
  return codes;
}

TEST(RobotAnswers, AFortyCodeSurgeIsOneGroupedMessage) {
  FakeRobot robot([](size_t) { return Answer{200, "", R"({"code":0,"msg":"success"})"}; });
  RobotDaemon s;
  ASSERT_TRUE(s.Start("    - { name: feishu, url: " + robot.url() + "/hook" +
                      ", format: feishu, group_wait: 2s, group_interval: 1h }\n"));
  std::vector<int> codes;
  for (int c = 0; c < 40; ++c) codes.push_back(60100 + c);
  // The surge arrives over a second, in a few evaluations.
  for (size_t i = 0; i < codes.size(); i += 10) {
    s.Errors(std::vector<int>(codes.begin() + static_cast<long>(i),
                              codes.begin() + static_cast<long>(i) + 10));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(t::WaitFor([&] { return s.Outcome("feishu", "sent") >= 1; },
                         std::chrono::seconds(15)))
      << s.daemon->Log();
  // Then a marker: a new code fires; group_interval (1 h) holds it back, so
  // what arrived is what the surge caused. The marker shows the alert was
  // evaluated (errpulse_alerts), after which nothing more is sent.
  s.Errors({60199});
  ASSERT_TRUE(t::WaitFor([&] {
    return t::MetricValue(t::HttpGet(s.port, "/metrics").body, "errpulse_alerts",
                          {"alertname=\"CodeSurge\"", "state=\"firing\""}) >= 41;
  }, std::chrono::seconds(15)));
  const auto bodies = robot.bodies();
  ASSERT_EQ(bodies.size(), 1u) << "a 40-code surge must be one message";
  const auto listed = FiringCodes(bodies[0]);
  EXPECT_EQ(listed.size(), 40u) << bodies[0];
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), 40u) << bodies[0];
  EXPECT_EQ(s.Outcome("feishu", "sent"), 1);
  EXPECT_EQ(s.daemon->StopWith(SIGTERM), 0);
}

TEST(RobotAnswers, ARateLimitedRobotGetsEveryPageAndNoneCountsAsSentBeforeIt) {
  // Feishu's "Too Many Request" as 200 + code 9499 twice, then a Slack-like
  // 429 with Retry-After: 1, then success.
  FakeRobot robot([](size_t n) {
    if (n < 2) return Answer{200, "", R"({"code":9499,"msg":"Too Many Request"})"};
    if (n == 2) return Answer{429, "1", "rate limited"};
    return Answer{200, "", R"({"code":0,"msg":"success"})"};
  });
  RobotDaemon s;
  ASSERT_TRUE(s.Start("    - { name: feishu, url: " + robot.url() + "/hook" +
                      ", format: feishu, group_wait: 0s }\n"));
  s.Errors({60007});
  ASSERT_TRUE(t::WaitFor([&] { return s.Outcome("feishu", "sent") >= 1; },
                         std::chrono::seconds(20)))
      << s.daemon->Log();
  const auto bodies = robot.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  for (const auto& body : bodies) EXPECT_EQ(body, bodies[0]) << "the same page, sent again";
  EXPECT_EQ(s.Outcome("feishu", "throttled"), 3);
  EXPECT_EQ(s.Outcome("feishu", "sent"), 1);
  EXPECT_EQ(s.Outcome("feishu", "rejected"), 0);
  const std::string log = s.daemon->Log();
  EXPECT_NE(log.find("feishu code 9499: Too Many Request"), std::string::npos) << log;
  EXPECT_EQ(s.daemon->StopWith(SIGTERM), 0);
}

TEST(RobotAnswers, ARefusedPageIsRejectedOnceAndLoggedWithTheRobotsWordsNotTheKey) {
  FakeRobot refusing([](size_t) {
    return Answer{200, "", R"({"errcode":93000,"errmsg":"invalid webhook url"})"};
  });
  FakeRobot fine([](size_t) { return Answer{200, "", R"({"errcode":0,"errmsg":"ok"})"}; });
  RobotDaemon s;
  ASSERT_TRUE(s.Start("    - { name: wecom, url: \"" + refusing.url() + "/send?key=SECRET-KEY" +
                      "\", format: wecom, group_wait: 0s, group_interval: 1s }\n"
                      "    - { name: marker, url: \"" + fine.url() + "/send" +
                      "\", format: wecom, group_wait: 0s, group_interval: 1s }\n"));
  s.Errors({60007});
  ASSERT_TRUE(t::WaitFor([&] { return s.Outcome("wecom", "rejected") >= 1; },
                         std::chrono::seconds(15)))
      << s.daemon->Log();
  // A second page to both; the marker receiver getting it shows the first
  // was not being retried meanwhile.
  s.Errors({60011});
  ASSERT_TRUE(t::WaitFor([&] { return fine.bodies().size() >= 2; }, std::chrono::seconds(15)));
  ASSERT_TRUE(t::WaitFor([&] { return s.Outcome("wecom", "rejected") >= 2; },
                         std::chrono::seconds(15)));
  EXPECT_EQ(refusing.bodies().size(), 2u) << "a refused page is not sent again";
  EXPECT_EQ(s.Outcome("wecom", "sent"), 0);
  const std::string log = s.daemon->Log();
  const size_t first = log.find("wecom code 93000: invalid webhook url");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("wecom code 93000", first + 1), std::string::npos) << "logged once: " << log;
  EXPECT_EQ(log.find("SECRET-KEY"), std::string::npos);
  EXPECT_EQ(s.daemon->StopWith(SIGTERM), 0);
}

TEST(RobotAnswers, ARobotThatHangsIsRetriedAndThePageArrives) {
  // The first request is answered only after the daemon's timeout (2 s).
  FakeRobot robot([](size_t n) {
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    return Answer{200, "", R"({"errcode":0,"errmsg":"ok"})"};
  });
  RobotDaemon s;
  ASSERT_TRUE(s.Start("    - { name: dingtalk, url: " + robot.url() + "/robot/send" +
                      ", format: dingtalk, group_wait: 0s }\n"));
  s.Errors({60007});
  ASSERT_TRUE(t::WaitFor([&] { return s.Outcome("dingtalk", "sent") >= 1; },
                         std::chrono::seconds(30)))
      << s.daemon->Log();
  EXPECT_GE(s.Outcome("dingtalk", "failed"), 1);
  EXPECT_EQ(robot.bodies().size(), 2u);
  EXPECT_EQ(s.daemon->StopWith(SIGTERM), 0);
}

}  // namespace
}  // namespace errpulse
