// ReloadMetrics: the configuration-reload gauges, named as Prometheus names
// its own (prometheus_config_last_reload_successful ...):
//   errpulse_config_last_reload_successful             1 or 0
//   errpulse_config_last_reload_success_timestamp_seconds
//   errpulse_config_reloads_total{result="success|failure"}
// They live in their own registry because the Exporter belongs to a Pipeline
// and a reload replaces the Pipeline; these must outlive it.
//
// Thread-safe (prometheus-cpp values are atomic; families are locked).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace errpulse {

class ReloadMetrics {
 public:
  ReloadMetrics();

  // The config loaded at start counts as the last successful load.
  void Loaded(double unix_seconds);
  void Failed();
  // The Prometheus text exposition of these series.
  std::string Scrape() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* successful_ = nullptr;
  prometheus::Gauge* success_time_ = nullptr;
  prometheus::Counter* successes_ = nullptr;
  prometheus::Counter* failures_ = nullptr;
  bool first_load_ = true;
};

}  // namespace errpulse
