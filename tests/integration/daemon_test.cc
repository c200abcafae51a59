// Integration tests: the real errpulsed binary, real files in a temporary
// directory, real HTTP scrapes of /metrics, exact counts.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_harness.h"
#include "support/test_support.h"

extern char** environ;

namespace {

namespace ept = errpulse::testing;
using ept::Daemon;
using ept::ErrorSeriesIs;
using ept::Join;
using ept::Label;
using ept::Repeat;
using ept::Scrape;
using ept::Series;
using ept::SourceYaml;
using ept::Src;
using ept::Value;
using ept::WaitMetric;
using ept::WaitMetricAtLeast;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// 1. Exact counts on a mixed log.

struct Expected {
  std::string code, domain, category;
  int count;
};

TEST(DaemonTest, ExactCountsOnMixedLog) {
  ept::TempDir dir;
  const std::vector<std::string> lines = {
      R"({"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"rate limited"})",
      R"(I/liteav  (27728): [I][12-26/17:15:06.702+8.0][27728,6304][trtc_room.cc:128][trtc-api][3:1f00]enterRoom sdkAppId:1400000000 roomId:100001 userId:u_1832 scene:1 role:20)",
      R"({"ActionStatus":"FAIL","ErrorInfo":"rate limited","ErrorCode":60007})",
      R"(E/liteav  (27728): callback onError(-2340, "max seat count exceeds the package limit"))",
      R"(request https://ipv6-datacenter.live.qcloud.com/liteav done, status code 404, cost 231ms)",
      R"({"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0})",
      R"(W/liteav  (27728): sendSeatInvitation failed, code:-2, message:request is throttled)",
      R"(03-15 17:19:55.202 27639-27684/com.hold.rtc D/TRTCCloudImpl: trtc_api setVideoEncoderParam->width:368, height:640, fps:15, bitrate:450)",
      R"([TRtcSignaling.cpp, operator, 1255]:Signal: prepareInfoServerIP byHost: ip:203.195.200.29 port:8000 type:0)",
      R"({"ActionStatus":"FAIL","ErrorCode":60002,"ErrorInfo":"HTTP parse Error"})",
      R"(I/liteav  (27728): [I][12-26/17:15:05.120+8.0][27728,6304][room_engine_impl.cc:240][room-engine][3:1f00]createRoom callback, code:0, roomId:100001)",
      R"([TRTCNetwork.cpp, operator, 903]:TRTCNetwork: set video encode config:stream:2 br:450 fps:15 width:368 height:640,codecMode:0)",
      R"(E/liteav  (27728): openLocalCamera failed, code:-1101, message:camera not authorized)",
      R"(E/liteav  (27728): createRoom server rsp errorCode:100001 errorMessage:server busy)",
      R"(recv enter room rsp, seq:117836060 cost:60007ms)",
      R"(sync failed, code: 8010)",
      R"(I/TXHttpRequest(22521): TXPostRequest->result: 0|)",
      R"({"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"rate limited"})",
      R"(onUserVideoAvailable userId:u_60007 available:1)",
      R"(W/liteav  (27728): takeSeat failed, code:-2, message:request is throttled)",
      R"(upstream bitrate:450 fps:15 rtt:42 loss:0 jitter:3)",
      R"({"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"not in catalog"})",
      R"(onExitRoom reason:0)",
      R"(request done, http code 500, cost 231ms)",
      R"(E/liteav  (27728): callback onError(-2340, "again"))",
      R"({"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"Id-8c9858f01e954611ae2d4c1b1ed7d583-O-Seq-52720"})",
      R"(retry failed, code: 8010)",
      R"(Error Domain=NSPOSIXErrorDomain Code=-61 "Connection refused")",
      R"(E/liteav  (27728): createRoom server rsp errorCode:100001 errorMessage:server busy)",
      R"(login callback code:0 message:)",
      R"(onEnterRoom result:1532)",
      R"(W/liteav  (27728): code:-2, message:request is throttled)",
      R"(client failed, errCode:-9999 errMsg:uncatalogued client code)",
      R"({"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"rate limited"})",
      R"(exit code 1, zip code 10001)",
      R"(version 60007 build 100001)",
  };
  ASSERT_GE(lines.size(), 30u);
  const std::string log = dir.File("mixed.log");
  const std::string text = Join(lines);
  ept::WriteFile(log, text);

  Daemon daemon(dir, "sources:\n" + SourceYaml("mixed", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_read_bytes_total", {Src("mixed")},
                         static_cast<double>(text.size())))
      << daemon.Log();
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_lines_total", {Src("mixed")},
                         static_cast<double>(lines.size())));

  // The gauges are refreshed by the stat poll (default every 2 s).
  EXPECT_TRUE(WaitMetric(daemon.port(), "errpulse_lag_bytes", {Src("mixed")}, 0));
  const std::string m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src("mixed")}), 36);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("mixed")}), 4);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_unknown_codes_total", {Src("mixed")}), 4);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_files_open", {Src("mixed")}), 1);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lag_bytes", {Src("mixed")}), 0);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_read_bytes_total", {Src("mixed")}),
            static_cast<double>(text.size()));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_read_errors_total", {Src("mixed")}), 0);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_cut_total", {Src("mixed")}), 0);

  const std::vector<Expected> expected = {
      {"60007", "rest_common", "rate_limit", 4},
      {"60002", "rest_common", "invalid_request", 1},
      {"-2340", "client_seat", "billing", 2},
      {"-2", "client_general", "rate_limit", 3},
      {"-1101", "client_device", "device", 1},
      {"100001", "server_room", "internal", 2},
      // Not in the catalog: classified by range, category "unknown".
      {"8010", "unknown", "unknown", 2},
      {"70001", "rest_common", "unknown", 1},
      {"-9999", "client", "unknown", 1},
  };
  std::set<std::string> written;
  int total = 0;
  for (const auto& e : expected) {
    EXPECT_TRUE(ErrorSeriesIs(m, "mixed", e.code, e.domain, e.category, e.count));
    written.insert(Label("code", e.code));
    total += e.count;
  }
  EXPECT_EQ(total, 17);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("mixed")}), total);

  // Every catalogued code exists at 0; nothing else was counted.
  const auto all = Series(m, "errpulse_errors_total", {Src("mixed")});
  EXPECT_EQ(all.size(), 141u + 3u);  // the catalog plus 3 unknown codes
  for (const auto& [series, value] : all) {
    const size_t at = series.find("code=\"");
    const std::string code = series.substr(at, series.find('"', at + 6) + 1 - at);
    if (!written.count(code)) {
      EXPECT_EQ(value, 0) << series;
    }
  }
  EXPECT_TRUE(ErrorSeriesIs(m, "mixed", "-1", "client_general", "internal", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "mixed", "100002", "server_room", "invalid_request", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "mixed", "60006", "rest_common", "auth", 0));
  // Hard negatives did not create series.
  for (const std::string code : {"404", "500", "8000", "15", "1532", "-61", "10001", "1"})
    EXPECT_TRUE(Series(m, "errpulse_errors_total", {Src("mixed"), Label("code", code)}).empty())
        << code;

  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 2. Appending while running; a partial line waits for its newline.

