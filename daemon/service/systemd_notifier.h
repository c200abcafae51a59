// SystemdNotifier: tells systemd how the service is doing (sd_notify):
// READY=1 once the state is restored and the sources are open, RELOADING=1 /
// READY=1 around a reload, STOPPING=1, a STATUS= line every few seconds
// (files followed, lines/s, errors/s, lag), and WATCHDOG=1 pings.
//
// The pings come from a timer on the pipeline thread, so a pipeline that is
// stuck (a hung read, a livelock) stops them and systemd restarts the service
// after WatchdogSec=. Without NOTIFY_SOCKET (not under systemd) every call is
// a no-op.
//
// Ownership: owns its timers. Pipeline thread only; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "engine/pipeline.h"

namespace errpulse {

class SystemdNotifier {
 public:
  using SummarySource = std::function<Pipeline::Summary()>;

  SystemdNotifier(boost::asio::io_context& io, SummarySource summary);

  void Ready();
  void Reloading();
  void Stopping();
  // Starts the watchdog pings (when systemd asked for them) and the STATUS
  // updates.
  void Start();
  void Stop();

  bool under_systemd() const { return enabled_; }

 private:
  void Notify(const std::string& message) const;
  void PingLater();
  void StatusLater();
  void SendStatus();

  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer status_timer_;
  SummarySource summary_;
  bool enabled_ = false;
  std::chrono::microseconds watchdog_interval_{0};
  Pipeline::Summary last_{};
  std::chrono::steady_clock::time_point last_at_{};
};

}  // namespace errpulse
