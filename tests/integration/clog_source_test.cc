// The SDK's compressed .clog files, followed by the real errpulsed: written
// the way the LiteAV SDK writes them (tests/support/clog_writer.py: raw
// deflate, a sync flush per line, never finished, a new stream per process
// session), while the daemon follows them, is SIGKILLed and restarted in the
// middle of a stream, and meets torn and corrupt bytes. Every check is an
// exact count over real HTTP scrapes, and no counter may ever go back.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "support/daemon_harness.h"
#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using ept::Daemon;
using ept::SourceYaml;
using ept::Src;
using ept::Value;
using ept::WaitMetric;

const std::string kWriter = std::string(ERRPULSE_SOURCE_DIR) + "/tests/support/clog_writer.py";
const std::string kSample =
    std::string(ERRPULSE_SOURCE_DIR) + "/../shared/reference/samples/LiteAV_C_20230313.clog";

// LiteAV lines as the SDK writes them: `plain` info lines, `throttled` lines
// with client code -2, `rest` lines quoting a REST 60007 response.
struct Batch {
  std::string text;
  int lines = 0, throttled = 0, rest = 0;
};

Batch LiteAv(const std::string& tag, int plain, int throttled, int rest) {
  Batch b;
  int seq = 0;
  auto head = [&](char level) {
    return std::string("[") + level + "][12-07/10:00:" + std::to_string(10 + seq % 40) +
           ".123+8.0][4242,77][room_engine.cc:" + std::to_string(100 + seq++) + "]" + tag + " ";
  };
  for (int i = 0; i < plain; ++i) b.text += head('I') + "audio frame stats fps:15\n";
  for (int i = 0; i < throttled; ++i)
    b.text += head('E') + "takeSeat failed, code: -2, message:request throttled\n";
  for (int i = 0; i < rest; ++i)
    b.text += head('W') + R"(rest {"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"over limit"})" "\n";
  b.lines = plain + throttled + rest;
  b.throttled = throttled;
  b.rest = rest;
  return b;
}

// One SDK process session: a writer process fed lines on its stdin.
class Session {
 public:
  explicit Session(const std::string& file, const std::string& options = "") {
    pipe_ = ::popen(("/usr/bin/python3 " + kWriter + " " + file + " " + options).c_str(),
                     "we");  // e: the daemons started later must not hold our pipe open
  }
  ~Session() { End(); }
  bool ok() const { return pipe_ != nullptr; }
  void Write(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), pipe_);
    std::fflush(pipe_);
  }
  // The process exits, leaving its stream unfinished (as an app does).
  int End() {
    if (!pipe_) return 0;
    const int status = ::pclose(pipe_);
    pipe_ = nullptr;
    return status;
  }

 private:
  FILE* pipe_ = nullptr;
};

// Scrapes and remembers every counter seen, failing if one goes back.
class Monotonic {
 public:
  void Check(int port, const std::vector<std::pair<std::string, std::vector<std::string>>>& series) {
    for (const auto& [name, labels] : series) {
      const double v = Value(port, name, labels);
      double& last = seen_[name + (labels.empty() ? "" : labels[0]) + (labels.size() > 1 ? labels[1] : "")];
      EXPECT_GE(v, last) << name << " went back";
      last = std::max(last, v);
    }
  }

 private:
  std::map<std::string, double> seen_;
};

std::string Code(const std::string& code) { return "code=\"" + code + "\""; }

::testing::AssertionResult CountsAre(int port, const std::string& source, int lines,
                                     int throttled, int rest) {
  if (auto r = WaitMetric(port, "errpulse_lines_total", {Src(source)}, lines); !r) return r;
  const double m2 = Value(port, "errpulse_errors_total", {Src(source), Code("-2")});
  const double r60007 = Value(port, "errpulse_errors_total", {Src(source), Code("60007")});
  if (m2 != throttled || r60007 != rest)
    return ::testing::AssertionFailure() << "-2: " << m2 << " (want " << throttled
                                         << "), 60007: " << r60007 << " (want " << rest << ")";
  return ::testing::AssertionSuccess();
}

