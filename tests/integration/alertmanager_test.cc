// Alerting end to end with a real Alertmanager (Debian prometheus-alertmanager)
// on 127.0.0.1: a surge fires and reaches it within 2 s with the right
// labels, resolves within 3 s after the window, survives Alertmanager being
// down at the surge, and a receiver that hangs or answers 500 does not delay
// counting or the other receivers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class Alertmanager {
 public:
  explicit Alertmanager(const t::TempDir& dir, int port) : dir_(dir), port_(port) {
    t::WriteFile(dir.File("am.yml"),
                 "route:\n  receiver: \"null\"\n  group_wait: 0s\nreceivers:\n  - name: \"null\"\n");
  }
  void Start() {
    pid_ = Spawn();
    ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port_, "/-/ready").status == 200; },
                           std::chrono::seconds(15)))
        << t::ReadFile(dir_.File("am.log"));
  }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  ~Alertmanager() { Stop(); }
  // Active alerts with this alertname.
  std::vector<nlohmann::json> Active(const std::string& alertname) {
    auto r = t::HttpGet(port_, "/api/v2/alerts");
    std::vector<nlohmann::json> out;
    if (r.status != 200) return out;
    for (const auto& a : nlohmann::json::parse(r.body))
      if (a["labels"]["alertname"] == alertname && a["status"]["state"] == "active") out.push_back(a);
    return out;
  }

 private:
  pid_t Spawn() {
    const std::string config = "--config.file=" + dir_.File("am.yml");
    const std::string storage = "--storage.path=" + dir_.File("am-data");
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    const std::string log = dir_.File("am.log");
    pid_t pid = ::fork();
    if (pid == 0) {
      FILE* out = std::freopen(log.c_str(), "a", stderr);
      (void)out;
      ::execl("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager", config.c_str(),
              storage.c_str(), listen.c_str(), "--cluster.listen-address=", nullptr);
      ::_exit(127);
    }
    return pid;
  }

  const t::TempDir& dir_;
  int port_;
  pid_t pid_ = -1;
};

// A receiver that accepts connections and never answers, or answers 500.
class BadReceiver {
 public:
  explicit BadReceiver(bool hang) : hang_(hang) {
    fd_ = t::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~BadReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : clients_) ::close(c);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      ++requests_;
      if (hang_) {
        clients_.push_back(client);  // never answered
        continue;
      }
      char buf[65536];
      ::recv(client, buf, sizeof(buf), 0);
      const char* reply = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
      ::send(client, reply, std::strlen(reply), MSG_NOSIGNAL);
      ::close(client);
    }
  }
  bool hang_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::vector<int> clients_;
  std::thread thread_;
};

std::string Config(const t::TempDir& dir, int port, const std::vector<int>& receivers) {
  std::string urls;
  for (int r : receivers) urls += (urls.empty() ? "" : ", ") + ("http://127.0.0.1:" + std::to_string(r));
  return "listen: 127.0.0.1:" + std::to_string(port) + "\nstate_dir: " + dir.File("state") +
         "\npoll_interval: 200ms\nalerting:\n  alertmanagers: [" + urls +
         "]\n  resend_interval: 2s\n  timeout: 1s\nalerts:\n"
         "  - alert: RestSurge\n    match: { codes: [60007] }\n    by: [code, source]\n"
         "    window: 2s\n    threshold: 20\n    labels: { severity: page }\n"
         "    annotations: { summary: \"{{count}} x {{code}} {{name}}\" }\n"
         "sources:\n  - name: rest\n    paths: [" + dir.File("app.log") + "]\n    start_at: beginning\n";
}

void Burst(const t::TempDir& dir, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007}\n";
  t::AppendFile(dir.File("app.log"), text);
}

TEST(Alertmanager, SurgeFiresWithin2sAndResolvesWithin3sAfterTheWindow) {
  t::TempDir dir;
  const int am_port = t::FreePort();
  Alertmanager am(dir, am_port);
  am.Start();
  const int port = t::FreePort();
  t::WriteFile(dir.File("errpulse.yaml"), Config(dir, port, {am_port}));
  t::WriteFile(dir.File("app.log"), "");
  t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; })) << daemon.Log();

  const auto burst_at = Clock::now();
  Burst(dir, 30);
  ASSERT_TRUE(t::WaitFor([&] { return !am.Active("RestSurge").empty(); }, std::chrono::seconds(2)))
      << daemon.Log();
  const auto fired = Clock::now();
  const auto alert = am.Active("RestSurge")[0];
  EXPECT_EQ(alert["labels"]["code"], "60007");
  EXPECT_EQ(alert["labels"]["source"], "rest");
  EXPECT_EQ(alert["labels"]["severity"], "page");
  EXPECT_TRUE(alert["labels"].contains("host"));
  EXPECT_EQ(alert["annotations"]["summary"], "30 x 60007 RestApiError.REST_API_RATE_LIMITED");

  // The window is 2 s: the condition ends about 2 s after the burst, and the
  // resolution must reach Alertmanager within 3 s of that.
  const auto window_end = burst_at + std::chrono::seconds(2);
  ASSERT_TRUE(t::WaitFor([&] { return am.Active("RestSurge").empty(); }, std::chrono::seconds(6)));
  const auto resolved = Clock::now();
  const double fire_ms = std::chrono::duration<double, std::milli>(fired - burst_at).count();
  const double resolve_ms = std::chrono::duration<double, std::milli>(resolved - window_end).count();
  std::printf("fire latency: %.0f ms (burst written -> active in Alertmanager); resolve latency: "
              "%.0f ms (window over -> resolved in Alertmanager)\n", fire_ms, resolve_ms);
  EXPECT_LT(resolve_ms, 3000);
  EXPECT_TRUE(t::WaitFor([&] {  // firing, then resolved
    return t::MetricValue(t::HttpGet(port, "/metrics").body, "errpulse_notifications_total",
                          {"outcome=\"sent\""}) >= 2;
  }));
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0);
}