TEST(DaemonTest, AppendWhileRunningAndPartialLine) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, Join({"code: -1", "plain line", R"({"ErrorCode":0})"}));
  Daemon daemon(dir, "sources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 3)) << daemon.Log();

  ept::AppendFile(log, Join({"E failed, code:-2, message:throttled", "fps:15 port:8000"}));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 5));
  std::string m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-2", "client_general", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("app")}), 1);

  // A partial line: not counted, and its bytes not either (the byte counter
  // follows the committed offsets, which stop where the partial line starts).
  const double size_before_partial = static_cast<double>(ept::ReadFile(log).size());
  ept::AppendFile(log, R"({"ActionStatus":"FAIL","ErrorCode":60007)");
  std::this_thread::sleep_for(milliseconds(300));
  m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_read_bytes_total", {Src("app")}), size_before_partial);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src("app")}), 5);
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "60007", "rest_common", "rate_limit", 0));

  // Its newline arrives: now it counts, once.
  ept::AppendFile(log, R"(,"ErrorInfo":"x"})" "\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 6));
  ASSERT_TRUE(WaitMetric(port, "errpulse_read_bytes_total", {Src("app")},
                         static_cast<double>(ept::ReadFile(log).size())));
  m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src("app")}), 6);
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "60007", "rest_common", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("app")}), 3);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("app")}), 1);

  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 3. start_at: end skips existing content, including a trailing partial line.

