// The logrotate + SIGKILL stress test: a writer at >= 20,000 lines/s, real
// `logrotate` rotating every 300 ms, and the real daemon killed with SIGKILL
// and restarted several times. At the end every written line and every
// written error must be counted exactly once, and no counter may ever have
// gone backwards in any scrape, across restarts included.
#include <fcntl.h>
#include <glob.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <thread>

#include <zlib.h>

#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Error codes the writer uses: uncatalogued server-range codes, each with its
// own series (max_unknown_codes is raised to fit).
constexpr int kFirstCode = 190000;
constexpr int kDistinctCodes = 1000;

// Appends lines to `path` at a steady rate. Like a real program told to reopen
// its log only now and then, it keeps writing to the renamed file for up to
// `reopen_every` after a rotation (never reopens when that is zero:
// copytruncate writers just keep their descriptor).
class Writer {
 public:
  Writer(std::string path, int lines_per_second, milliseconds reopen_every)
      : path_(std::move(path)), rate_(lines_per_second), reopen_every_(reopen_every) {}

  void Start() { thread_ = std::thread([this] { Run(); }); }
  void Stop() {
    stop_ = true;
    thread_.join();
  }
  uint64_t lines() const { return lines_; }
  uint64_t errors() const { return errors_; }
  uint64_t lines_to_deleted_files() const { return to_deleted_; }
  std::map<int, uint64_t> written_by_code() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return written_by_code_;
  }

 private:
  void Run() {
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    const auto start = Clock::now();
    auto last_reopen = start;
    char line[160];
    std::string batch;
    while (!stop_) {
      // Catch up to the rate in batches of whole lines (one write each batch).
      const auto due = static_cast<uint64_t>(
          std::chrono::duration<double>(Clock::now() - start).count() * rate_);
      batch.clear();
      while (lines_ < due && batch.size() < 32 * 1024) {
        const uint64_t n = lines_++;
        int len;
        if (n % 10 == 0) {
          // Error lines carry one of kDistinctCodes codes, in turn, so the
          // per-code counts show a line counted twice even where another
          // line of the run was lost.
          const int code = kFirstCode + static_cast<int>((n / 10) % kDistinctCodes);
          ++errors_;
          {
            std::lock_guard<std::mutex> lock(mutex_);
            ++written_by_code_[code];
          }
          len = std::snprintf(line, sizeof(line),
                              "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":%d,\"RequestId\":\"Id-%llu\"}\n",
                              code, static_cast<unsigned long long>(n));
        } else {
          len = std::snprintf(line, sizeof(line),
                              "I/liteav (27728): [I][trtc_pipeline2.cc:128] fps:15 port:8000 seq:%llu\n",
                              static_cast<unsigned long long>(n));
        }
        batch.append(line, static_cast<size_t>(len));
      }
      if (!batch.empty() && ::write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size()))
        ADD_FAILURE() << "short write";
      // Lines that went to a file logrotate had already compressed and
      // deleted: only a reader holding it open can still see them.
      struct stat st;
      if (!batch.empty() && ::fstat(fd, &st) == 0 && st.st_nlink == 0)
        to_deleted_ += static_cast<uint64_t>(std::count(batch.begin(), batch.end(), '\n'));
      if (reopen_every_.count() > 0 && Clock::now() - last_reopen >= reopen_every_) {
        last_reopen = Clock::now();
        ::close(fd);
        fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    ::close(fd);
  }

  std::string path_;
  int rate_;
  milliseconds reopen_every_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> to_deleted_{0};
  mutable std::mutex mutex_;
  std::map<int, uint64_t> written_by_code_;
  std::thread thread_;
};

// Runs `logrotate -f` on a config every `interval` until stopped.
class Rotator {
 public:
  Rotator(std::string config, std::string state, milliseconds interval)
      : config_(std::move(config)), state_(std::move(state)), interval_(interval) {}
  void Start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        std::this_thread::sleep_for(interval_);
        auto r = t::RunCommand({"/usr/sbin/logrotate", "-f", "-s", state_, config_});
        if (r.status != 0) {
          ADD_FAILURE() << "logrotate failed: " << r.err;
          return;
        }
        ++rotations_;
      }
    });
  }
  void Stop() {
    stop_ = true;
    thread_.join();
  }
  int rotations() const { return rotations_; }

 private:
  std::string config_, state_;
  milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<int> rotations_{0};
  std::thread thread_;
};

struct Observed {
  double lines = 0;
  double errors = 0;
  std::map<int, uint64_t> by_code;
};

