// The sd_notify protocol with the real binary: the test plays systemd's side
// (a datagram socket named by NOTIFY_SOCKET, WATCHDOG_USEC) and checks what
// errpulsed tells it: READY=1 only once it is ready, STATUS= lines, WATCHDOG=1
// pings at half the interval, RELOADING=1 then READY=1 around a SIGHUP, and
// STOPPING=1 on SIGTERM.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;
using Clock = std::chrono::steady_clock;

// systemd's end of the notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }

  // Messages received until `until` holds for one of them or `timeout` passes.
  std::vector<std::string> ReceiveUntil(const std::function<bool(const std::string&)>& until,
                                        std::chrono::milliseconds timeout) {
    std::vector<std::string> got;
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) continue;
      got.emplace_back(buffer, static_cast<size_t>(n));
      if (until(got.back())) break;
    }
    return got;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool Has(const std::string& message, const std::string& field) {
  return ("\n" + message + "\n").find("\n" + field) != std::string::npos;
}

size_t CountWith(const std::vector<std::string>& messages, const std::string& field) {
  size_t n = 0;
  for (const auto& m : messages) n += Has(m, field) ? 1 : 0;
  return n;
}

TEST(SystemdNotifyTest, ReadyStatusWatchdogReloadingStopping) {
  ept::TempDir dir;
  NotifySocket systemd(dir.File("notify"));
  ASSERT_TRUE(systemd.bound());
  const int port = ept::FreePort();
  ept::WriteFile(dir.File("a.log"), "{\"ErrorCode\":60007}\n");
  const std::string config = "listen: \"127.0.0.1:" + std::to_string(port) + "\"\n" +
                             "state_dir: " + dir.File("state") + "\nsources:\n  - name: a\n" +
                             "    paths: [" + dir.File("a.log") + "]\n    start_at: beginning\n";
  ept::WriteFile(dir.File("errpulse.yaml"), config);

  ::setenv("NOTIFY_SOCKET", dir.File("notify").c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);  // pings expected every 200 ms
  ept::DaemonProcess daemon({"--config", dir.File("errpulse.yaml")});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");

  auto ready = systemd.ReceiveUntil([](const std::string& m) { return Has(m, "READY=1"); },
                                    std::chrono::seconds(10));
  ASSERT_EQ(CountWith(ready, "READY=1"), 1u) << daemon.Log();
  // READY means ready: the endpoint agrees at once, and the status says what it follows.
  EXPECT_EQ(ept::HttpGet(port, "/-/ready").status, 200);
  EXPECT_GE(CountWith(ready, "STATUS=1 file(s) followed"), 1u) << ready.back();

  // Watchdog pings at half of WATCHDOG_USEC: about 10 in 2 s; at least 5.
  auto pings = systemd.ReceiveUntil([](const std::string&) { return false; },
                                    std::chrono::seconds(2));
  EXPECT_GE(CountWith(pings, "WATCHDOG=1"), 5u);
  EXPECT_LE(CountWith(pings, "WATCHDOG=1"), 20u);

  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  auto reload = systemd.ReceiveUntil([](const std::string& m) { return Has(m, "READY=1"); },
                                     std::chrono::seconds(10));
  size_t reloading_at = reload.size(), ready_at = reload.size();
  for (size_t i = 0; i < reload.size(); ++i) {
    if (Has(reload[i], "RELOADING=1") && reloading_at == reload.size()) reloading_at = i;
    if (Has(reload[i], "READY=1")) ready_at = i;
  }
  ASSERT_LT(reloading_at, reload.size()) << daemon.Log();
  EXPECT_LT(reloading_at, ready_at);

  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  auto stopping = systemd.ReceiveUntil([](const std::string& m) { return Has(m, "STOPPING=1"); },
                                       std::chrono::seconds(10));
  EXPECT_EQ(CountWith(stopping, "STOPPING=1"), 1u) << daemon.Log();
  EXPECT_EQ(daemon.StopWith(SIGTERM), 0);
}

}  // namespace