TEST(DaemonTest, StartAtEndSkipsExistingContentAndPartialLine) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  // Existing content: 5 complete lines, then half a line with a code in it.
  ept::WriteFile(log, Join({"code: -1", "code: -1", R"({"ErrorCode":0})",
                            R"({"ErrorCode":60007})", "code: 8010"}) +
                          "half a line, code: -2");
  // Default start_at is end; say it explicitly for one source and not the other.
  Daemon daemon(dir, "sources:\n" + SourceYaml("explicit", {log}, "end") +
                         SourceYaml("default", {log}));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("explicit")}, 1)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("default")}, 1));
  std::string m = daemon.Metrics();
  for (const std::string source : {"explicit", "default"}) {
    EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src(source)}), 0) << source;
    EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src(source)}), 0) << source;
  }

  // The rest of the half line (with another code), then two new lines.
  const std::string appended =
      " and its end, code: -3\n" + Join({"E failed, code:-1101", R"({"ErrorCode":0})"});
  ept::AppendFile(log, appended);
  for (const std::string source : {"explicit", "default"}) {
    ASSERT_TRUE(WaitMetric(port, "errpulse_read_bytes_total", {Src(source)},
                           static_cast<double>(appended.size())))
        << source;
    ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src(source)}, 2)) << source;
  }
  m = daemon.Metrics();
  for (const std::string source : {"explicit", "default"}) {
    EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src(source)}), 2) << source;
    EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src(source)}), 1) << source;
    EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src(source)}), 1) << source;
    EXPECT_TRUE(ErrorSeriesIs(m, source, "-1101", "client_device", "device", 1));
    EXPECT_TRUE(ErrorSeriesIs(m, source, "-1", "client_general", "internal", 0));
    EXPECT_TRUE(ErrorSeriesIs(m, source, "-2", "client_general", "rate_limit", 0));
    EXPECT_TRUE(ErrorSeriesIs(m, source, "-3", "client_general", "conflict", 0));
    EXPECT_TRUE(ErrorSeriesIs(m, source, "60007", "rest_common", "rate_limit", 0));
    EXPECT_EQ(ept::MetricValue(m, "errpulse_unknown_codes_total", {Src(source)}), 0);
  }
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 4. Files and directories that appear after the start.