TEST(Alertmanager, DownAtTheSurgeAndStartedLaterStillReceivesIt) {
  t::TempDir dir;
  const int am_port = t::FreePort();
  Alertmanager am(dir, am_port);
  const int port = t::FreePort();
  t::WriteFile(dir.File("errpulse.yaml"), Config(dir, port, {am_port}));
  t::WriteFile(dir.File("app.log"), "");
  t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; })) << daemon.Log();
  Burst(dir, 30);
  // Keep the condition true while Alertmanager is down.
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(200));
    Burst(dir, 10);
  }
  am.Start();
  for (int i = 0; i < 10 && am.Active("RestSurge").empty(); ++i) {
    Burst(dir, 10);
    std::this_thread::sleep_for(milliseconds(300));
  }
  EXPECT_TRUE(t::WaitFor([&] { return !am.Active("RestSurge").empty(); }, std::chrono::seconds(5)))
      << daemon.Log();
  const std::string m = t::HttpGet(port, "/metrics").body;
  EXPECT_GE(t::MetricValue(m, "errpulse_notifications_total", {"outcome=\"failed\""}), 1);
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0);
}

TEST(Alertmanager, HangingAnd500ReceiversDelayNeitherCountingNorTheOthers) {
  t::TempDir dir;
  const int am_port = t::FreePort();
  Alertmanager am(dir, am_port);
  am.Start();
  BadReceiver hanging(/*hang=*/true);
  BadReceiver failing(/*hang=*/false);
  const int port = t::FreePort();
  t::WriteFile(dir.File("errpulse.yaml"),
               Config(dir, port, {hanging.port(), failing.port(), am_port}));
  t::WriteFile(dir.File("app.log"), "");
  t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; })) << daemon.Log();
  Burst(dir, 30);
  EXPECT_TRUE(t::WaitFor([&] { return !am.Active("RestSurge").empty(); }, std::chrono::seconds(2)))
      << daemon.Log();
  // Counting goes on at once while the bad receivers are being retried.
  Burst(dir, 50);
  EXPECT_TRUE(t::WaitFor(
      [&] {
        return t::MetricValue(t::HttpGet(port, "/metrics").body, "errpulse_lines_total") == 80;
      },
      milliseconds(500)));
  EXPECT_TRUE(t::WaitFor([&] { return failing.requests() >= 2; }, std::chrono::seconds(5)))
      << "the 500 receiver is retried";
  EXPECT_GE(hanging.requests(), 1);
  const std::string m = t::HttpGet(port, "/metrics").body;
  EXPECT_GE(t::MetricValue(m, "errpulse_notifications_total",
                           {"outcome=\"failed\"", "receiver=\"http://127.0.0.1:" +
                                                      std::to_string(failing.port()) + "\""}),
            1);
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0);
}

TEST(Alertmanager, RestartWhileFiringKeepsTheAlertAndItsStartWithoutANewPage) {
  t::TempDir dir;
  const int am_port = t::FreePort();
  Alertmanager am(dir, am_port);
  am.Start();
  const int port = t::FreePort();
  // A longer window and keep_firing_for, so the alert outlives the restart.
  std::string config = Config(dir, port, {am_port});
  config.replace(config.find("window: 2s"), 10, "window: 4s\n    keep_firing_for: 3s");
  t::WriteFile(dir.File("errpulse.yaml"), config);
  t::WriteFile(dir.File("app.log"), "");
  auto daemon = std::make_unique<t::DaemonProcess>(
      std::vector<std::string>{"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; }));
  Burst(dir, 30);
  ASSERT_TRUE(t::WaitFor([&] { return !am.Active("RestSurge").empty(); }, std::chrono::seconds(2)));
  const std::string starts_at = am.Active("RestSurge")[0]["startsAt"];

  daemon->StopWith(SIGKILL);
  daemon = std::make_unique<t::DaemonProcess>(
      std::vector<std::string>{"--config", dir.File("errpulse.yaml")});
  ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; }));
  // Firing at once after the restart, same alert, same start: no new page.
  const auto api = nlohmann::json::parse(t::HttpGet(port, "/api/v1/alerts").body);
  ASSERT_EQ(api["data"]["alerts"].size(), 1u) << api.dump();
  EXPECT_EQ(api["data"]["alerts"][0]["state"], "firing");
  ASSERT_EQ(am.Active("RestSurge").size(), 1u);
  EXPECT_EQ(am.Active("RestSurge")[0]["startsAt"], starts_at);
  // And it resolves when its window and keep_firing_for have passed.
  EXPECT_TRUE(t::WaitFor([&] { return am.Active("RestSurge").empty(); }, std::chrono::seconds(12)));
  EXPECT_EQ(daemon->StopWith(SIGTERM), 0);
}

}  // namespace
}  // namespace errpulse