TEST(ClogSource, SessionsFollowedAcrossSigkillExactlyOnce) {
  ept::TempDir dir;
  const std::string file = dir.File("LiteAV_C_20261207.clog");
  const std::string body = "sources:\n" + SourceYaml("sdk", {dir.File("*.clog")}, "beginning");
  Monotonic monotonic;
  const std::vector<std::pair<std::string, std::vector<std::string>>> watched = {
      {"errpulse_lines_total", {Src("sdk")}},
      {"errpulse_errors_total", {Src("sdk"), Code("-2")}},
      {"errpulse_errors_total", {Src("sdk"), Code("60007")}},
      {"errpulse_read_bytes_total", {Src("sdk")}}};
  Session first(file);
  ASSERT_TRUE(first.ok());
  const Batch a = LiteAv("a", 12, 5, 3);
  first.Write(a.text);
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(CountsAre(daemon->port(), "sdk", a.lines, a.throttled, a.rest)) << daemon->Log();
  monotonic.Check(daemon->port(), watched);
  // More of the same session, then SIGKILL while the stream goes on.
  const Batch b = LiteAv("b", 7, 2, 4);
  first.Write(b.text);
  ASSERT_TRUE(CountsAre(daemon->port(), "sdk", a.lines + b.lines, a.throttled + b.throttled,
                        a.rest + b.rest));
  monotonic.Check(daemon->port(), watched);
  daemon->Stop(SIGKILL);
  daemon.reset();
  const Batch c = LiteAv("c", 9, 6, 1);  // written while errpulse is down
  first.Write(c.text);
  first.End();
  Session second(file);  // the app restarts: a new stream appended
  const Batch d = LiteAv("d", 3, 4, 2);
  second.Write(d.text);
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  int lines = a.lines + b.lines + c.lines + d.lines;
  int throttled = a.throttled + b.throttled + c.throttled + d.throttled;
  int rest = a.rest + b.rest + c.rest + d.rest;
  ASSERT_TRUE(CountsAre(daemon->port(), "sdk", lines, throttled, rest)) << daemon->Log();
  monotonic.Check(daemon->port(), watched);
  // Killed again in the middle of the second stream, restarted at once.
  const Batch e = LiteAv("e", 5, 1, 1);
  second.Write(e.text);
  lines += e.lines, throttled += e.throttled, rest += e.rest;
  ASSERT_TRUE(CountsAre(daemon->port(), "sdk", lines, throttled, rest));
  daemon->Stop(SIGKILL);
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  // A marker batch after the restart: once it is counted, anything counted
  // twice would show.
  const Batch marker = LiteAv("marker", 1, 1, 0);
  second.Write(marker.text);
  lines += marker.lines, throttled += marker.throttled;
  ASSERT_TRUE(CountsAre(daemon->port(), "sdk", lines, throttled, rest)) << daemon->Log();
  monotonic.Check(daemon->port(), watched);
  EXPECT_EQ(Value(daemon->port(), "errpulse_decode_errors_total", {Src("sdk"), "format=\"clog\""}), 0);
  second.End();
}

