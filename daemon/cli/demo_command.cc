// errpulsed demo [--listen HOST:PORT]
// Runs the real daemon on two log files that a built-in writer fills with
// SDK client lines and REST API responses in the real formats: mostly
// routine lines, a steady trickle of errors from the catalog, and every 30 s
// a 10 s surge of 60007 (REST call rate over limit), the classic page.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>

#include "cli/commands.h"
#include "cli/daemon_runner.h"
#include "cli/options.h"

namespace errpulse {
namespace {

// Appends generated lines to the demo's log files, ten times a second.
class DemoWriter {
 public:
  DemoWriter(boost::asio::io_context& io, std::string dir, std::shared_ptr<const Catalog> catalog)
      : timer_(io), dir_(std::move(dir)), catalog_(std::move(catalog)), random_(2026) {}

  void Start() { Tick(); }

 private:
  void Tick() {
    std::ofstream sdk(dir_ + "/sdk-client.log", std::ios::app);
    std::ofstream rest(dir_ + "/app-server.log", std::ios::app);
    for (int i = 0; i < 20; ++i) WriteSdkLine(sdk);
    const bool surge = (tick_ / 10) % 30 < 10;  // 10 s of every 30 s
    for (int i = 0; i < 10; ++i) WriteRestLine(rest, surge);
    ++tick_;
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Tick();
    });
  }

  int64_t RandomCode(bool client) {
    const auto& entries = catalog_->entries();
    for (;;) {
      const auto& e = entries[random_() % entries.size()];
      if ((e.code < 0) == client) return e.code;
    }
  }

  void WriteSdkLine(std::ofstream& out) {
    const unsigned roll = random_() % 100;
    char line[512];
    const unsigned seq = ++sequence_;
    if (roll < 4) {
      std::snprintf(line, sizeof(line),
                    "I/liteav  (27728): [E][11-26/10:15:%02u.%03u+8.0][27728,6304][room_engine.cc:%u]"
                    "[room-api][3:1f00]onError(%lld, \"operation failed\") seq:%u\n",
                    seq % 60, seq % 1000, 100 + seq % 900,
                    static_cast<long long>(RandomCode(true)), seq);
    } else if (roll < 6) {
      std::snprintf(line, sizeof(line),
                    "TIM: 2026-11-26 10:15:%02u.%03u/E/22008-22113     /Msg         -session_task.cpp.83"
                    "  Decode                                /reg push failed, code %lld, msg\n",
                    seq % 60, seq % 1000, static_cast<long long>(RandomCode(true)));
    } else {
      std::snprintf(line, sizeof(line),
                    "I/liteav  (27728): [I][11-26/10:15:%02u.%03u+8.0][27728,6304][trtc_pipeline2.cc:128]"
                    "[trtc-api][3:1f00]setVideoEncoderParam width:368, height:640, fps:15, port:8000, seq:%u\n",
                    seq % 60, seq % 1000, seq);
    }
    out << line;
  }

  void WriteRestLine(std::ofstream& out, bool surge) {
    const unsigned roll = random_() % 100;
    char line[512];
    const unsigned seq = ++sequence_;
    long long code = 0;
    if (surge && roll < 40) {
      code = 60007;
    } else if (roll < 3) {
      code = RandomCode(false);
    }
    if (code == 0) {
      std::snprintf(line, sizeof(line),
                    "{\"ActionStatus\":\"OK\",\"ErrorInfo\":\"\",\"ErrorCode\":0,"
                    "\"RequestId\":\"Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-%u\"}\n", seq);
    } else {
      std::snprintf(line, sizeof(line),
                    "{\"ActionStatus\":\"FAIL\",\"ErrorInfo\":\"demo failure\",\"ErrorCode\":%lld,"
                    "\"RequestId\":\"Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-%u\"}\n", code, seq);
    }
    out << line;
  }

  boost::asio::steady_timer timer_;
  std::string dir_;
  std::shared_ptr<const Catalog> catalog_;
  std::mt19937 random_;
  unsigned tick_ = 0;
  unsigned sequence_ = 0;
};

}  // namespace

int DemoCommand(const Args& raw) {
  Args args = raw;
  const std::string listen = TakeOption(&args, "listen").value_or("127.0.0.1:9464");
  if (!RejectUnknownOptions(args, "demo")) return 2;
  char dir_template[] = "/tmp/errpulse-demo-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::cerr << "errpulsed demo: cannot create a temporary directory: " << std::strerror(errno) << "\n";
    return 1;
  }
  const std::string dir = dir_template;
  const std::string config_text = "listen: \"" + listen + "\"\nstate_dir: " + dir +
                                  "/state\nsources:\n"
                                  "  - name: sdk\n    paths: [" + dir + "/sdk-client.log]\n"
                                  "    start_at: beginning\n"
                                  "  - name: rest\n    paths: [" + dir + "/app-server.log]\n"
                                  "    start_at: beginning\n";
  Diagnostics diagnostics;
  auto config = ParseConfig(config_text, "demo config", dir, &diagnostics);
  std::shared_ptr<const Setup> setup;
  if (config) setup = Setup::Compile(std::move(*config), &diagnostics);
  if (!setup) {
    std::cerr << FormatDiagnostics(diagnostics);
    return 2;
  }
  std::cout << "errpulse demo\n"
            << "  writing SDK and REST logs to " << dir << "\n"
            << "  metrics:  http://" << listen << "/metrics\n"
            << "  watch the error counters move (a 60007 surge comes every 30 s):\n"
            << "    watch -n1 \"curl -s http://" << listen
            << "/metrics | grep -E '^errpulse_(errors|lines)_total' | grep -v ' 0$'\"\n"
            << "  alerts (the shipped rules; the surge pages after 30 s):  http://" << listen
            << "/api/v1/alerts\n"
            << "  Ctrl-C stops it.\n"
            << std::flush;
  std::unique_ptr<DemoWriter> writer;
  DaemonOptions options;
  options.setup = setup;
  options.on_start = [&](boost::asio::io_context& io) {
    writer = std::make_unique<DemoWriter>(io, dir, setup->catalog);
    writer->Start();
  };
  return RunDaemon(options);
}

}  // namespace errpulse
