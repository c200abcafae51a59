// Live reload with the real binary: SIGHUP and POST /-/reload apply a new
// config, rules and catalog without losing or re-counting a line and without
// resetting alert state; an invalid config, rule file or catalog is refused
// with FILE:LINE:COL while the daemon goes on counting on the old one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <string>

#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using std::chrono::milliseconds;

const std::string kRateLimited = R"({"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"limit"})";
const std::string kAuthFailed = R"({"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"sig"})";

std::string Lines(const std::string& line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += line + "\n";
  return out;
}

// A daemon on a config file in a temp dir that the test rewrites and reloads.
class ReloadFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = ept::FreePort();
    ept::WriteFile(dir_.File("a.log"), "");
    ept::WriteFile(dir_.File("b.log"), "");
  }

  // The config: listen, state, one or two sources, optional extra YAML.
  std::string Config(bool with_b, const std::string& extra = "") const {
    std::string text = "listen: \"127.0.0.1:" + std::to_string(port_) + "\"\n" +
                       "state_dir: " + dir_.File("state") + "\n" + extra +
                       "sources:\n  - name: a\n    paths: [" + dir_.File("a.log") +
                       "]\n    start_at: beginning\n";
    if (with_b)
      text += "  - name: b\n    paths: [" + dir_.File("b.log") + "]\n    start_at: beginning\n";
    return text;
  }

  void Start(const std::string& config) {
    ept::WriteFile(dir_.File("errpulse.yaml"), config);
    daemon_ = std::make_unique<ept::DaemonProcess>(
        std::vector<std::string>{"--config", dir_.File("errpulse.yaml")});
    ASSERT_TRUE(ept::WaitFor([&] { return ept::HttpGet(port_, "/-/ready").status == 200; }))
        << daemon_->Log();
  }

  std::string Scrape() const { return ept::HttpGet(port_, "/metrics").body; }
  double Metric(const std::string& name, const std::vector<std::string>& labels = {}) const {
    return ept::MetricValue(Scrape(), name, labels);
  }
  bool WaitForMetric(const std::string& name, const std::vector<std::string>& labels,
                     double value) const {
    return ept::WaitFor([&] { return Metric(name, labels) == value; });
  }
  // Waits for the reload counter to reach `n` successes + failures.
  bool WaitForReloads(double n) const {
    return ept::WaitFor([&] { return Metric("errpulse_config_reloads_total") == n; });
  }
  ept::HttpResult PostReload() const {
    return ept::HttpRaw(port_, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                               "Connection: close\r\n\r\n");
  }

  ept::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ept::DaemonProcess> daemon_;
};

TEST_F(ReloadFixture, SighupAddsASourceAndKeepsEveryCountAndOffset) {
  Start(Config(false));
  ept::AppendFile(dir_.File("a.log"), Lines(kRateLimited, 5));
  ept::AppendFile(dir_.File("b.log"), Lines(kRateLimited, 2));
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"a\""}, 5)) << daemon_->Log();
  // Half a line before the reload, its end after: counted once, not lost.
  ept::AppendFile(dir_.File("a.log"), R"({"ErrorCode":60007,)");
  ASSERT_TRUE(ept::WaitFor([&] {
    return Metric("errpulse_read_bytes_total", {"source=\"a\""}) > 0;
  }));

  ept::WriteFile(dir_.File("errpulse.yaml"), Config(true));
  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForReloads(1)) << daemon_->Log();
  const std::string after = Scrape();
  EXPECT_EQ(ept::MetricValue(after, "errpulse_config_reloads_total", {"result=\"success\""}), 1);
  EXPECT_EQ(ept::MetricValue(after, "errpulse_config_last_reload_successful"), 1);

  ept::AppendFile(dir_.File("a.log"), "\"ErrorInfo\":\"limit\"}\n" + Lines(kRateLimited, 3));
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"a\""}, 9)) << daemon_->Log();
  // The new source read its file from the beginning, once.
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"b\""}, 2)) << daemon_->Log();
  const std::string text = Scrape();
  EXPECT_EQ(ept::MetricValue(text, "errpulse_errors_total", {"source=\"a\"", "code=\"60007\""}),
            9);
  EXPECT_EQ(ept::MetricValue(text, "errpulse_errors_total", {"source=\"b\"", "code=\"60007\""}),
            2);
  // The status page's recent minutes go on across the reload: all 11 errors
  // are in its last 5 minutes, not only the 6 counted since.
  ASSERT_TRUE(ept::WaitFor([&] {
    auto status = nlohmann::json::parse(ept::HttpGet(port_, "/api/v1/status").body);
    return status["data"]["top_codes"]["5m"]["errors"] == 11;
  })) << ept::HttpGet(port_, "/api/v1/status").body;

  // And it all survives a restart: the reload committed the same state.
  EXPECT_EQ(daemon_->StopWith(SIGTERM), 0);
  Start(Config(true));
  EXPECT_EQ(Metric("errpulse_lines_total", {"source=\"a\""}), 9);
  EXPECT_EQ(Metric("errpulse_lines_total", {"source=\"b\""}), 2);
}

