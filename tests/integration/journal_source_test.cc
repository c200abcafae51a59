// The journal source, end to end: the real errpulsed following journal files
// that systemd-journal-remote writes (as journald would; there is no journald
// on CI), with exact counts over real scrapes — unit and identifier filters,
// SIGKILL and restart while entries keep arriving, rotation while running
// and while stopped, a cursor whose entry was vacuumed, a directory that
// appears after the start. Every "not counted" is proved by a marker entry
// that the same source counts after it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_harness.h"
#include "support/journal_files.h"
#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using ept::Daemon;
using ept::JournalTestEntry;
using ept::LiveJournalFile;
using ept::Src;
using ept::Value;
using ept::WaitMetric;

constexpr const char* kRateLimited = "POST /v4/live_engine_http_srv/get_room_info failed, "
                                     "ErrorCode: 60007, rate over limit";
constexpr const char* kInfo = "room 4242 heartbeat ok, 12 members";

// Entry `seq` (its time grows with seq) of `unit`: an error every `every`-th.
JournalTestEntry Entry(uint64_t seq, const std::string& unit, bool error,
                       const std::string& identifier = "app-server") {
  return ept::MakeJournalEntry(seq, error ? kRateLimited : kInfo, unit, identifier);
}

// A journal source's YAML.
std::string JournalSourceYaml(const std::string& name, const std::string& directory,
                          const std::string& selection, const std::string& start_at) {
  return "  - name: " + name + "\n    journal:\n      directory: " + directory + "\n" +
         selection + "    start_at: " + start_at + "\n";
}

std::string Body(const std::string& sources) {
  return "poll_interval: 200ms\nsources:\n" + sources;
}

double Errors(int port, const std::string& source) {
  return Value(port, "errpulse_errors_total", {Src(source), "code=\"60007\""});
}

// Each test: a directory of its own, with `journal/` for the journal files.
class JournalSource : public ::testing::Test {
 protected:
  void SetUp() override {
    ERRPULSE_REQUIRE_JOURNAL_REMOTE();
    ASSERT_EQ(::mkdir(jdir.c_str(), 0755), 0);
  }
  ept::TempDir dir;
  const std::string jdir = dir.File("journal");
};

TEST_F(JournalSource, CountsTheSelectedUnitsAndIdentifiersOnly) {
  LiveJournalFile live(jdir + "/live.journal");
  ASSERT_EQ(live.error(), "");
  const std::string body = Body(
      JournalSourceYaml("app", jdir, "      units: [app-server.service]\n", "beginning") +
      JournalSourceYaml("worker", jdir, "      identifiers: [room-worker]\n", "beginning") +
      JournalSourceYaml("both", jdir,
                    "      units: [app-server.service]\n      identifiers: [room-worker]\n",
                    "beginning") +
      JournalSourceYaml("nothing", jdir, "      units: [no-such.service]\n", "beginning") +
      JournalSourceYaml("all", jdir, "", "beginning"));
  Daemon daemon(dir, body);
  ASSERT_TRUE(daemon.Start());
  std::vector<JournalTestEntry> entries;
  uint64_t seq = 1;
  for (int i = 0; i < 30; ++i) entries.push_back(Entry(seq++, "app-server.service", i % 3 == 0));
  for (int i = 0; i < 12; ++i) entries.push_back(Entry(seq++, "other.service", true));
  for (int i = 0; i < 8; ++i)
    entries.push_back(Entry(seq++, "app-server.service", true, "room-worker"));
  for (int i = 0; i < 5; ++i) entries.push_back(Entry(seq++, "cron.service", true, "room-worker"));
  ASSERT_TRUE(live.Append(entries));
  // The markers: one entry each source takes, after everything above.
  ASSERT_TRUE(live.Append({Entry(seq++, "no-such.service", false, "marker"),
                           Entry(seq++, "app-server.service", false, "room-worker")}));
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("nothing")}, 1)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("all")}, 57)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 39)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("worker")}, 14)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("both")}, 9)) << daemon.Log();
  EXPECT_EQ(Errors(port, "nothing"), 0);  // 25 errors of other units were before its marker
  EXPECT_EQ(Errors(port, "app"), 10 + 8);
  EXPECT_EQ(Errors(port, "worker"), 8 + 5);
  EXPECT_EQ(Errors(port, "both"), 8);
  EXPECT_EQ(Errors(port, "all"), 10 + 12 + 8 + 5);
  EXPECT_EQ(Value(port, "errpulse_files_open", {Src("app")}), 1);
  EXPECT_EQ(Value(port, "errpulse_read_errors_total", {Src("app")}), 0);
  // The status page lists the journal like a followed file.
  const std::string status = ept::HttpGet(port, "/api/v1/status").body;
  EXPECT_NE(status.find("\"format\":\"journal\""), std::string::npos) << status;
  EXPECT_EQ(live.Close(), "");
}

