// Container runtime logs followed by the real errpulsed: CRI files under a
// kubelet-style /var/log/pods tree (with the /var/log/containers symlinks),
// and Docker json-file logs, written by tests/support/container_log_writer.py
// the way containerd and dockerd write them: escaped REST responses, long
// lines split into P/F pieces (or 16 KiB json entries) and written in two
// writes, kubelet's rename-and-create rotation. Counts are exact over real
// scrapes; per-container series carry namespace, pod and container.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/daemon_harness.h"
#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
namespace fs = std::filesystem;
using ept::Daemon;
using ept::Src;
using ept::Value;
using ept::WaitMetric;

const std::string kWriter =
    std::string(ERRPULSE_SOURCE_DIR) + "/tests/support/container_log_writer.py";
const std::string kContainerId(64, 'a');

// Appends `messages` as container log lines (`format` cri or docker).
void Append(const std::string& path, const std::string& format,
            const std::vector<std::string>& messages, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/python3", kWriter, "--format", format};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(path);
  argv.insert(argv.end(), messages.begin(), messages.end());
  const auto r = ept::RunCommand(argv);
  ASSERT_EQ(r.status, 0) << r.err;
}

std::string Fail(int code, int seq) {
  return R"({"ActionStatus":"FAIL","ErrorCode":)" + std::to_string(code) +
         R"(,"ErrorInfo":"limit \"exceeded\"","RequestId":"Id-)" + std::to_string(seq) + "\"}";
}
std::string Ok(int seq) {
  return R"({"ActionStatus":"OK","ErrorCode":0,"RequestId":"Id-ok-)" + std::to_string(seq) + "\"}";
}

struct Pod {
  std::string log;   // /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log
  std::string link;  // /var/log/containers/<pod>_<ns>_<container>-<id>.log
};

Pod MakePod(const ept::TempDir& dir, const std::string& ns, const std::string& pod,
            const std::string& container) {
  Pod p;
  const std::string pod_dir =
      dir.File("var/log/pods/" + ns + "_" + pod + "_0f0e0d0c-1111-2222-3333-444455556666/" + container);
  fs::create_directories(pod_dir);
  fs::create_directories(dir.File("var/log/containers"));
  p.log = pod_dir + "/0.log";
  ept::WriteFile(p.log, "");
  p.link = dir.File("var/log/containers/" + pod + "_" + ns + "_" + container + "-" + kContainerId + ".log");
  fs::create_symlink(p.log, p.link);
  return p;
}


