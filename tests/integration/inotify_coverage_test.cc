// Integration tests: what keeps following files between full polls. With
// `rescan_interval: 1h` the full poll never runs during a test, so whatever is
// seen was seen through inotify (local filesystems) or the quick poll (paths
// inotify cannot vouch for: no watch yet, a glob in the directory part, a
// dangling symlink, a FUSE filesystem), or through the full poll an inotify
// queue overflow triggers. The real errpulsed, real files, real /metrics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_harness.h"
#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using namespace errpulse::testing;  // the daemon harness

const std::string kNoRescan = "poll_interval: 200ms\nrescan_interval: 1h\n";

// The first quick poll after the start stats the files of the directories
// just watched (what changed before a watch raised no event). Waiting five
// poll intervals lets it pass, so what follows is seen through inotify alone;
// on a machine so loaded that it has not run yet, a test passes without
// proving that (it never fails because of it).
void LetTheFirstQuickPollPass() { std::this_thread::sleep_for(milliseconds(1000)); }

// A writer that keeps its file open, as loggers do: its writes raise
// IN_MODIFY only (closing the file would raise IN_CLOSE_WRITE as well).
class HeldWriter {
 public:
  explicit HeldWriter(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)) {}
  ~HeldWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Write(const std::string& text) {
    return ::write(fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }

 private:
  int fd_;
};

TEST(InotifyCoverage, LocalFilesAreFollowedWithoutTheFullPoll) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("logs").c_str(), 0755), 0);
  const std::string a = dir.File("logs/a.log");
  const std::string b = dir.File("logs/b.log");
  ept::WriteFile(a, Repeat("code: -1", 2));
  Daemon daemon(dir, kNoRescan + "sources:\n" +
                         SourceYaml("app", {dir.File("logs/*.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 2)) << daemon.Log();
  LetTheFirstQuickPollPass();

  HeldWriter writer(a);
  ASSERT_TRUE(writer.Write("code: -1\n"));  // growth
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 3)) << daemon.Log();

  ept::WriteFile(b, Repeat("code: -2", 2));  // a new file under the glob
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 5)) << daemon.Log();
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 2));

  ASSERT_EQ(::truncate(a.c_str(), 0), 0);  // copytruncate
  ASSERT_TRUE(writer.Write("code: -3\n"));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 6)) << daemon.Log();
  EXPECT_TRUE(WaitMetricAtLeast(port, "errpulse_file_truncations_total", {Src("app")}, 1));

  // Rotation by rename and create; the old file is let go after its grace
  // period (5 s) by the quick poll, which runs while it is retired.
  ASSERT_EQ(::rename(b.c_str(), dir.File("logs/b.log.1").c_str()), 0);
  ept::WriteFile(b, "code: -4\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 7)) << daemon.Log();
  EXPECT_TRUE(WaitMetricAtLeast(port, "errpulse_file_rotations_total", {Src("app")}, 1));
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 2, milliseconds(10000)))
      << daemon.Log();
  EXPECT_EQ(Value(port, "errpulse_lag_bytes", {Src("app")}), 0);
  EXPECT_EQ(Value(port, "errpulse_errors_total", {Src("app")}), 7);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