// SIGKILL twice and a clean stop while a writer keeps appending: every entry
// is counted exactly once, the cursor having been committed with the counts.
TEST_F(JournalSource, ExactAcrossSigkillAndRestartWhileEntriesArrive) {
  LiveJournalFile live(jdir + "/live.journal");
  ASSERT_EQ(live.error(), "");
  const std::string body = Body(JournalSourceYaml("app", jdir, "", "beginning"));
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  constexpr int kBatches = 120, kPerBatch = 25;
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    uint64_t seq = 1;
    for (int b = 0; b < kBatches; ++b) {
      std::vector<JournalTestEntry> batch;
      for (int i = 0; i < kPerBatch; ++i, ++seq) batch.push_back(Entry(seq, "app.service", seq % 4 == 0));
      if (!live.Append(batch)) writer_failed = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(8));
    }
  });
  for (int signal : {SIGKILL, SIGKILL, SIGTERM}) {
    ASSERT_TRUE(ept::WaitMetricPred(daemon->port(), "errpulse_lines_total", {Src("app")},
                                    [](double v) { return v > 0; }, "some entries counted"))
        << daemon->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // more arrive meanwhile
    daemon->Stop(signal);
    daemon = std::make_unique<Daemon>(dir, body);
    ASSERT_TRUE(daemon->Start()) << "restart after signal " << signal;
  }
  writer.join();
  ASSERT_FALSE(writer_failed) << live.Log();
  constexpr int kTotal = kBatches * kPerBatch;
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, kTotal,
                         std::chrono::seconds(20)))
      << daemon->Log();
  EXPECT_EQ(Errors(daemon->port(), "app"), kTotal / 4);
  EXPECT_EQ(Value(daemon->port(), "errpulse_files_lost_total", {Src("app")}), 0);
  EXPECT_EQ(live.Close(), "");
}

// journald rotates by renaming the active file and starting a new one; the
// reader goes on through the new file. While running, and while stopped.
TEST_F(JournalSource, RotationWhileRunningAndWhileStoppedLosesAndRepeatsNothing) {
  const std::string active = jdir + "/system.journal";
  const std::string body = Body(JournalSourceYaml("app", jdir, "", "beginning"));
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  uint64_t seq = 1;
  const auto write_file = [&](int entries, int errors) {
    std::vector<JournalTestEntry> batch;
    for (int i = 0; i < entries; ++i, ++seq) batch.push_back(Entry(seq, "app.service", i < errors));
    LiveJournalFile live(active);
    ASSERT_TRUE(live.Append(batch));
    ASSERT_TRUE(live.WaitForEntries(static_cast<size_t>(entries)));
    ASSERT_EQ(live.Close(), "");
  };
  const auto rotate = [&](int n) {
    const std::string archived = jdir + "/system@" + std::to_string(n) + ".journal";
    ASSERT_EQ(std::rename(active.c_str(), archived.c_str()), 0);
  };
  write_file(40, 10);
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 40)) << daemon->Log();
  rotate(1);
  write_file(25, 5);  // the new active file, while running
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 65)) << daemon->Log();
  EXPECT_EQ(Errors(daemon->port(), "app"), 15);
  EXPECT_GE(Value(daemon->port(), "errpulse_file_rotations_total", {Src("app")}), 1);
  daemon->Stop(SIGTERM);
  daemon.reset();
  // While stopped: more entries, a rotation, more entries in the next file.
  write_file(10, 2);
  rotate(2);
  write_file(7, 7);
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 82)) << daemon->Log();
  EXPECT_EQ(Errors(daemon->port(), "app"), 24);
  EXPECT_EQ(Value(daemon->port(), "errpulse_files_lost_total", {Src("app")}), 0);
}

// The file holding the committed cursor's entry is vacuumed while errpulse is
// stopped: the loss is logged and counted, and reading goes on from the
// oldest entry still there, each counted once.
TEST_F(JournalSource, AVacuumedCursorIsCountedAndReadingGoesOnFromTheOldest) {
  std::vector<JournalTestEntry> first, second;
  for (uint64_t seq = 1; seq <= 20; ++seq) first.push_back(Entry(seq, "app.service", seq <= 5));
  for (uint64_t seq = 21; seq <= 32; ++seq) second.push_back(Entry(seq, "app.service", seq <= 24));
  ASSERT_EQ(ept::WriteJournalFile(jdir + "/system@1.journal", first), "");
  const std::string body = Body(JournalSourceYaml("app", jdir, "", "beginning"));
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 20)) << daemon->Log();
  daemon->Stop(SIGTERM);
  daemon.reset();
  ASSERT_EQ(ept::WriteJournalFile(jdir + "/system.journal", second), "");
  ASSERT_EQ(std::remove((jdir + "/system@1.journal").c_str()), 0);  // vacuumed
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 32)) << daemon->Log();
  EXPECT_EQ(Errors(daemon->port(), "app"), 5 + 4);
  EXPECT_EQ(Value(daemon->port(), "errpulse_files_lost_total", {Src("app")}), 1);
  EXPECT_NE(daemon->Log().find("no longer in"), std::string::npos) << daemon->Log();
}

