// Randomized model-based test (after Vector's file_watcher experiment):
// random sequences of write / rotate / rotate+compress / copytruncate /
// truncate / delete / restart / kill against the real daemon, checked against
// a model of what must be counted. The model is exact because destructive
// operations (truncate, delete) first wait until the daemon has caught up, as
// no reader can count lines that are destroyed before it reads them.
//
// ERRPULSE_MODEL_SEEDS=N adds N random seeds to the fixed ones;
// ERRPULSE_MODEL_SEED=S runs only seed S.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;
using std::chrono::milliseconds;

struct Model {
  uint64_t lines = 0;
  uint64_t errors = 0;
};

class Experiment {
 public:
  explicit Experiment(unsigned seed) : random_(seed), seed_(seed) {
    // Operations are spaced like a writer and logrotate are in practice.
    // Back to back (ERRPULSE_MODEL_SPACING_MS=0), rare interleavings under
    // heavy CPU load still miscount: a known limit, see the README.
    if (const char* spacing = std::getenv("ERRPULSE_MODEL_SPACING_MS"))
      spacing_ = milliseconds(std::atoi(spacing));
    log_ = dir_.File("app.log");
    port_ = t::FreePort();
    t::WriteFile(dir_.File("errpulse.yaml"),
                 "listen: 127.0.0.1:" + std::to_string(port_) + "\nstate_dir: " +
                     dir_.File("state") + "\npoll_interval: 200ms\nsources:\n  - name: app\n" +
                     "    paths: [" + log_ + "]\n    start_at: beginning\n");
  }

  void Run(int steps) {
    Start();
    for (int step = 0; step < steps && !::testing::Test::HasFailure(); ++step) {
      std::this_thread::sleep_for(spacing_);
      const unsigned op = random_() % 100;
      if (op < 45) {
        Write();
      } else if (op < 55) {
        Rotate(/*compress=*/false);
      } else if (op < 62) {
        Rotate(/*compress=*/true);
      } else if (op < 69) {
        CopyTruncate();
      } else if (op < 74) {
        Truncate();
      } else if (op < 79) {
        Delete();
      } else if (op < 88) {
        Restart(SIGTERM);
      } else if (op < 97) {
        Restart(SIGKILL);
      } else {
        CheckCaughtUp();
      }
    }
    CheckCaughtUp();
    EXPECT_EQ(daemon_->StopWith(SIGTERM), 0);
  }

 private:
  void Trace(const std::string& what) { trace_ += what + "; "; }

  void Start() {
    daemon_ = std::make_unique<t::DaemonProcess>(
        std::vector<std::string>{"--config", dir_.File("errpulse.yaml")});
    ASSERT_TRUE(t::WaitFor([&] { return t::HttpGet(port_, "/-/ready").status == 200; }))
        << daemon_->Log();
  }

  void Restart(int signal) {
    Trace(signal == SIGKILL ? "kill" : "restart");
    daemon_->StopWith(signal);
    earlier_logs_ += daemon_->Log() + "---- stopped; files then:\n" +
                     t::RunCommand({"/bin/ls", "-li", dir_.path()}).out + "state then:\n" +
                     t::ReadFile(dir_.File("state/state")) + "\n";
    // Sometimes things happen while it is down.
    if (random_() % 2) Write();
    if (random_() % 3 == 0) Rotate(random_() % 2);
    if (random_() % 2) Write();
    Trace("start");
    Start();
  }

  void Write() {
    const int lines = 1 + static_cast<int>(random_() % 300);
    std::string text;
    for (int i = 0; i < lines; ++i) {
      ++model_.lines;
      if (random_() % 4 == 0) {
        ++model_.errors;
        text += "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007,\"RequestId\":\"" +
                std::to_string(model_.lines) + "\"}\n";
      } else {
        text += "I/liteav: [I][trtc.cc:128] fps:15 port:8000 seq:" + std::to_string(model_.lines) +
                std::string(random_() % 80, 'x') + "\n";
      }
    }
    t::AppendFile(log_, text);
    Trace("write " + std::to_string(lines));
  }

  void Rotate(bool compress) {
    const std::string rotated = log_ + "." + std::to_string(++rotations_);
    if (::rename(log_.c_str(), rotated.c_str()) != 0) return;  // nothing to rotate
    t::WriteFile(log_, "");
    if (compress) {
      // A late writer that still appends to the rotated file before gzip runs.
      if (random_() % 2) {
        ++model_.lines;
        t::AppendFile(rotated, "late line " + std::to_string(model_.lines) + " code: -2\n");
        ++model_.errors;
      }
      ASSERT_EQ(t::RunCommand({"/bin/gzip", rotated}).status, 0);
    }
    Trace(compress ? "rotate+gzip" : "rotate");
  }

  void CopyTruncate() {
    const std::string copy = log_ + "." + std::to_string(++rotations_);
    if (t::RunCommand({"/bin/cp", log_, copy}).status != 0) return;
    ::truncate(log_.c_str(), 0);
    Trace("copytruncate");
  }

  // Destroys content: only once the daemon has counted all of it.
  void Truncate() {
    CheckCaughtUp();
    ::truncate(log_.c_str(), 0);
    Trace("truncate");
  }

  void Delete() {
    CheckCaughtUp();
    ::unlink(log_.c_str());
    Trace("delete");
  }

  void CheckCaughtUp() {
    double lines = -1, errors = -1;
    const bool caught_up = t::WaitFor(
        [&] {
          auto r = t::HttpGet(port_, "/metrics");
          if (r.status != 200) return false;
          lines = t::MetricValue(r.body, "errpulse_lines_total");
          errors = t::MetricValue(r.body, "errpulse_errors_total");
          EXPECT_GE(lines, last_lines_) << "lines went backwards; seed " << seed_ << ": " << trace_;
          last_lines_ = lines;
          return lines >= static_cast<double>(model_.lines);
        },
        std::chrono::seconds(15));
    std::this_thread::sleep_for(milliseconds(50));
    auto r = t::HttpGet(port_, "/metrics");
    lines = t::MetricValue(r.body, "errpulse_lines_total");
    errors = t::MetricValue(r.body, "errpulse_errors_total");
    EXPECT_TRUE(caught_up) << "seed " << seed_ << ": " << trace_ << "\n" << daemon_->Log();
    ASSERT_EQ(lines, static_cast<double>(model_.lines))
        << "seed " << seed_ << ": " << trace_ << "\n" << earlier_logs_ << daemon_->Log();
    ASSERT_EQ(errors, static_cast<double>(model_.errors)) << "seed " << seed_ << ": " << trace_;
    Trace("checked");
  }

  t::TempDir dir_;
  std::string log_;
  int port_ = 0;
  std::mt19937 random_;
  unsigned seed_;
  Model model_;
  int rotations_ = 0;
  double last_lines_ = 0;
  std::string trace_;
  std::string earlier_logs_;  // of the daemons stopped so far
  std::unique_ptr<t::DaemonProcess> daemon_;
  milliseconds spacing_{20};
};

TEST(ModelBased, RandomSequencesMatchTheModel) {
  std::vector<unsigned> seeds = {1, 2, 3, 4, 5};
  const char* extra = std::getenv("ERRPULSE_MODEL_SEEDS");
  if (const char* only = std::getenv("ERRPULSE_MODEL_SEED")) seeds = {static_cast<unsigned>(std::strtoul(only, nullptr, 10))};
  std::random_device device;
  for (int i = 0; extra && i < std::atoi(extra); ++i) seeds.push_back(device());
  for (unsigned seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Experiment(seed).Run(40);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace errpulse
