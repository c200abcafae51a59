#include "status/status_publisher.h"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "status/minute_series.h"

namespace errpulse {
namespace {

std::string HostName(const Config& config) {
  if (!config.alerting.host.empty()) return config.alerting.host;
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

SourceStatus SourceOf(const SourceConfig& config, const SourceCounts& counts,
                      const SourceStats& tail, std::vector<FollowedFile> followed) {
  SourceStatus source;
  source.name = config.name;
  source.patterns = config.paths;
  source.lines = counts.lines;
  source.errors = counts.errors;
  source.successes = counts.successes;
  source.tail = tail;
  for (auto& f : followed)
    source.files.push_back(
        {std::move(f.path), f.offset, f.size, f.retired, f.parked, std::move(f.format)});
  std::sort(source.files.begin(), source.files.end(),
            [](const FileStatus& a, const FileStatus& b) {
              return a.rotated != b.rotated ? !a.rotated : a.path < b.path;
            });
  return source;
}

std::vector<AlertStatus> AlertsOf(const AlertDispatcher& alerting) {
  std::vector<AlertStatus> alerts;
  for (auto& a : alerting.ActiveAlerts()) {
    AlertStatus status;
    status.alertname = a.labels["alertname"];
    a.labels.erase("alertname");
    status.state = AlertStateName(a.state);
    status.labels = std::move(a.labels);
    status.annotations = std::move(a.annotations);
    status.since_ms = a.active_since_ms;
    status.count = a.count;
    status.inhibited_by = a.inhibited_by;
    alerts.push_back(std::move(status));
  }
  std::stable_sort(alerts.begin(), alerts.end(), [](const AlertStatus& a, const AlertStatus& b) {
    if ((a.state == "firing") != (b.state == "firing")) return a.state == "firing";
    return a.since_ms < b.since_ms;
  });
  return alerts;
}

}  // namespace

StatusPublisher::StatusPublisher(std::shared_ptr<const Catalog> catalog,
                                 std::shared_ptr<const Config> config)
    : catalog_(std::move(catalog)),
      config_(std::move(config)),
      host_(HostName(*config_)),
      history_(kSampleEveryMs, *std::max_element(std::begin(kDomainWindowsMs),
                                                 std::end(kDomainWindowsMs))) {}

void StatusPublisher::Refresh(const StatusInputs& in, int64_t now_ms) {
  const Config& config = *config_;
  const CodeTotals now = TakeTotals(*catalog_, in.counts, now_ms);
  if (!start_) start_ = now;
  history_.Offer(now);
  SourceTotals by_source;
  for (size_t s = 0; s < config.sources.size(); ++s)
    by_source.emplace_back(config.sources[s].name, TakeSourceTotals(*catalog_, in.counts[s], now_ms));
  minutes_.Advance(by_source, now_ms);

  auto snapshot = std::make_shared<StatusSnapshot>();
  snapshot->taken_at_ms = now_ms;
  snapshot->counting_since_ms = start_->at_ms;
  snapshot->host = host_;
  snapshot->config_file = config.file;
  snapshot->state_dir = config.state_dir;
  snapshot->last_commit_ms = in.last_commit_ms;
  snapshot->commit_failing = in.commit_failing;
  for (size_t s = 0; s < config.sources.size(); ++s)
    snapshot->sources.push_back(SourceOf(config.sources[s], in.counts[s],
                                         in.sources.For(s).Stats(s), in.sources.For(s).Followed(s)));
  if (in.alerting) {
    snapshot->alert_rules = in.alerting->rules().size();
    snapshot->alerts = AlertsOf(*in.alerting);
  }
  AddCounts(now, snapshot.get());
  AddSeries(in.alerting, snapshot.get());

  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = std::move(snapshot);
}

void StatusPublisher::AddCounts(const CodeTotals& now, StatusSnapshot* out) const {
  const Catalog& catalog = *catalog_;
  for (int64_t window : kTopWindowsMs) {
    const CodeTotals* base = history_.Base(now.at_ms, window);
    RecentCodes recent = TopCodes(catalog, Subtract(now, *base), kTopCodes);
    recent.window_ms = window;
    recent.covered_ms = now.at_ms - base->at_ms;
    out->recent.push_back(std::move(recent));
  }
  // Domains: one column per window, then since start, then all time.
  std::vector<std::map<std::string, uint64_t>> columns;
  for (int64_t window : kDomainWindowsMs) {
    out->domain_windows_ms.push_back(window);
    columns.push_back(ErrorsByDomain(catalog, Subtract(now, *history_.Base(now.at_ms, window))));
  }
  const auto since_start = ErrorsByDomain(catalog, Subtract(now, *start_));
  for (const auto& [domain, total] : ErrorsByDomain(catalog, now)) {
    DomainCount row;
    row.domain = domain;
    row.total = total;
    for (const auto& column : columns) {
      auto it = column.find(domain);
      row.recent.push_back(it == column.end() ? 0 : it->second);
    }
    if (auto it = since_start.find(domain); it != since_start.end()) row.since_start = it->second;
    out->domains.push_back(std::move(row));
  }
  std::stable_sort(out->domains.begin(), out->domains.end(),
                   [](const DomainCount& a, const DomainCount& b) {
                     return a.recent != b.recent ? a.recent > b.recent : a.total > b.total;
                   });
}

void StatusPublisher::AddSeries(const AlertDispatcher* alerting, StatusSnapshot* out) const {
  out->per_minute_last = minutes_.current_minute();
  const SeriesIndex index(minutes_.Window(), minutes_.current_minute());
  for (auto& recent : out->recent)
    for (auto& code : recent.top) code.per_minute = index.ForCode(code.code);
  if (!alerting) return;
  for (auto& alert : out->alerts) {
    const auto& rules = alerting->rules();
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const AlertRule& r) { return r.name == alert.alertname; });
    if (rule == rules.end()) continue;  // gone since (a reload): no chart
    std::vector<const AlertMatch*> matches;
    for (const auto& condition : rule->conditions) matches.push_back(&condition.match);
    alert.per_minute = index.ForAlert(*catalog_, matches, rule->by, alert.labels);
  }
}

std::shared_ptr<const StatusSnapshot> StatusPublisher::Latest() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_;
}

void StatusPublisher::ContinueFrom(const StatusPublisher& previous) {
  history_ = previous.history_;  // totals are keyed by code: valid across catalogs
  start_ = previous.start_;
  minutes_ = previous.minutes_;  // keyed by source name and code, like the history
}

}  // namespace errpulse