TEST(ClogSource, TheRealSdkSampleCountsEveryLine) {
  ept::TempDir dir;
  // Renamed: format: auto must recognise it by its bytes, not its name.
  ept::WriteFile(dir.File("sdk.log"), ept::ReadFile(kSample));
  Daemon daemon(dir, "sources:\n" + SourceYaml("sdk", {dir.File("sdk.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_lines_total", {Src("sdk")}, 776))
      << daemon.Log();
  const std::string metrics = daemon.Metrics();
  for (const auto& [series, value] : ept::Series(metrics, "errpulse_errors_total", {Src("sdk")}))
    EXPECT_EQ(value, 0) << series;
  EXPECT_EQ(Value(daemon.port(), "errpulse_decode_errors_total", {Src("sdk"), "format=\"clog\""}), 0);
  EXPECT_NE(daemon.Log().find("format clog"), std::string::npos) << daemon.Log();
  // replay decodes the same way.
  const auto replay = ept::RunCommand({ERRPULSED_PATH, "replay", "--json", kSample});
  EXPECT_EQ(replay.status, 0) << replay.err;
  EXPECT_NE(replay.out.find("\"lines\":776,\"errors\":0"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("\"decode_errors\":0"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("\"format\":\"clog\""), std::string::npos) << replay.out;
}

TEST(ClogSource, DamageIsCountedAndTheNextSessionStillCounts) {
  ept::TempDir dir;
  const std::string file = dir.File("LiteAV_C_20261207.clog");
  Daemon daemon(dir, "sources:\n" + SourceYaml("sdk", {dir.File("*.clog")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const Batch a = LiteAv("a", 10, 2, 1);
  {
    Session torn(file);  // a process killed in the middle of writing a line
    torn.Write(a.text);
    ASSERT_TRUE(CountsAre(daemon.port(), "sdk", a.lines, a.throttled, a.rest)) << daemon.Log();
    torn.Write("#cut [E][12-07/10:00:59.000+8.0][4242,77][room.cc:1]never finished, code: -2, "
               "and a long tail so that the cut falls inside the line's bytes\n");
  }
  // Corrupt bytes appended (a disk error, a bad copy), then the next session.
  ept::AppendFile(file, std::string("\x13\x37\xde\xad\xbe\xef garbage \x01\x02\x03", 20));
  const Batch b = LiteAv("b", 6, 3, 2);
  {
    Session next(file);
    next.Write(b.text);
  }
  ASSERT_TRUE(WaitMetric(daemon.port(), "errpulse_decode_errors_total",
                         {Src("sdk"), "format=\"clog\""}, 1)) << daemon.Log();
  const Batch marker = LiteAv("marker", 0, 1, 0);
  {
    Session last(file);
    last.Write(marker.text);
  }
  const double lines = a.lines + b.lines + marker.lines;
  ASSERT_TRUE(ept::WaitMetricAtLeast(daemon.port(), "errpulse_errors_total",
                                     {Src("sdk"), Code("-2")}, a.throttled + b.throttled + 1))
      << daemon.Log();
  // The torn line and the garbage may leave at most one garbled line; every
  // whole line of both sessions is counted, none twice.
  const double counted = Value(daemon.port(), "errpulse_lines_total", {Src("sdk")});
  EXPECT_GE(counted, lines);
  EXPECT_LE(counted, lines + 1);
  EXPECT_EQ(Value(daemon.port(), "errpulse_errors_total", {Src("sdk"), Code("-2")}),
            a.throttled + b.throttled + 1);
  EXPECT_EQ(Value(daemon.port(), "errpulse_errors_total", {Src("sdk"), Code("60007")}),
            a.rest + b.rest);
  EXPECT_EQ(Value(daemon.port(), "errpulse_decode_errors_total", {Src("sdk"), "format=\"clog\""}), 1);
  EXPECT_NE(daemon.Log().find("damaged compressed data"), std::string::npos) << daemon.Log();
}

TEST(ClogSource, StartAtEndCountsOnlyWhatIsWrittenAfter) {
  ept::TempDir dir;
  const std::string file = dir.File("LiteAV_C_20261207.clog");
  Session app(file);
  const Batch old = LiteAv("old", 20, 9, 9);
  app.Write(old.text);
  // Every old line is in the file (the writer flushes each one) before the
  // daemon starts: replay decodes them all.
  const std::string want = "\"lines\":" + std::to_string(old.lines) + ",";
  ASSERT_TRUE(ept::WaitFor(
      [&] {
        return ept::RunCommand({ERRPULSED_PATH, "replay", "--json", file}).out.find(want) !=
               std::string::npos;
      },
      std::chrono::milliseconds(10000)));
  Daemon daemon(dir, "sources:\n" + SourceYaml("sdk", {file}, "end"));
  ASSERT_TRUE(daemon.Start());
  const Batch fresh = LiteAv("new", 4, 2, 1);
  app.Write(fresh.text);
  ASSERT_TRUE(CountsAre(daemon.port(), "sdk", fresh.lines, fresh.throttled, fresh.rest))
      << daemon.Log();
  app.End();
}

}  // namespace