TEST(InotifyCoverage, ParkedFilesAreReopenedWhenTheyGrow) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("logs").c_str(), 0755), 0);
  std::vector<std::string> files;
  for (int i = 0; i < 4; ++i) {
    files.push_back(dir.File("logs/f" + std::to_string(i) + ".log"));
    ept::WriteFile(files.back(), "code: -1\n");
  }
  // Two open at most: the other two are parked, with no descriptor.
  Daemon daemon(dir, kNoRescan + "max_open_files: 2\nsources:\n" +
                         SourceYaml("app", {dir.File("logs/*.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 4)) << daemon.Log();
  LetTheFirstQuickPollPass();
  std::vector<std::unique_ptr<HeldWriter>> writers;
  for (const auto& f : files) writers.push_back(std::make_unique<HeldWriter>(f));
  for (int round = 1; round <= 2; ++round) {
    for (auto& w : writers) ASSERT_TRUE(w->Write("code: -2\n"));
    ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, 4 + 4 * round))
        << daemon.Log();
  }
  EXPECT_LE(Value(port, "errpulse_files_open", {Src("app")}), 2);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

TEST(InotifyCoverage, PathsWithoutAWatchArePolled) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("links").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.File("target").c_str(), 0755), 0);
  // A symlink whose target does not exist yet, in a directory of its own.
  ASSERT_EQ(::symlink(dir.File("target/app.log").c_str(), dir.File("links/current.log").c_str()),
            0);
  Daemon daemon(dir, kNoRescan + "sources:\n" +
                         SourceYaml("globdir", {dir.File("*/app.log")}, "beginning") +
                         SourceYaml("late", {dir.File("late/app.log")}, "beginning") +
                         SourceYaml("link", {dir.File("links/current.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();

  // A glob in the directory part: no watch can announce a new directory.
  ASSERT_EQ(::mkdir(dir.File("x").c_str(), 0755), 0);
  ept::WriteFile(dir.File("x/app.log"), Repeat("code: -1", 2));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("globdir")}, 2)) << daemon.Log();
  ept::AppendFile(dir.File("x/app.log"), "code: -1\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("globdir")}, 3)) << daemon.Log();

  // A directory that did not exist at the start.
  ASSERT_EQ(::mkdir(dir.File("late").c_str(), 0755), 0);
  ept::WriteFile(dir.File("late/app.log"), "code: -2\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("late")}, 1)) << daemon.Log();

  // The symlink's target appears: nothing happens in links/.
  ept::WriteFile(dir.File("target/app.log"), Repeat("code: -3", 2));
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("link")}, 2)) << daemon.Log();
  ept::AppendFile(dir.File("target/app.log"), "code: -3\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("link")}, 3)) << daemon.Log();
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// Writes each line with its own write(), alternating between two files so
// that the kernel cannot merge the events.
void WriteAlternating(const std::string& a, const std::string& b, int lines) {
  const int fa = ::open(a.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const int fb = ::open(b.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fa, 0);
  ASSERT_GE(fb, 0);
  for (int i = 0; i < lines; ++i) ASSERT_EQ(::write(i % 2 ? fb : fa, "x\n", 2), 2);
  ::close(fa);
  ::close(fb);
}

TEST(InotifyCoverage, QueueOverflowTriggersAFullPoll) {
  const long max_events = std::stol(ept::ReadFile("/proc/sys/fs/inotify/max_queued_events"));
  if (max_events > 1'000'000) GTEST_SKIP() << "max_queued_events is " << max_events;
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("logs").c_str(), 0755), 0);
  const std::string a = dir.File("logs/a.log");
  const std::string b = dir.File("logs/b.log");
  ept::WriteFile(a, "");
  ept::WriteFile(b, "");
  Daemon daemon(dir, kNoRescan + "sources:\n" +
                         SourceYaml("app", {dir.File("logs/*.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 2)) << daemon.Log();
  LetTheFirstQuickPollPass();

  // Stopped, the daemon reads no events: the queue overflows, and the event
  // for the file created after that is lost.
  ASSERT_EQ(::kill(daemon.pid(), SIGSTOP), 0);
  const int lines = static_cast<int>(max_events) + 1000;
  WriteAlternating(a, b, lines);
  ept::WriteFile(dir.File("logs/c.log"), "code: -1\n");
  ASSERT_EQ(::kill(daemon.pid(), SIGCONT), 0);

  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("app")}, lines + 1,
                         milliseconds(15000)))
      << daemon.Log();
  EXPECT_TRUE(WaitMetric(port, "errpulse_files_open", {Src("app")}, 3));
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

// A FUSE mount (bindfs) of a directory: writes made to the directory itself,
// not through the mount, raise no inotify event on the mount, like writes
// made by another host on NFS. Only the quick poll's stat sees them.
class FuseMount {
 public:
  FuseMount(const std::string& source, const std::string& mountpoint) : mountpoint_(mountpoint) {
    if (::access("/usr/bin/bindfs", X_OK) != 0) {
      why_not_ = "bindfs is not installed (apt-get install bindfs)";
      return;
    }
    auto r = ept::RunCommand({"/usr/bin/bindfs", source, mountpoint});
    if (r.status != 0) {
      why_not_ = "bindfs could not mount: " + r.err;
      return;
    }
    mounted_ = true;
  }
  ~FuseMount() {
    if (!mounted_) return;
    if (ept::RunCommand({"/usr/bin/fusermount", "-u", mountpoint_}).status != 0)
      ept::RunCommand({"/usr/bin/umount", "-l", mountpoint_});
  }
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }

 private:
  std::string mountpoint_;
  bool mounted_ = false;
  std::string why_not_;
};

TEST(InotifyCoverage, FilesOnFuseAreStatPolled) {
  ept::TempDir dir;
  ASSERT_EQ(::mkdir(dir.File("disk").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.File("mnt").c_str(), 0755), 0);
  ept::WriteFile(dir.File("disk/a.log"), "code: -1\n");
  FuseMount mount(dir.File("disk"), dir.File("mnt"));  // unmounted before dir is removed
  if (!mount.mounted()) GTEST_SKIP() << mount.why_not();
  Daemon daemon(dir, kNoRescan + "sources:\n" +
                         SourceYaml("fuse", {dir.File("mnt/*.log")}, "beginning"));
  ASSERT_TRUE(daemon.Start());
  const int port = daemon.port();
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("fuse")}, 1)) << daemon.Log();
  EXPECT_NE(daemon.Log().find("is on fuse"), std::string::npos) << daemon.Log();
  LetTheFirstQuickPollPass();

  ept::AppendFile(dir.File("disk/a.log"), "code: -1\n");  // behind the mount's back
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("fuse")}, 2)) << daemon.Log();
  ept::WriteFile(dir.File("disk/b.log"), "code: -2\n");
  ASSERT_TRUE(WaitMetric(port, "errpulse_lines_total", {Src("fuse")}, 3)) << daemon.Log();
  EXPECT_EQ(daemon.Stop(SIGTERM), 0) << daemon.Log();
}

}  // namespace