TEST(DaemonTest, GlobPicksUpNewFilesAndLateDirectories) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("logs").c_str(), 0755), 0);
  const std::string old_log = dir.File("logs/old.log");
  ept::WriteFile(old_log, Repeat("code: -1", 4));
  Daemon daemon(dir, "poll_interval: 200ms\nsources:\n" +
                         SourceYaml("globbed", {dir.File("logs/*.log")}) +
                         SourceYaml("later", {dir.File("later/app.log")}) +
                         SourceYaml("laterglob", {dir.File("later2/*.log")}));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("globbed")}, 1)) << daemon.Log();
  EXPECT_EQ(Value(port, "errpulse_lines_total", {Src("globbed")}), 0);
  EXPECT_EQ(Value(port, "errpulse_files_open", {Src("later")}), 0);

  // A new file matching the glob: read from its beginning.
  ept::WriteFile(dir.File("logs/new.log"),
                 Join({"code: -2", R"({"ErrorCode":60007})", R"({"ErrorCode":0})"}));
  // Not matching the glob: ignored.
  ept::WriteFile(dir.File("logs/new.txt"), Repeat("code: -3", 5));
  // The existing file is followed from its end.
  ept::AppendFile(old_log, "code: -1101\n");

  // A directory that did not exist at the start, then a file in it.
  ASSERT_EQ(::mkdir(dir.File("later").c_str(), 0755), 0);
  ept::WriteFile(dir.File("later/app.log"), Join({"code: -4", "code: -4", "nothing here"}));
  ASSERT_EQ(::mkdir(dir.File("later2").c_str(), 0755), 0);
  ept::WriteFile(dir.File("later2/x.log"), Join({R"({"ErrorCode":100001})", "x"}));

  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("globbed")}, 4)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("later")}, 3)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("laterglob")}, 2)) << daemon.Log();

  // The gauges are refreshed by the stat poll (every 200 ms here).
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("globbed")}, 2));
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("later")}, 1));
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("laterglob")}, 1));
  const std::string m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "globbed", "-2", "client_general", "rate_limit", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "globbed", "60007", "rest_common", "rate_limit", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "globbed", "-1101", "client_device", "device", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "globbed", "-1", "client_general", "internal", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "globbed", "-3", "client_general", "conflict", 0));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("globbed")}), 1);

  EXPECT_TRUE(ErrorSeriesIs(m, "later", "-4", "client_room", "invalid_request", 2));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("later")}), 2);

  EXPECT_TRUE(ErrorSeriesIs(m, "laterglob", "100001", "server_room", "internal", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("laterglob")}), 1);

  // The late file keeps being followed.
  ept::AppendFile(dir.File("later/app.log"), "code: -4\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("later")}, 4));
  EXPECT_TRUE(ErrorSeriesIs(daemon.Metrics(), "later", "-4", "client_room", "invalid_request", 3));

  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 5. Rotation by rename + create.

TEST(DaemonTest, RotationByRenameAndCreate) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, Repeat("code: -1", 3));
  Daemon daemon(dir, "poll_interval: 200ms\nsources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 3)) << daemon.Log();

  // The writer keeps its descriptor across the rename, as applications do.
  const int writer = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  auto write_old = [&](const std::string& text) {
    ASSERT_EQ(::write(writer, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  };
  ASSERT_EQ(::rename(log.c_str(), dir.File("app.log.1").c_str()), 0);
  write_old(Repeat("code: -3", 2));  // right after the rename, into the old file
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 5)) << daemon.Log();

  // The new file at the path, read from its beginning.
  ept::WriteFile(log, Repeat("code: -4", 4));
  write_old("code: -3\n");  // a late write into the old file is still read
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 10)) << daemon.Log();
  std::string m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 3));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-3", "client_general", "conflict", 3));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-4", "client_room", "invalid_request", 4));
  EXPECT_GE(ept::MetricValue(m, "errpulse_file_rotations_total", {Src("app")}), 1)
      << "rename + create was not counted as a rotation";

  // Both files are open (the gauge follows the 200 ms poll) until the old one
  // is let go after its grace period (5 s); nothing is counted twice.
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 2)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 1, milliseconds(8000)))
      << daemon.Log();
  ept::AppendFile(log, "code: -4\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 11));
  m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 3));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-3", "client_general", "conflict", 3));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-4", "client_room", "invalid_request", 5));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("app")}), 11);
  ::close(writer);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 6. Truncation in place.

TEST(DaemonTest, TruncationInPlaceRestartsFromZero) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, Repeat(R"({"ActionStatus":"FAIL","ErrorInfo":"busy","ErrorCode":60007})", 5));
  Daemon daemon(dir, "poll_interval: 200ms\nsources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 5)) << daemon.Log();

  // copytruncate: truncate to 0, then the application writes on.
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  ept::AppendFile(log, Join({"code: -2", R"({"ErrorCode":0})"}));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 7)) << daemon.Log();
  ASSERT_TRUE(WaitMetricAtLeast(port, "errpulse_file_truncations_total", {Src("app")}, 1));
  ept::AppendFile(log, "code: -2\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 8));

  const std::string m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "60007", "rest_common", "rate_limit", 5));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-2", "client_general", "rate_limit", 2));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("app")}), 1);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_file_rotations_total", {Src("app")}), 0);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 7. The unknown-code cap.

TEST(DaemonTest, UnknownCodeCapFoldsIntoOther) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, Join({"code: 8001", "code: 8001", "code: 8002", "code: 8003", "code: 8004",
                            "code: 8004", "code: 8005", "code: -1"}));
  Daemon daemon(dir, "max_unknown_codes: 3\nsources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 8)) << daemon.Log();

  const std::string m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_unknown_codes_total", {Src("app")}), 7);
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "8001", "unknown", "unknown", 2));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "8002", "unknown", "unknown", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "8003", "unknown", "unknown", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "other", "unknown", "unknown", 3));
  EXPECT_TRUE(Series(m, "errpulse_errors_total", {Src("app"), Label("code", "8004")}).empty());
  EXPECT_TRUE(Series(m, "errpulse_errors_total", {Src("app"), Label("code", "8005")}).empty());
  EXPECT_EQ(Series(m, "errpulse_errors_total", {Src("app"), Label("category", "unknown")}).size(),
            4u);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("app"), Label("category", "unknown")}),
            7);
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 1));
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 8. A source limited to some rules.

