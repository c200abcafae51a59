#include "metrics/reload_metrics.h"

#include "metrics/text_exposition.h"

namespace errpulse {

ReloadMetrics::ReloadMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  successful_ = &prometheus::BuildGauge()
                     .Name("errpulse_config_last_reload_successful")
                     .Help("Whether the last configuration reload attempt was successful.")
                     .Register(r)
                     .Add({});
  success_time_ = &prometheus::BuildGauge()
                       .Name("errpulse_config_last_reload_success_timestamp_seconds")
                       .Help("Timestamp of the last successful configuration reload.")
                       .Register(r)
                       .Add({});
  auto& reloads = prometheus::BuildCounter()
                      .Name("errpulse_config_reloads_total")
                      .Help("Configuration reloads (SIGHUP, POST /-/reload), by result.")
                      .Register(r);
  successes_ = &reloads.Add({{"result", "success"}});
  failures_ = &reloads.Add({{"result", "failure"}});
}

void ReloadMetrics::Loaded(double unix_seconds) {
  if (!first_load_) successes_->Increment();
  first_load_ = false;
  successful_->Set(1);
  success_time_->Set(unix_seconds);
}

void ReloadMetrics::Failed() {
  failures_->Increment();
  successful_->Set(0);
}

std::string ReloadMetrics::Scrape() const {
  return TextExpositionOf(*registry_);
}

}  // namespace errpulse
