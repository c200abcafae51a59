// mars .xlog files (older LiteAV SDKs, the IM SDK) followed by the real
// errpulsed: blocks of every magic without a key written by
// tests/support/xlog_writer.py, one written in two writes with a pause (a
// block being flushed), an encrypted block skipped with one warning, a
// restart in between. Exact counts over real scrapes.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "support/daemon_harness.h"
#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using ept::Daemon;
using ept::Src;
using ept::Value;
using ept::WaitMetric;

const std::string kWriter = std::string(ERRPULSE_SOURCE_DIR) + "/tests/support/xlog_writer.py";

// A mars line reporting `code` (0: an info line).
std::string MarsLine(int seq, int code) {
  std::string line = "[" + std::string(code ? "E" : "I") +
                     "][2026-12-07 +8.0 10:00:00.000][4242, 77][imsdk][msg.cc, Send, " +
                     std::to_string(seq) + "][";
  return line + (code ? "send failed, code: " + std::to_string(code) + ", desc: x" : "heartbeat ok");
}

void WriteBlock(const std::string& file, const std::string& magic, const std::vector<std::string>& lines,
                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/python3", kWriter, file, "--append", "--magic", magic};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), lines.begin(), lines.end());
  const auto r = ept::RunCommand(argv);
  ASSERT_EQ(r.status, 0) << r.err;
}

TEST(XlogSource, EveryUnkeyedMagicCountedAndEncryptedBlocksSkipped) {
  ept::TempDir dir;
  const std::string file = dir.File("Imsdk_20261207.xlog");
  ept::WriteFile(file, "");
  const std::string body = "sources:\n" + ept::SourceYaml("im", {dir.File("*.xlog")}, "beginning");
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  int lines = 0, throttled = 0, seq = 0;
  for (const char* magic : {"0x03", "0x04", "0x05", "0x06", "0x08", "0x09", "0x0A", "0x0B", "0x0D"}) {
    WriteBlock(file, magic, {MarsLine(seq++, 0), MarsLine(seq++, -2), MarsLine(seq++, 0)});
    lines += 3;
    throttled += 1;
  }
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("im")}, lines))
      << daemon->Log();
  EXPECT_EQ(Value(daemon->port(), "errpulse_errors_total", {Src("im"), "code=\"-2\""}), throttled);
  // An encrypted block (no key): skipped and counted; the next block counts.
  WriteBlock(file, "0x0C", {}, {"--size", "300"});
  WriteBlock(file, "0x07", {}, {"--size", "120"});
  WriteBlock(file, "0x09", {MarsLine(seq++, -2)});
  lines += 1, throttled += 1;
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("im")}, lines));
  EXPECT_EQ(Value(daemon->port(), "errpulse_xlog_encrypted_blocks_total", {Src("im")}), 2);
  EXPECT_EQ(Value(daemon->port(), "errpulse_decode_errors_total", {Src("im"), "format=\"xlog\""}), 0);
  const std::string log = daemon->Log();
  const size_t warning = log.find("no key");
  EXPECT_NE(warning, std::string::npos) << log;
  EXPECT_EQ(log.find("no key", warning + 1), std::string::npos) << "warned more than once: " << log;
  // A block written in two writes with a pause: nothing of it counts until
  // it is whole, then all of it, once; SIGKILL and a restart after it.
  WriteBlock(file, "0x0D", {MarsLine(seq++, -2), MarsLine(seq++, -2), MarsLine(seq++, 0)},
             {"--partial", "--pause", "0.3"});
  lines += 3, throttled += 2;
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("im")}, lines));
  daemon->Stop(SIGKILL);
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  WriteBlock(file, "0x09", {MarsLine(seq++, -2)});  // the marker
  lines += 1, throttled += 1;
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("im")}, lines))
      << daemon->Log();
  EXPECT_EQ(Value(daemon->port(), "errpulse_errors_total", {Src("im"), "code=\"-2\""}), throttled);
  EXPECT_EQ(Value(daemon->port(), "errpulse_xlog_encrypted_blocks_total", {Src("im")}), 2);
}

}  // namespace