TEST(ContainerSource, CriLinesCountedExactlyWithContainerLabels) {
  ept::TempDir dir;
  const Pod room = MakePod(dir, "live", "room-7f9c", "app");
  const Pod gate = MakePod(dir, "live", "gateway-1", "proxy");
  Daemon daemon(dir, "sources:\n  - name: pods\n    paths: [" + dir.File("var/log/containers/*.log") +
                         "]\n    start_at: beginning\n    kubernetes_labels: true\n");
  ASSERT_TRUE(daemon.Start());
  // 3 failures and 2 successes in the room pod, on stdout and stderr.
  Append(room.log, "cri", {Fail(60007, 1), "plain text line", Ok(1), Fail(60007, 2)});
  Append(room.log, "cri", {Fail(60007, 3), Ok(2)}, {"--stream", "stderr"});
  // A long REST response cut into P pieces ending in F, each raw line written
  // in two writes with a pause: the code sits in a later piece.
  const std::string long_fail =
      R"({"ActionStatus":"FAIL","ErrorInfo":")" + std::string(300, 'x') + R"(","ErrorCode":60011})";
  Append(gate.log, "cri", {long_fail}, {"--piece-bytes", "64", "--split-pause", "0.05"});
  Append(gate.log, "cri", {Ok(3)});
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("pods")}, 8)) << daemon.Log();
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("pods"), "code=\"60007\""}), 3);
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("pods"), "code=\"60011\""}), 1);
  EXPECT_EQ(Value(port, "errpulse_successes_total", {Src("pods")}), 3);
  const std::vector<std::string> room_labels = {Src("pods"), "namespace=\"live\"",
                                                "pod=\"room-7f9c\"", "container=\"app\""};
  const std::vector<std::string> gate_labels = {Src("pods"), "namespace=\"live\"",
                                                "pod=\"gateway-1\"", "container=\"proxy\""};
  EXPECT_EQ(Value(port, "errpulse_container_lines_total", room_labels), 6);
  EXPECT_EQ(Value(port, "errpulse_container_lines_total", gate_labels), 2);
  auto with_code = [](std::vector<std::string> labels, const std::string& code) {
    labels.push_back("code=\"" + code + "\"");
    return labels;
  };
  EXPECT_EQ(Value(port, "errpulse_container_errors_total", with_code(room_labels, "60007")), 3);
  EXPECT_EQ(Value(port, "errpulse_container_errors_total", with_code(gate_labels, "60011")), 1);
  EXPECT_EQ(Value(port, "errpulse_decode_errors_total", {Src("pods"), "format=\"cri\""}), 0);
  // The status API names each file's decided format (refreshed every second).
  std::string status;
  EXPECT_TRUE(ept::WaitFor(
      [&] {
        status = ept::HttpGet(port, "/api/v1/status").body;
        return status.find("\"format\":\"cri\"") != std::string::npos &&
               status.find("\"format\":\"auto\"") == std::string::npos;
      },
      std::chrono::milliseconds(15000)))
      << status;
}

TEST(ContainerSource, KubeletRotationAndRestartLoseAndRepeatNothing) {
  ept::TempDir dir;
  const Pod room = MakePod(dir, "live", "room-7f9c", "app");
  const std::string body = "sources:\n  - name: pods\n    paths: [" +
                           dir.File("var/log/pods/*/*/*.log") +
                           "]\n    start_at: beginning\n    kubernetes_labels: true\n";
  auto daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  Append(room.log, "cri", {Fail(60007, 1), Fail(60007, 2), Ok(1)});
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("pods")}, 3)) << daemon->Log();
  // kubelet rotates: rename, then the runtime reopens a new 0.log.
  fs::rename(room.log, room.log + ".20261207-101010");
  Append(room.log + ".20261207-101010", "cri", {Fail(60007, 3)});  // written late to the old file
  ept::WriteFile(room.log, "");
  Append(room.log, "cri", {Fail(60007, 4), Ok(2)});
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("pods")}, 6)) << daemon->Log();
  // SIGKILL with a P piece pending (the message's F comes while errpulse is down).
  const std::string long_fail =
      R"({"ActionStatus":"FAIL","ErrorInfo":")" + std::string(200, 'y') + R"(","ErrorCode":60007})";
  const auto pieces = ept::RunCommand({"/usr/bin/python3", "-c",
      "import sys; sys.path.insert(0, '" + std::string(ERRPULSE_SOURCE_DIR) + "/tests/support'); "
      "import container_log_writer as c; "
      "[sys.stdout.buffer.write(l) for l in c.cri_lines(sys.argv[1], piece_bytes=64)]",
      long_fail});
  ASSERT_EQ(pieces.status, 0) << pieces.err;
  const size_t last_piece = pieces.out.rfind('\n', pieces.out.size() - 2);
  ASSERT_NE(last_piece, std::string::npos);
  ept::AppendFile(room.log, pieces.out.substr(0, last_piece + 1));  // every P piece
  Append(room.log, "cri", {Ok(3)}, {"--stream", "stderr"});  // a whole line on the other stream
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_lines_total", {Src("pods")}, 7)) << daemon->Log();
  daemon->Stop(SIGKILL);
  daemon.reset();
  ept::AppendFile(room.log, pieces.out.substr(last_piece + 1));  // the F piece
  daemon = std::make_unique<Daemon>(dir, body);
  ASSERT_TRUE(daemon->Start());
  Append(room.log, "cri", {Fail(60011, 9)});  // the marker
  ASSERT_TRUE(WaitMetric(daemon->port(), "errpulse_errors_total",
                         {Src("pods"), "code=\"60011\""}, 1)) << daemon->Log();
  const int port = daemon->port();
  EXPECT_EQ(Value(port, "errpulse_lines_total", {Src("pods")}), 9);
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("pods"), "code=\"60007\""}), 5);
  EXPECT_EQ(Value(port, "errpulse_successes_total", {Src("pods")}), 3);
  EXPECT_EQ(Value(port, "errpulse_container_lines_total",
                  {Src("pods"), "pod=\"room-7f9c\"", "container=\"app\""}), 9);
}

