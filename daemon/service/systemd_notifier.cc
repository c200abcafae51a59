#include "service/systemd_notifier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdlib>

#include "status/html_text.h"  // HumanBytes, as the status page shows it

namespace errpulse {
namespace {

constexpr auto kStatusInterval = std::chrono::seconds(5);

}  // namespace

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io, SummarySource summary)
    : watchdog_timer_(io), status_timer_(io), summary_(std::move(summary)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // Pings at half the interval systemd expects them in, as sd_watchdog_enabled(3) advises.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotifier::Notify(const std::string& message) const {
  if (!enabled_) return;
  const int result = sd_notify(0, message.c_str());
  if (result < 0)
    spdlog::debug("sd_notify({}) failed: {}", message.substr(0, message.find('\n')), result);
}

void SystemdNotifier::Ready() {
  SendStatus();
  Notify("READY=1");
}

void SystemdNotifier::Reloading() { Notify("RELOADING=1\nSTATUS=reloading the configuration"); }

void SystemdNotifier::Stopping() { Notify("STOPPING=1\nSTATUS=stopping: committing state"); }

void SystemdNotifier::Start() {
  if (!enabled_) return;
  last_ = summary_();
  last_at_ = std::chrono::steady_clock::now();
  if (watchdog_interval_.count() > 0) {
    spdlog::info("systemd watchdog: pinging every {} ms",
                 std::chrono::duration_cast<std::chrono::milliseconds>(watchdog_interval_).count());
    PingLater();
  }
  StatusLater();
}

void SystemdNotifier::Stop() {
  watchdog_timer_.cancel();
  status_timer_.cancel();
}

void SystemdNotifier::PingLater() {
  Notify("WATCHDOG=1");
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) PingLater();
  });
}

void SystemdNotifier::StatusLater() {
  status_timer_.expires_after(kStatusInterval);
  status_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    SendStatus();
    StatusLater();
  });
}

void SystemdNotifier::SendStatus() {
  if (!enabled_) return;
  const Pipeline::Summary now = summary_();
  const auto at = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(at - last_at_).count();
  double lines_per_second = 0, errors_per_second = 0;
  // After a reload the counts continue, so a drop only means the first status.
  if (seconds > 0.5 && now.lines >= last_.lines && now.errors >= last_.errors) {
    lines_per_second = static_cast<double>(now.lines - last_.lines) / seconds;
    errors_per_second = static_cast<double>(now.errors - last_.errors) / seconds;
  }
  last_ = now;
  last_at_ = at;
  Notify(fmt::format("STATUS={} file(s) followed, {:.0f} lines/s, {:.1f} errors/s, lag {}",
                     now.files_open, lines_per_second, errors_per_second,
                     HumanBytes(static_cast<uint64_t>(std::max<int64_t>(now.lag_bytes, 0)))));
}

}  // namespace errpulse