// Scrapes the daemon; every value must be >= the last one seen, whichever
// daemon process served it.
class MonotonicWatch {
 public:
  bool Scrape(int port, Observed* now) {
    auto r = t::HttpGet(port, "/metrics");
    if (r.status != 200) return false;
    now->lines = t::MetricValue(r.body, "errpulse_lines_total");
    now->errors = t::MetricValue(r.body, "errpulse_errors_total");
    now->by_code.clear();
    for (const auto& [series, value] : t::ParseMetrics(r.body)) {
      const size_t at = series.find("code=\"");
      if (series.rfind("errpulse_errors_total{", 0) != 0 || at == std::string::npos || value == 0)
        continue;
      now->by_code[std::atoi(series.c_str() + at + 6)] = static_cast<uint64_t>(value);
    }
    EXPECT_GE(now->lines, last_.lines) << "errpulse_lines_total went backwards";
    EXPECT_GE(now->errors, last_.errors) << "errpulse_errors_total went backwards";
    last_ = *now;
    ++scrapes_;
    return true;
  }
  int scrapes() const { return scrapes_; }

 private:
  Observed last_;
  int scrapes_ = 0;
};

// With ERRPULSE_TEST_LOG_DIR set, the daemons' logs are kept there for a
// post-mortem (the test's own directory is removed when it ends).
void KeepLog(const std::string& log) {
  const char* dir = std::getenv("ERRPULSE_TEST_LOG_DIR");
  if (!dir || !*dir) return;
  t::AppendFile(std::string(dir) + "/" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".log",
                log + "---- daemon stopped ----\n");
}

// Lines present on disk now in `dir`'s app.log and all its rotations,
// decompressing the .gz ones: what any reader could still count.
uint64_t LinesOnDisk(const std::string& dir) {
  uint64_t lines = 0;
  glob_t matches{};
  ::glob((dir + "/app.log*").c_str(), 0, nullptr, &matches);
  for (size_t i = 0; i < matches.gl_pathc; ++i) {
    gzFile file = gzopen(matches.gl_pathv[i], "rb");
    char buffer[1 << 16];
    int n;
    while ((n = gzread(file, buffer, sizeof(buffer))) > 0)
      lines += static_cast<uint64_t>(std::count(buffer, buffer + n, '\n'));
    gzclose(file);
  }
  ::globfree(&matches);
  return lines;
}

struct StressResult {
  uint64_t written_lines = 0, written_errors = 0, written_to_deleted = 0, on_disk = 0;
  std::map<int, uint64_t> written_by_code, counted_by_code;
  // Codes counted more often than written: a line counted twice.
  int CodesCountedTwice() const {
    int twice = 0;
    for (const auto& [code, n] : counted_by_code) {
      auto it = written_by_code.find(code);
      if (it == written_by_code.end() || n > it->second) ++twice;
    }
    return twice;
  }
  double counted_lines = 0, counted_errors = 0;
  int rotations = 0, kills = 0, scrapes = 0;
};

StressResult RunStress(const std::string& logrotate_directives, milliseconds writer_reopen) {
  t::TempDir dir;
  const std::string log = dir.File("app.log");
  t::WriteFile(dir.File("logrotate.conf"), log + " {\n  rotate 1000\n  missingok\n" +
                                               logrotate_directives + "}\n");
  const int port = t::FreePort();
  t::WriteFile(dir.File("errpulse.yaml"),
               "listen: 127.0.0.1:" + std::to_string(port) + "\nstate_dir: " + dir.File("state") +
                   "\npoll_interval: 250ms\nmax_unknown_codes: " +
                   std::to_string(kDistinctCodes) + "\nsources:\n  - name: app\n    paths: [" + log +
                   "]\n    start_at: beginning\n");
  t::WriteFile(log, "");
  Writer writer(log, 20000, writer_reopen);
  Rotator rotator(dir.File("logrotate.conf"), dir.File("logrotate.state"), milliseconds(300));
  MonotonicWatch watch;
  StressResult result;
  Observed now;

  writer.Start();
  rotator.Start();
  const auto run_until = Clock::now() + std::chrono::seconds(12);
  while (Clock::now() < run_until) {
    t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
    EXPECT_TRUE(t::WaitFor([&] { return t::HttpGet(port, "/-/ready").status == 200; }))
        << daemon.Log();
    const auto kill_at = Clock::now() + milliseconds(1500 + 500 * result.kills);
    while (Clock::now() < kill_at) {
      watch.Scrape(port, &now);
      std::this_thread::sleep_for(milliseconds(50));
    }
    daemon.StopWith(SIGKILL);
    KeepLog(daemon.Log() + "state at the kill:\n" + t::ReadFile(dir.File("state/state")) +
            "\nfiles at the kill:\n" + t::RunCommand({"/bin/ls", "-li", dir.path()}).out);
    ++result.kills;
    std::this_thread::sleep_for(milliseconds(400));  // rotations go on while it is down
  }
  writer.Stop();
  rotator.Stop();
  result.written_lines = writer.lines();
  result.written_errors = writer.errors();
  result.written_to_deleted = writer.lines_to_deleted_files();
  result.written_by_code = writer.written_by_code();
  result.on_disk = LinesOnDisk(dir.path());
  result.rotations = rotator.rotations();

  // The last start: it must catch up with everything, and then stay there.
  t::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  // Until it has everything, or makes no progress for 3 s (then it never will).
  double last_lines = -1;
  auto last_progress = Clock::now();
  while (Clock::now() - last_progress < std::chrono::seconds(3)) {
    if (watch.Scrape(port, &now) && now.lines != last_lines) {
      last_lines = now.lines;
      last_progress = Clock::now();
    }
    if (now.lines >= result.written_lines) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(milliseconds(800));  // anything extra would show up by now
  watch.Scrape(port, &now);
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0) << daemon.Log();
  KeepLog(daemon.Log());
  result.counted_lines = now.lines;
  result.counted_errors = now.errors;
  result.counted_by_code = now.by_code;
  result.scrapes = watch.scrapes();
  std::printf("written %llu lines (%llu errors), %llu on disk, counted %.0f lines (%.0f errors); "
              "%d rotations, %d SIGKILLs, %d scrapes\n",
              static_cast<unsigned long long>(result.written_lines),
              static_cast<unsigned long long>(result.written_errors),
              static_cast<unsigned long long>(result.on_disk), result.counted_lines,
              result.counted_errors, result.rotations, result.kills, result.scrapes);
  return result;
}

