#include "status/status_json.h"

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "common/time_format.h"
#include "status/minute_ring.h"

namespace errpulse {
namespace {

using nlohmann::json;

std::string Time(int64_t ms) { return FormatUtc(ms, /*with_millis=*/true); }

json CodeJson(const CodeCount& c) {
  return {{"code", c.code},         {"known", c.known},       {"name", c.name},
          {"domain", c.domain},     {"category", c.category}, {"severity", c.severity},
          {"meaning", c.meaning},   {"action", c.action},     {"count", c.count},
          {"per_minute", c.per_minute}};
}

json SourceJson(const SourceStatus& s) {
  json files = json::array();
  for (const auto& f : s.files)
    files.push_back({{"path", f.path},
                     {"offset", f.offset},
                     {"size", f.size},
                     {"lag_bytes", f.lag()},
                     {"rotated", f.rotated},
                     {"parked", f.parked},
                     {"format", f.format}});
  const SourceStats& t = s.tail;
  return {{"name", s.name},
          {"paths", s.patterns},
          {"lines", s.lines},
          {"errors", s.errors},
          {"successes", s.successes},
          {"bytes_read", t.bytes_read},
          {"files_open", t.files_open},
          {"lag_bytes", t.lag_bytes},
          {"rotations", t.rotations},
          {"truncations", t.truncations},
          {"read_errors", t.read_errors},
          {"lines_cut", t.lines_cut},
          {"files_lost", t.files_lost},
          {"files", files}};
}

std::string WindowKey(int64_t ms) { return std::to_string(ms / 60'000) + "m"; }

}  // namespace

std::string StatusJson(const StatusSnapshot* snapshot, const ServerInfo& server, int64_t now_ms) {
  json data = {{"ready", snapshot != nullptr},
               {"build", {{"version", build::kVersion}, {"revision", build::kRevision}}},
               {"listen", server.listen},
               {"started_at", Time(server.started_ms)},
               {"uptime_seconds", (now_ms - server.started_ms) / 1000}};
  if (snapshot) {
    const StatusSnapshot& s = *snapshot;
    data["host"] = s.host;
    data["config_file"] = s.config_file;
    data["state_dir"] = s.state_dir;
    data["snapshot_at"] = Time(s.taken_at_ms);
    data["counting_since"] = Time(s.counting_since_ms);
    data["last_commit_at"] = s.last_commit_ms ? json(Time(s.last_commit_ms)) : json(nullptr);
    data["commit_failing"] = s.commit_failing;
    data["alert_rules"] = s.alert_rules;
    json alerts = json::array();
    for (const auto& a : s.alerts) {
      alerts.push_back({{"alertname", a.alertname},
                        {"state", a.state},
                        {"labels", a.labels},
                        {"annotations", a.annotations},
                        {"active_since", Time(a.since_ms)},
                        {"count", a.count},
                        {"per_minute", a.per_minute}});
      if (!a.inhibited_by.empty()) alerts.back()["inhibited_by"] = a.inhibited_by;
    }
    data["alerts"] = alerts;
    json sources = json::array();
    for (const auto& src : s.sources) sources.push_back(SourceJson(src));
    data["sources"] = sources;
    json domains = json::array();
    for (const auto& d : s.domains) {
      json row = {{"domain", d.domain}, {"since_start", d.since_start}, {"total", d.total}};
      for (size_t i = 0; i < d.recent.size() && i < s.domain_windows_ms.size(); ++i)
        row["last_" + WindowKey(s.domain_windows_ms[i])] = d.recent[i];
      domains.push_back(row);
    }
    data["errors_by_domain"] = domains;
    json top = json::object();
    for (const auto& r : s.recent) {
      json codes = json::array();
      for (const auto& c : r.top) codes.push_back(CodeJson(c));
      top[WindowKey(r.window_ms)] = {{"covered_seconds", r.covered_ms / 1000},
                                     {"errors", r.errors},
                                     {"codes", codes}};
    }
    data["top_codes"] = top;
    // What the per_minute lists span: their first and last point's minute.
    const int64_t points = static_cast<int64_t>(MinuteRing::kMinutes);
    data["per_minute"] = {{"minutes", points},
                          {"first_minute", Time((s.per_minute_last - points + 1) * 60'000)},
                          {"last_minute", Time(s.per_minute_last * 60'000)}};
  }
  // Paths are bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
  return json{{"status", "success"}, {"data", data}}.dump(-1, ' ', false,
                                                          json::error_handler_t::replace);
}

}  // namespace errpulse