TEST_F(ReloadFixture, InvalidConfigIsRefusedAndTheOldOneKeepsCounting) {
  Start(Config(false));
  ept::AppendFile(dir_.File("a.log"), Lines(kRateLimited, 3));
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"a\""}, 3));
  const double loaded_at = Metric("errpulse_config_last_reload_success_timestamp_seconds");
  EXPECT_GT(loaded_at, 1.7e9);

  ept::WriteFile(dir_.File("errpulse.yaml"), Config(true) + "commit_interval: soon\n");
  const ept::HttpResult refused = PostReload();
  EXPECT_EQ(refused.status, 500) << refused.body;
  EXPECT_NE(refused.body.find("errpulse.yaml:"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("commit_interval"), std::string::npos) << refused.body;
  EXPECT_EQ(Metric("errpulse_config_last_reload_successful"), 0);
  EXPECT_EQ(Metric("errpulse_config_reloads_total", {"result=\"failure\""}), 1);
  EXPECT_EQ(Metric("errpulse_config_last_reload_success_timestamp_seconds"), loaded_at);
  EXPECT_NE(daemon_->Log().find("reload failed"), std::string::npos) << daemon_->Log();

  // Still the old config: source a counts on, b does not exist.
  ept::AppendFile(dir_.File("a.log"), Lines(kRateLimited, 4));
  ept::AppendFile(dir_.File("b.log"), Lines(kRateLimited, 4));
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"a\""}, 7));
  EXPECT_EQ(Metric("errpulse_lines_total", {"source=\"b\""}), 0);
  EXPECT_EQ(ept::HttpGet(port_, "/-/ready").status, 200);

  // Fixed: the next reload succeeds and the gauge says so.
  ept::WriteFile(dir_.File("errpulse.yaml"), Config(true));
  const ept::HttpResult accepted = PostReload();
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(Metric("errpulse_config_last_reload_successful"), 1);
  ASSERT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"b\""}, 4));
  EXPECT_EQ(Metric("errpulse_lines_total", {"source=\"a\""}), 7);
}

TEST_F(ReloadFixture, BrokenRuleFileOrCatalogIsRefusedWithItsPosition) {
  Start(Config(false));
  ept::WriteFile(dir_.File("bad-rules.yaml"),
                 "version: 1\nrules:\n  - name: broken\n    pattern: '(unclosed'\n");
  ept::WriteFile(dir_.File("errpulse.yaml"),
                 Config(false, "rules: [" + dir_.File("bad-rules.yaml") + "]\n"));
  ept::HttpResult refused = PostReload();
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.body.find("bad-rules.yaml:"), std::string::npos) << refused.body;

  ept::WriteFile(dir_.File("bad-catalog.yaml"), "version: 1\ncodes:\n  - code: [\n");
  ept::WriteFile(dir_.File("errpulse.yaml"),
                 Config(false, "catalog: [" + dir_.File("bad-catalog.yaml") + "]\n"));
  refused = PostReload();
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.body.find("bad-catalog.yaml:"), std::string::npos) << refused.body;
  EXPECT_EQ(Metric("errpulse_config_reloads_total", {"result=\"failure\""}), 2);

  // A moved state_dir is refused too: the counts live in the old one.
  ept::WriteFile(dir_.File("errpulse.yaml"), Config(false));
  std::string moved = Config(false);
  moved.replace(moved.find(dir_.File("state")), dir_.File("state").size(), dir_.File("state2"));
  ept::WriteFile(dir_.File("errpulse.yaml"), moved);
  refused = PostReload();
  EXPECT_EQ(refused.status, 500);
  EXPECT_NE(refused.body.find("state_dir changed"), std::string::npos) << refused.body;

  ept::AppendFile(dir_.File("a.log"), Lines(kRateLimited, 2));
  EXPECT_TRUE(WaitForMetric("errpulse_lines_total", {"source=\"a\""}, 2));
  EXPECT_EQ(ept::HttpGet(port_, "/-/reload").status, 405);
}

TEST_F(ReloadFixture, FiringAlertStaysFiringWithItsStartAcrossAReload) {
  const std::string alert =
      "alerts:\n  - alert: TestRateLimited\n    match: { codes: [60007] }\n"
      "    window: 1m\n    threshold: 5\n";
  Start(Config(false, alert));
  ept::AppendFile(dir_.File("a.log"), Lines(kRateLimited, 6));
  nlohmann::json before;
  ASSERT_TRUE(ept::WaitFor([&] {
    before = nlohmann::json::parse(ept::HttpGet(port_, "/api/v1/alerts").body);
    return before["data"]["alerts"].size() == 1 &&
           before["data"]["alerts"][0]["state"] == "firing";
  })) << before.dump();

  // A second rule is added; the first keeps its instance, state and start.
  const std::string two_alerts = alert +
                                 "  - alert: TestAuthFailed\n    match: { codes: [70001] }\n"
                                 "    window: 1m\n    threshold: 2\n";
  ept::WriteFile(dir_.File("errpulse.yaml"), Config(false, two_alerts));
  ASSERT_EQ(PostReload().status, 200) << daemon_->Log();
  ept::AppendFile(dir_.File("a.log"), Lines(kAuthFailed, 2));
  nlohmann::json after;
  ASSERT_TRUE(ept::WaitFor([&] {
    after = nlohmann::json::parse(ept::HttpGet(port_, "/api/v1/alerts").body);
    return after["data"]["alerts"].size() == 2;
  })) << after.dump();
  for (const auto& a : after["data"]["alerts"]) {
    if (a["labels"]["alertname"] != "TestRateLimited") continue;
    EXPECT_EQ(a["state"], "firing");
    EXPECT_EQ(a["activeAt"], before["data"]["alerts"][0]["activeAt"]);
  }
}

}  // namespace