TEST(DaemonTest, PerSourceRuleRestriction) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, Join({R"(E callback onError(-2340, x))", "W failed, code: -2",
                            R"(E callback onError(-2340, "again"))"}));
  Daemon daemon(dir, "sources:\n" + SourceYaml("restricted", {log}, "beginning", {"code_key"}) +
                         SourceYaml("all", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("restricted")}, 3)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("all")}, 3));

  const std::string m = daemon.Metrics();
  EXPECT_TRUE(ErrorSeriesIs(m, "restricted", "-2340", "client_seat", "billing", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "restricted", "-2", "client_general", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("restricted")}), 1);
  EXPECT_TRUE(ErrorSeriesIs(m, "all", "-2340", "client_seat", "billing", 2));
  EXPECT_TRUE(ErrorSeriesIs(m, "all", "-2", "client_general", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_errors_total", {Src("all")}), 3);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 9. HTTP endpoints, info metrics, signals.

TEST(DaemonTest, HttpEndpointsAndInfoMetrics) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, "");
  Daemon daemon(dir, "sources:\n" + SourceYaml("app", {log}));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();

  EXPECT_EQ(ept::HttpGet(port, "/-/healthy").status, 200);
  EXPECT_EQ(ept::HttpGet(port, "/-/ready").status, 200);
  EXPECT_EQ(ept::HttpGet(port, "/nope").status, 404);
  EXPECT_EQ(ept::HttpGet(port, "/metrics/extra").status, 404);
  EXPECT_EQ(ept::HttpGet(port, "/metrics?x=1").status, 200);
  const auto post = ept::HttpRaw(port,
                                 "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n");
  EXPECT_EQ(post.status, 405) << post.body;
  const auto head =
      ept::HttpRaw(port, "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200) << head.body;
  EXPECT_EQ(head.body.find("errpulse_"), std::string::npos) << "HEAD must have no body";

  const auto metrics = ept::HttpGet(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const std::string& m = metrics.body;
  const auto build = Series(m, "errpulse_build_info", {});
  ASSERT_EQ(build.size(), 1u) << m;
  EXPECT_EQ(build[0].second, 1);
  EXPECT_NE(build[0].first.find("version=\""), std::string::npos);
  EXPECT_NE(build[0].first.find("revision=\""), std::string::npos);
  const auto version = ept::RunCommand({ept::ErrpulsedPath(), "--version"});
  const size_t v = build[0].first.find("version=\"") + 9;
  const std::string version_label = build[0].first.substr(v, build[0].first.find('"', v) - v);
  EXPECT_NE(version.out.find("errpulsed " + version_label), std::string::npos) << version.out;

  const auto info = Series(m, "errpulse_code_info", {});
  EXPECT_EQ(info.size(), 141u);
  for (const auto& [series, value] : info) EXPECT_EQ(value, 1) << series;
  const auto rate_limited = Series(m, "errpulse_code_info", {Label("code", "60007")});
  ASSERT_EQ(rate_limited.size(), 1u);
  for (const auto& l : {Label("name", "RestApiError.REST_API_RATE_LIMITED"),
                        Label("domain", "rest_common"), Label("category", "rate_limit"),
                        Label("severity", "error")})
    EXPECT_NE(rate_limited[0].first.find(l), std::string::npos) << rate_limited[0].first;
  const auto freq = Series(m, "errpulse_code_info", {Label("code", "-2")});
  ASSERT_EQ(freq.size(), 1u);
  EXPECT_NE(freq[0].first.find(Label("name", "ERR_FREQ_LIMIT")), std::string::npos);

  // Every per-source series exists from the start.
  for (const std::string name :
       {"errpulse_lines_total", "errpulse_successes_total", "errpulse_unknown_codes_total",
        "errpulse_files_open", "errpulse_read_bytes_total", "errpulse_read_errors_total",
        "errpulse_lines_cut_total", "errpulse_file_rotations_total",
        "errpulse_file_truncations_total", "errpulse_lag_bytes"})
    EXPECT_EQ(Series(m, name, {Src("app")}).size(), 1u) << name;
  EXPECT_EQ(ept::MetricValue(m, "errpulse_files_open", {Src("app")}), 1);

  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
  EXPECT_EQ(ept::HttpGet(port, "/-/healthy").status, 0) << "still listening after SIGTERM";
}

TEST(DaemonTest, SigintExitsCleanly) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, "code: -1\n");
  Daemon daemon(dir, "sources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_lines_total", {Src("app")}, 1));
  EXPECT_EQ(daemon.Stop(SIGINT), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 10. Lines longer than max_line_bytes.

// A long line written whole (with its newline) before the daemon reads it.
TEST(DaemonTest, LongCompleteLineIsCut) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  const std::string long_line = "long " + std::string(3000, 'x') + " code: -3";
  ept::WriteFile(log, Join({"code: -1", long_line, "code: -2", R"({"ErrorCode":0})"}));
  Daemon daemon(dir, "max_line_bytes: 1024\nsources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_read_bytes_total", {Src("app")},
                         static_cast<double>(ept::ReadFile(log).size())))
      << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 4)) << daemon.Log();

  const std::string m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_cut_total", {Src("app")}), 1);
  // Cut to 1024 bytes: the code beyond the cut is not seen.
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-3", "client_general", "conflict", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-2", "client_general", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("app")}), 1);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// A long line that grows while the daemon follows the file.
TEST(DaemonTest, LongGrowingLineIsCutAndFollowingLinesCount) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  ept::WriteFile(log, "code: -1\n");
  Daemon daemon(dir, "max_line_bytes: 1024\nsources:\n" + SourceYaml("app", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 1)) << daemon.Log();

  ept::AppendFile(log, "long " + std::string(1500, 'x'));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_cut_total", {Src("app")}, 1)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 2));
  ept::AppendFile(log, std::string(1500, 'y') + " code: -3\n" + "code: -2\n" + "code: -2\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 4)) << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_read_bytes_total", {Src("app")},
                         static_cast<double>(ept::ReadFile(log).size())));

  const std::string m = daemon.Metrics();
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src("app")}), 4);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_cut_total", {Src("app")}), 1);
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-3", "client_general", "conflict", 0));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-2", "client_general", "rate_limit", 2));
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// The gauges move with the reads, like the counters ("/metrics moves within
// one round of a write"), not only when the safety-net poll runs.