// A journal directory that is not there at start (a container not started
// yet) is read from its beginning once it appears, start_at: end
// notwithstanding: all of it is new.
TEST_F(JournalSource, ADirectoryThatAppearsLaterIsReadWhole) {
  const std::string later = dir.File("later");
  const std::string body = Body(JournalSourceYaml("app", later, "", "end"));
  Daemon daemon(dir, body);
  ASSERT_TRUE(daemon.Start());
  EXPECT_EQ(Value(daemon.port(), "errpulse_files_open", {Src("app")}), 0);
  ASSERT_EQ(::mkdir(later.c_str(), 0755), 0);
  std::vector<JournalTestEntry> entries;
  for (uint64_t seq = 1; seq <= 9; ++seq) entries.push_back(Entry(seq, "app.service", seq % 3 == 0));
  ASSERT_EQ(ept::WriteJournalFile(later + "/system.journal", entries), "");
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_lines_total", {Src("app")}, 9)) << daemon.Log();
  EXPECT_EQ(Errors(daemon.port(), "app"), 3);
  EXPECT_EQ(Value(daemon.port(), "errpulse_files_open", {Src("app")}), 1);
  EXPECT_NE(daemon.Log().find("does not exist yet"), std::string::npos) << daemon.Log();
}

// start_at: end skips what is there at the first start; a restart then goes
// on from the cursor, not from the new end.
TEST_F(JournalSource, StartAtEndSkipsTheBacklogOnlyAtTheFirstStart) {
  LiveJournalFile live(jdir + "/live.journal");
  uint64_t seq = 1;
  std::vector<JournalTestEntry> old;
  for (int i = 0; i < 15; ++i, ++seq) old.push_back(Entry(seq, "app.service", true));
  ASSERT_TRUE(live.Append(old));
  ASSERT_TRUE(live.WaitForEntries(15));
  const std::string body = Body(JournalSourceYaml("app", jdir, "", "end"));
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(live.Append({Entry(seq++, "app.service", true)}));  // the marker
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 1)) << daemon->Log();
  daemon->Stop(SIGTERM);
  daemon.reset();
  std::vector<JournalTestEntry> while_stopped;
  for (int i = 0; i < 6; ++i, ++seq) while_stopped.push_back(Entry(seq, "app.service", i < 2));
  ASSERT_TRUE(live.Append(while_stopped));
  ASSERT_TRUE(live.WaitForEntries(22));
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("app")}, 7)) << daemon->Log();
  EXPECT_EQ(Errors(daemon->port(), "app"), 3);
  EXPECT_EQ(live.Close(), "");
}

// `errpulsed replay --journal-file` counts a journal as the daemon does, and
// as the naive pipe through journalctl does.
TEST_F(JournalSource, ReplayJournalFileCountsLikeTheDaemon) {
  std::vector<JournalTestEntry> entries;
  for (uint64_t seq = 1; seq <= 50; ++seq)
    entries.push_back(Entry(seq, seq % 2 ? "app.service" : "other.service", seq % 5 == 0));
  entries.push_back(ept::MakeJournalEntry(51, "two\nlines ErrorCode: 60007", "app.service"));
  const std::string file = dir.File("system.journal");
  ASSERT_EQ(ept::WriteJournalFile(file, entries), "");
  ept::WriteFile(dir.File("errpulse.yaml"),
                 "sources:\n" + JournalSourceYaml("app", dir.path(), "      units: [app.service]\n",
                                              "beginning"));
  auto all = ept::RunCommand({ERRPULSED_PATH, "replay", "--no-alerts", "--json", "--config",
                              dir.File("errpulse.yaml"), "--journal-file", file});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_NE(all.out.find("\"lines\":51,\"errors\":11,"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("\"format\":\"journal\""), std::string::npos) << all.out;
  auto app = ept::RunCommand({ERRPULSED_PATH, "replay", "--no-alerts", "--json", "--config",
                              dir.File("errpulse.yaml"), "--source", "app", "--journal-file",
                              file});
  ASSERT_EQ(app.status, 0) << app.err;
  // app.service: the odd entries (25, 5 of them errors) and the two-line one.
  EXPECT_NE(app.out.find("\"lines\":26,\"errors\":6,"), std::string::npos) << app.out;
  auto missing = ept::RunCommand({ERRPULSED_PATH, "replay", "--no-alerts", "--config",
                                  dir.File("errpulse.yaml"), "--journal-file",
                                  dir.File("nope.journal")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("nope.journal"), std::string::npos) << missing.err;
}

}  // namespace