TEST(ContainerSource, DockerJsonFileEscapedResponsesCountExactly) {
  ept::TempDir dir;
  fs::create_directories(dir.File("docker/" + kContainerId));
  const std::string log = dir.File("docker/" + kContainerId + "/" + kContainerId + "-json.log");
  ept::WriteFile(log, "");
  Daemon daemon(dir, "sources:\n" + ept::SourceYaml("docker", {log}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  // A docker entry of a REST failure is {"log":"{\"ActionStatus\":\"FAIL\",\"ErrorCode\":60007,...}\n",...}.
  Append(log, "docker", {Fail(60007, 1), Ok(1), "caf\xc3\xa9 \xe2\x80\xa8 <tag> & \t tab"});
  // Over 16 KiB: several entries, only the last ending in \n, written in two writes.
  const std::string huge =
      R"({"ActionStatus":"FAIL","ErrorInfo":")" + std::string(40000, 'z') + R"(","ErrorCode":60011})";
  Append(log, "docker", {huge}, {"--split-pause", "0.05"});
  Append(log, "docker", {Fail(60007, 2)}, {"--stream", "stderr"});
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("docker")}, 5)) << daemon.Log();
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("docker"), "code=\"60007\""}), 2);
  EXPECT_EQ(Value(port, "errpulse_successes_total", {Src("docker")}), 1);
  // The 40 KiB message is cut at max_line_bytes (64 KiB is the default, so it
  // is whole): its code is at its end.
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("docker"), "code=\"60011\""}), 1);
  EXPECT_EQ(Value(port, "errpulse_decode_errors_total", {Src("docker"), "format=\"docker\""}), 0);
  EXPECT_NE(daemon.Log().find("format docker"), std::string::npos) << daemon.Log();
}

TEST(ContainerSource, TheEnvelopeTimeIsTheAlertTime) {
  ept::TempDir dir;
  const std::string log = dir.File("0.log");
  // 60 REST failures whose text carries no time, written at 00:00:00-00:00:59
  // on 2026-01-01 by the runtime's clock.
  std::string text;
  for (int i = 0; i < 60; ++i) {
    char stamp[64];
    std::snprintf(stamp, sizeof(stamp), "2026-01-01T00:00:%02d.000000001Z", i);
    text += std::string(stamp) + " stdout F " + Fail(60007, i) + "\n";
  }
  ept::WriteFile(log, text);
  ept::WriteFile(dir.File("replay.yaml"),
                 "alerts:\n  - alert: Surge\n    match: { codes: [60007] }\n    by: [code]\n"
                 "    window: 1m\n    threshold: 50\n    for: 10s\n");
  const auto r = ept::RunCommand(
      {ERRPULSED_PATH, "replay", "--json", "--config", dir.File("replay.yaml"), log});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"format\":\"cri\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"lines_without_time\":0"), std::string::npos) << r.out;
  // Pending when the 50th line is seen (00:00:49), firing 10 s later: on the
  // runtime's clock, not the replay's.
  EXPECT_NE(r.out.find(R"("at":"2026-01-01T00:00:)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("alertname":"Surge")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("state":"firing")"), std::string::npos) << r.out;
}

}  // namespace