TEST(DaemonTest, GaugesAreCurrentAfterEachRound) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("logs").c_str(), 0755), 0);
  const std::string log = dir.File("logs/a.log");
  ept::WriteFile(log, Repeat(R"({"ActionStatus":"FAIL","ErrorCode":60007})", 50));
  // A long poll interval: only the reads themselves can move the gauges.
  Daemon daemon(dir, "poll_interval: 1m\nsources:\n" +
                         SourceYaml("app", {dir.File("logs/*.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_read_bytes_total", {Src("app")},
                         static_cast<double>(ept::ReadFile(log).size())))
      << daemon.Log();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 50));
  EXPECT_EQ(Value(port, "errpulse_lag_bytes", {Src("app")}), 0)
      << "everything was read, yet errpulse_lag_bytes still reports the file's size";

  ept::WriteFile(dir.File("logs/b.log"), "code: -1\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 51)) << daemon.Log();
  EXPECT_EQ(Value(port, "errpulse_files_open", {Src("app")}), 2)
      << "a second file is being read, yet errpulse_files_open still says 1";
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// ---------------------------------------------------------------------------
// 11. Permission denied, then granted.

// The daemon as a child process under another uid (via setpriv).
class ProcessAsNobody {
 public:
  ProcessAsNobody(const std::string& setpriv, const std::vector<std::string>& daemon_args,
                  const std::string& log_path)
      : log_path_(log_path) {
    std::vector<std::string> argv = {setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                     ept::ErrpulsedPath()};
    argv.insert(argv.end(), daemon_args.begin(), daemon_args.end());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ProcessAsNobody() {
    if (pid_ > 0) StopWith(SIGKILL);
  }
  bool started() const { return pid_ > 0; }
  std::string Log() const { return ept::ReadFile(log_path_); }
  int StopWith(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    bool done = ept::WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; });
    if (!done) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

std::string FindExecutable(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return c;
  return "";
}

TEST(DaemonTest, PermissionDeniedThenGranted) {
  ept::TempDir dir;
  const std::string log = dir.File("app.log");
  const std::string content = Join({"code: -1", R"({"ErrorCode":60007})", R"({"ErrorCode":0})"});
  ept::WriteFile(log, content);
  ASSERT_EQ(::chmod(log.c_str(), 0), 0);

  const int port = ept::FreePort();
  const std::string config = dir.File("errpulse.yaml");
  // The daemon may run as 'nobody' below, who need not be able to read the
  // source tree (a clone in root's home): give it its own catalog and rules.
  ept::WriteFile(dir.File("catalog.yaml"), ept::ReadFile(ept::SourcePath("data/catalog.yaml")));
  ept::WriteFile(dir.File("codes.yaml"), ept::ReadFile(ept::SourcePath("rules/codes.yaml")));
  ept::WriteFile(config, "listen: \"127.0.0.1:" + std::to_string(port) +
                             "\"\nstate_dir: " + dir.File("state") + "\ncatalog: [" +
                             dir.File("catalog.yaml") + "]\nrules: [" + dir.File("codes.yaml") +
                             "]\npoll_interval: 200ms\nsources:\n" +
                             SourceYaml("app", {log}, "beginning"));

  std::unique_ptr<ProcessAsNobody> as_nobody;
  std::unique_ptr<ept::DaemonProcess> as_self;
  if (::geteuid() == 0) {
    // Root ignores file modes: run the daemon as 'nobody' so the denial is real.
    const std::string setpriv = FindExecutable({"/usr/bin/setpriv", "/bin/setpriv"});
    if (setpriv.empty())
      GTEST_SKIP() << "running as root (which bypasses file permissions) and setpriv is not "
                      "available to run errpulsed as another user";
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // nobody must reach the config
    ASSERT_EQ(::mkdir(dir.File("state").c_str(), 0700), 0);  // and own its state directory
    ASSERT_EQ(::chown(dir.File("state").c_str(), 65534, 65534), 0);
    as_nobody = std::make_unique<ProcessAsNobody>(
        setpriv, std::vector<std::string>{"--config", config}, dir.File("daemon.log"));
    ASSERT_TRUE(as_nobody->started());
  } else {
    as_self = std::make_unique<ept::DaemonProcess>(std::vector<std::string>{"--config", config});
  }
  auto daemon_log = [&] { return as_nobody ? as_nobody->Log() : as_self->Log(); };
  ASSERT_TRUE(ept::WaitFor([&] { return ept::HttpGet(port, "/-/ready").status == 200; }))
      << daemon_log();

  ASSERT_TRUE(WaitMetricAtLeast(port, "errpulse_read_errors_total", {Src("app")}, 1))
      << daemon_log();
  std::string m = Scrape(port);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_lines_total", {Src("app")}), 0);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_files_open", {Src("app")}), 0);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_read_bytes_total", {Src("app")}), 0);
  EXPECT_NE(daemon_log().find("ermission denied"), std::string::npos) << daemon_log();

  ASSERT_EQ(::chmod(log.c_str(), 0644), 0);
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 3)) << daemon_log();
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 1));  // refreshed by the poll
  m = Scrape(port);
  EXPECT_EQ(ept::MetricValue(m, "errpulse_read_bytes_total", {Src("app")}),
            static_cast<double>(content.size()));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "-1", "client_general", "internal", 1));
  EXPECT_TRUE(ErrorSeriesIs(m, "app", "60007", "rest_common", "rate_limit", 1));
  EXPECT_EQ(ept::MetricValue(m, "errpulse_successes_total", {Src("app")}), 1);

  const int status = as_nobody ? as_nobody->StopWith(SIGTERM) : as_self->StopWith(SIGTERM);
  EXPECT_EQ(status, 0) << daemon_log();
}

}  // namespace