TEST(RotationStress, CreateCompressDelaycompressWithSigkillsIsExact) {
  const auto r = RunStress("  create\n  compress\n  delaycompress\n", milliseconds(50));
  EXPECT_GE(r.written_lines, 200000u) << "the writer fell short of 20,000 lines/s";
  EXPECT_GE(r.rotations, 20);
  EXPECT_GE(r.kills, 4);
  EXPECT_EQ(r.counted_lines, static_cast<double>(r.written_lines));
  EXPECT_EQ(r.counted_errors, static_cast<double>(r.written_errors));
  EXPECT_EQ(r.on_disk, r.written_lines);
  EXPECT_EQ(r.counted_by_code, r.written_by_code);
  ::testing::Test::RecordProperty("written_lines", std::to_string(r.written_lines));
  ::testing::Test::RecordProperty("counted_lines", std::to_string(r.counted_lines));
}

TEST(RotationStress, CreateCompressWithoutDelayLosesOnlyLinesWrittenAfterDeletion) {
  // The rotated file is compressed (a new inode) right away: after a restart
  // its rest must be read from the .gz. The writer reopens only every 50 ms,
  // so it keeps appending to a file gzip has already read and deleted: while
  // errpulse runs it holds that file open and reads them; while errpulse is
  // killed they exist nowhere on disk. That, and only that, may be missing.
  const auto r = RunStress("  create\n  compress\n", milliseconds(50));
  EXPECT_LE(r.counted_lines, static_cast<double>(r.written_lines)) << "a line was counted twice";
  EXPECT_LE(r.counted_errors, static_cast<double>(r.written_errors));
  EXPECT_EQ(r.CodesCountedTwice(), 0);
  const double lost = static_cast<double>(r.written_lines) - r.counted_lines;
  std::printf("compress without delaycompress: %.0f lines lost; %llu lines were written to "
              "files already compressed and deleted\n",
              lost, static_cast<unsigned long long>(r.written_to_deleted));
  EXPECT_LE(lost, static_cast<double>(r.written_to_deleted));
  EXPECT_GE(r.counted_lines, static_cast<double>(r.on_disk)) << "a line on disk was not counted";
}

TEST(RotationStress, CopytruncateNeverDuplicatesAndLosesOnlyItsOwnRace) {
  const auto r = RunStress("  copytruncate\n  compress\n  delaycompress\n", milliseconds(0));
  // No line is ever counted twice...
  EXPECT_LE(r.counted_lines, static_cast<double>(r.written_lines));
  EXPECT_LE(r.counted_errors, static_cast<double>(r.written_errors));
  EXPECT_EQ(r.CodesCountedTwice(), 0);
  // ...and every line that survived on disk is counted, plus those read
  // live before copytruncate truncated them away: what is lost is what
  // copytruncate itself drops (lines written between its copy and its
  // truncate, on disk nowhere) that errpulse had not read yet. Reported.
  EXPECT_GE(r.counted_lines, static_cast<double>(r.on_disk));
  const double lost = static_cast<double>(r.written_lines) - r.counted_lines;
  std::printf("copytruncate loss: %.0f of %llu lines (%.4f%%) over %d rotations; copytruncate "
              "itself dropped %llu\n",
              lost, static_cast<unsigned long long>(r.written_lines),
              100.0 * lost / static_cast<double>(r.written_lines), r.rotations,
              static_cast<unsigned long long>(r.written_lines - r.on_disk));
  ::testing::Test::RecordProperty("copytruncate_lost_lines", std::to_string(lost));
}

}  // namespace
}  // namespace errpulse
