#include "status/status_page.h"

#include <algorithm>

#include "build_info.h"
#include "status/html_text.h"
#include "status/sparkline.h"

namespace errpulse {
namespace {

// Beyond this many files per source the page says how many more there are;
// /api/v1/status lists them all.
constexpr size_t kMaxFilesShown = 200;
// Snapshots are taken every second; one older than this is flagged.
constexpr int64_t kStaleSnapshotMs = 15'000;  // refreshed every 1 s, or 5 s when idle

// System fonts only: nothing is fetched.
constexpr const char kStyle[] = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:15px/1.45 system-ui,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
header{background:#111827;color:#f9fafb;padding:12px 24px;display:flex;flex-wrap:wrap;gap:8px 28px;align-items:center}
header h1{font-size:22px;margin:0;letter-spacing:.01em}
header .meta{color:#d1d5db;font-size:14px}
header a{color:#93c5fd}
main{padding:16px 24px 32px;max-width:1500px}
section{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:14px 18px;margin:0 0 16px}
h2{font-size:18px;margin:0 0 10px}
h2 .sub,h3 .sub{font-weight:400;color:#4b5563;font-size:14px}
h3{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-size:12px;font-weight:700;color:#374151;text-transform:uppercase;letter-spacing:.04em;background:#f9fafb}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:13.5px}
.path{overflow-wrap:anywhere}
.muted{color:#6b7280}
.small{font-size:13px}
.bad{color:#b91c1c;font-weight:700}
.warn{color:#92400e;font-weight:700}
.zero{color:#9ca3af}
.strong{font-weight:700}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;margin:0 0 16px}
.grid>section{margin:0}
@media (max-width:1100px){.grid{grid-template-columns:1fr}}
.chip{display:inline-block;padding:2px 10px;border-radius:12px;font-size:13px;font-weight:700;white-space:nowrap}
.chip.firing{background:#dc2626;color:#fff}
.chip.pending{background:#f59e0b;color:#111827}
.chip.ok{background:#16a34a;color:#fff}
.chip.none{background:#6b7280;color:#fff}
.label{display:inline-block;background:#f3f4f6;border:1px solid #e5e7eb;border-radius:4px;padding:0 6px;margin:1px 4px 1px 0;font-size:13px}
section.firing{background:#fef2f2;border:2px solid #dc2626}
section.firing h2{color:#b91c1c}
section.firing th{background:#fee2e2}
section.pending{background:#fffbeb;border:2px solid #f59e0b}
section.firing tr.pending td{background:#fffbeb}
section.ok{border-left:6px solid #16a34a}
.banner{background:#fef2f2;border:2px solid #dc2626;color:#991b1b;font-weight:700;border-radius:8px;padding:10px 16px;margin:0 0 16px}
.code{font-weight:700;white-space:nowrap}
.name{font-weight:600;overflow-wrap:anywhere}
td.name{white-space:nowrap}
.nowrap{white-space:nowrap}
.meaning{color:#374151;font-size:13.5px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dt{color:#4b5563;font-weight:600}
dd{margin:0}
footer{color:#6b7280;font-size:13px;padding:0 24px 24px}
svg.spark{display:block;width:120px;height:32px}
td.chart{width:1%;white-space:nowrap}
footer a,section a{color:#1d4ed8}
)css";

std::string PathHtml(std::string_view path) { return HtmlEscapeBreakable(path, "/"); }
std::string NameHtml(std::string_view name) { return HtmlEscapeBreakable(name, "_."); }

std::string Window(int64_t ms) {
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + " min";
  return HumanDuration(ms);
}

std::string Ago(int64_t now_ms, int64_t then_ms) {
  return HumanDuration(now_ms - then_ms) + " ago";
}

// A right-aligned number cell; zero greyed, non-zero in `nonzero_class`.
std::string Num(uint64_t value, const char* nonzero_class = "") {
  std::string cls = value == 0 ? "n zero" : std::string("n ") + nonzero_class;
  return "<td class=\"" + cls + "\">" + GroupDigits(value) + "</td>";
}

// The last hour's chart of a row, or a dash when there is none (an alert
// whose rule is gone after a reload).
std::string ChartCell(const std::vector<uint64_t>& per_minute, int64_t last_minute,
                      int64_t mark_ms = 0) {
  if (per_minute.empty()) return "<td class=\"chart muted\">&ndash;</td>";
  return "<td class=\"chart\">" + Sparkline(per_minute, last_minute, mark_ms) +
         "<div class=\"muted small\">" + SparkCaption(per_minute, last_minute) + "</div></td>";
}

std::string Chip(const std::string& state, const std::string& text) {
  return "<span class=\"chip " + state + "\">" + HtmlEscape(text) + "</span>";
}

size_t CountState(const StatusSnapshot& s, const std::string& state) {
  return static_cast<size_t>(std::count_if(s.alerts.begin(), s.alerts.end(),
                                           [&](const AlertStatus& a) { return a.state == state; }));
}

void Head(std::string& out, const std::string& title, int refresh_seconds) {
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n";
  out += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (refresh_seconds > 0)
    out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refresh_seconds) + "\">\n";
  out += "<title>" + HtmlEscape(title) + "</title>\n<style>" + std::string(kStyle) +
         "</style></head>\n<body>\n";
}

void Header(std::string& out, const StatusSnapshot& s, const ServerInfo& server, int64_t now_ms,
            int refresh_seconds) {
  const size_t firing = CountState(s, "firing");
  const size_t pending = CountState(s, "pending");
  out += "<header><h1>errpulse &middot; " + HtmlEscape(s.host) + "</h1>";
  if (firing > 0) {
    out += Chip("firing", std::to_string(firing) + " FIRING");
  } else if (pending > 0) {
    out += Chip("pending", std::to_string(pending) + " pending");
  } else if (s.alert_rules > 0) {
    out += Chip("ok", "no alerts");
  } else {
    out += Chip("none", "no alert rules");
  }
  // The snapshot is taken every second: an old one means the pipeline thread is stuck.
  if (now_ms - s.taken_at_ms > kStaleSnapshotMs) {
    out += "<span class=\"chip firing\">data is " + HumanDuration(now_ms - s.taken_at_ms) +
           " old: the reading thread is stuck or overloaded</span>";
  } else {
    out += "<span class=\"meta\">data as of " + DisplayTime(s.taken_at_ms) + "</span>";
  }
  out += "<span class=\"meta\">up " + HumanDuration(now_ms - server.started_ms);
  if (s.last_commit_ms > 0) out += " &middot; committed " + Ago(now_ms, s.last_commit_ms);
  out += "</span><span class=\"meta\">";
  if (refresh_seconds > 0) {
    out += "refreshes every " + std::to_string(refresh_seconds) +
           " s &middot; <a href=\"/?refresh=off\">pause</a>";
  } else {
    out += "auto-refresh paused &middot; <a href=\"/\">resume</a>";
  }
  out += "</span></header>\n<main>\n";
}

void Banners(std::string& out, const StatusSnapshot& s) {
  if (s.commit_failing)
    out += "<div class=\"banner\">State commits are failing (disk full? permissions?): "
           "counting goes on, but a crash now would count lines again. See the log.</div>\n";
}

void Labels(std::string& out, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels)
    out += "<span class=\"label mono\">" + HtmlEscape(k) + "=" + HtmlEscape(v) + "</span>";
}

void Alerts(std::string& out, const StatusSnapshot& s, int64_t now_ms) {
  const size_t firing = CountState(s, "firing");
  const char* cls = firing > 0 ? "firing" : !s.alerts.empty() ? "pending" : "ok";
  out += "<section id=\"alerts\" class=\"" + std::string(cls) + "\"><h2>Alerts";
  if (s.alerts.empty()) {
    out += "</h2>";
    if (s.alert_rules == 0) {
      out += "<p class=\"muted\">No alert rules are loaded (rules/alerts.yaml, "
             "<code>alerts:</code> in the config).</p>";
    } else {
      out += "<p>No alert pending or firing. " + std::to_string(s.alert_rules) +
             " rule(s) watching.</p>";
    }
    out += "</section>\n";
    return;
  }
  out += " <span class=\"sub\">" + std::to_string(firing) + " firing, " +
         std::to_string(s.alerts.size() - firing) + " pending</span></h2>\n";
  out += "<table><thead><tr><th>State</th><th>Alert</th><th>Labels</th><th>Since</th>"
         "<th class=\"n\">Errors in window</th><th>Last hour, per minute</th><th>Summary</th>"
         "</tr></thead><tbody>\n";
  for (const auto& a : s.alerts) {
    out += "<tr class=\"" + HtmlEscape(a.state) + "\"><td>" + Chip(a.state, a.state);
    // Held back by an incident rule's `inhibits`: not sent while it fires.
    if (!a.inhibited_by.empty())
      out += "<div class=\"muted small inhibited\">not sent: inhibited by " +
             HtmlEscape(a.inhibited_by) + "</div>";
    out += "</td>";
    out += "<td class=\"name\">" + HtmlEscape(a.alertname) + "</td><td>";
    Labels(out, a.labels);
    out += "</td><td class=\"nowrap\"><b>" + Ago(now_ms, a.since_ms) +
           "</b><br><span class=\"muted small\">" + DisplayTime(a.since_ms) + "</span></td>";
    out += "<td class=\"n\">" + GroupDigits(a.count) + "</td>";
    // The dashed line: when it became active, against the surge's shape.
    out += ChartCell(a.per_minute, s.per_minute_last, a.since_ms) + "<td>";
    if (auto it = a.annotations.find("summary"); it != a.annotations.end())
      out += HtmlEscape(it->second);
    if (auto it = a.annotations.find("action"); it != a.annotations.end())
      out += "<div class=\"meaning\">Action: " + HtmlEscape(it->second) + "</div>";
    out += "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void TopCodes(std::string& out, const RecentCodes& recent, int64_t last_minute) {
  out += "<section class=\"top-codes\" id=\"top-" + std::to_string(recent.window_ms / 60'000) +
         "m\"><h2>Top codes, last " + Window(recent.window_ms) + " <span class=\"sub\">" +
         GroupDigits(recent.errors) + " error(s)";
  if (recent.covered_ms + 1000 < recent.window_ms)
    out += " &middot; counting for only " + HumanDuration(recent.covered_ms);
  out += "</span></h2>\n";
  if (recent.top.empty()) {
    out += "<p class=\"muted\">No errors.</p></section>\n";
    return;
  }
  out += "<table><thead><tr><th>Code</th><th>Name and meaning</th><th>Category / domain</th>"
         "<th class=\"n\">Errors</th><th>Last hour</th></tr></thead><tbody>\n";
  for (const auto& c : recent.top) {
    out += "<tr><td class=\"code mono\">" + HtmlEscape(c.code) + "</td><td>";
    out += c.known ? "<div class=\"name mono\">" + NameHtml(c.name) + "</div>"
                   : std::string("<div class=\"name muted\">not in the catalog</div>");
    if (!c.meaning.empty()) out += "<div class=\"meaning\">" + HtmlEscape(c.meaning) + "</div>";
    out += "</td><td>" + HtmlEscape(c.category) + "<div class=\"muted small mono\">" +
           HtmlEscape(c.domain) + "</div></td>";
    out += "<td class=\"n\"><b>" + GroupDigits(c.count) + "</b></td>" +
           ChartCell(c.per_minute, last_minute) + "</tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void Domains(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"domains\"><h2>Errors by domain <span class=\"sub\">since start = "
         "since " + DisplayTime(s.counting_since_ms) +
         "; total = the counters, kept across restarts</span></h2>\n";
  if (s.domains.empty()) {
    out += "<p class=\"muted\">No errors counted yet.</p></section>\n";
    return;
  }
  out += "<table><thead><tr><th>Domain</th>";
  for (int64_t w : s.domain_windows_ms) out += "<th class=\"n\">Last " + Window(w) + "</th>";
  out += "<th class=\"n\">Since start</th><th class=\"n\">Total</th></tr></thead><tbody>\n";
  for (const auto& d : s.domains) {
    out += "<tr><td class=\"mono\">" + HtmlEscape(d.domain) + "</td>";
    for (uint64_t v : d.recent) out += Num(v, "strong");
    out += Num(d.since_start) + Num(d.total) + "</tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void SourceSummary(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"sources\"><h2>Sources</h2>\n";
  if (s.sources.empty()) {
    out += "<p class=\"muted\">No sources configured.</p></section>\n";
    return;
  }
  out += "<table><thead><tr><th>Source</th><th>Paths</th><th class=\"n\">Files open</th>"
         "<th class=\"n\">Lag</th><th class=\"n\">Rotations</th><th class=\"n\">Truncations</th>"
         "<th class=\"n\">Read errors</th><th class=\"n\">Lines cut</th>"
         "<th class=\"n\">Files lost</th><th class=\"n\">Lines</th><th class=\"n\">Errors</th>"
         "</tr></thead><tbody>\n";
  for (const auto& src : s.sources) {
    const SourceStats& t = src.tail;
    out += "<tr><td class=\"name\">" + HtmlEscape(src.name) + "</td><td class=\"mono path\">";
    for (size_t i = 0; i < src.patterns.size(); ++i)
      out += (i ? "<br>" : "") + PathHtml(src.patterns[i]);
    out += "</td>" + Num(static_cast<uint64_t>(std::max<int64_t>(t.files_open, 0)));
    const uint64_t lag = static_cast<uint64_t>(std::max<int64_t>(t.lag_bytes, 0));
    out += "<td class=\"n" + std::string(lag ? " warn" : " zero") + "\">" + HumanBytes(lag) +
           "</td>";
    out += Num(t.rotations) + Num(t.truncations) + Num(t.read_errors, "bad") +
           Num(t.lines_cut, "warn") + Num(t.files_lost, "bad") + Num(src.lines) + Num(src.errors);
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  out += "<p class=\"muted small\">Counters (rotations to errors) run since the state file "
         "began; lag is bytes written but not yet read, as of the last look.</p></section>\n";
}

void Files(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"files\"><h2>Files</h2>\n";
  out += "<table><thead><tr><th>Source</th><th>Path</th><th>Format</th><th class=\"n\">Offset</th>"
         "<th class=\"n\">Size</th><th class=\"n\">Lag</th><th>State</th></tr></thead><tbody>\n";
  for (const auto& src : s.sources) {
    if (src.files.empty())
      out += "<tr><td class=\"name\">" + HtmlEscape(src.name) +
             "</td><td colspan=\"6\" class=\"muted\">no file matches its paths yet</td></tr>\n";
    const size_t shown = std::min(src.files.size(), kMaxFilesShown);
    for (size_t i = 0; i < shown; ++i) {
      const FileStatus& f = src.files[i];
      out += "<tr><td class=\"name\">" + HtmlEscape(src.name) + "</td>";
      out += "<td class=\"mono path\">" + PathHtml(f.path) + "</td>";
      out += "<td class=\"mono\">" + HtmlEscape(f.format) + "</td>";
      out += "<td class=\"n mono\" data-offset=\"" + std::to_string(f.offset) + "\">" +
             GroupDigits(f.offset) + "</td>";
      out += "<td class=\"n mono\">" + GroupDigits(f.size) + "</td>";
      out += "<td class=\"n" + std::string(f.lag() ? " warn" : " zero") + "\">" +
             HumanBytes(f.lag()) + "</td><td>";
      out += f.rotated ? "rotated away, reading to its end"
                       : f.parked ? "parked (max_open_files)" : "following";
      out += "</td></tr>\n";
    }
    if (src.files.size() > shown)
      out += "<tr><td class=\"name\">" + HtmlEscape(src.name) + "</td><td colspan=\"6\" "
             "class=\"muted\">and " + GroupDigits(src.files.size() - shown) +
             " more (all in /api/v1/status)</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void About(std::string& out, const StatusSnapshot& s, const ServerInfo& server,
           int64_t now_ms) {
  out += "<section id=\"about\"><h2>This errpulse</h2><dl>\n";
  auto row = [&](const char* key, const std::string& html) {
    out += "<dt>" + std::string(key) + "</dt><dd>" + html + "</dd>\n";
  };
  row("Version", HtmlEscape(build::kVersion) + " <span class=\"muted\">(revision <span "
                 "class=\"mono\">" + HtmlEscape(build::kRevision) + "</span>)</span>");
  row("Up", HumanDuration(now_ms - server.started_ms) + " <span class=\"muted\">(since " +
                DisplayTime(server.started_ms) + ")</span>");
  row("Listening on", "<span class=\"mono\">" + HtmlEscape(server.listen) + "</span>");
  row("Config", "<span class=\"mono path\">" +
                    (s.config_file.empty() ? std::string("(built-in defaults)")
                                           : HtmlEscape(s.config_file)) + "</span>");
  row("State", "<span class=\"mono path\">" + HtmlEscape(s.state_dir) + "</span>");
  row("Last commit",
      s.last_commit_ms == 0
          ? std::string("none yet")
          : DisplayTime(s.last_commit_ms) + " <span class=\"muted\">(" +
                Ago(now_ms, s.last_commit_ms) + ")</span>" +
                (s.commit_failing ? " <span class=\"bad\">commits failing</span>" : ""));
  out += "</dl></section>\n";
}

}  // namespace

std::string RenderStatusPage(const StatusSnapshot* snapshot, const ServerInfo& server,
                             int64_t now_ms, int refresh_seconds) {
  std::string out;
  out.reserve(64 * 1024);
  if (!snapshot) {
    Head(out, "errpulse: starting", refresh_seconds > 0 ? refresh_seconds : 0);
    out += "<header><h1>errpulse</h1><span class=\"meta\">starting: restoring state and "
           "opening sources&hellip;</span></header>\n</body></html>\n";
    return out;
  }
  const StatusSnapshot& s = *snapshot;
  const size_t firing = CountState(s, "firing");
  Head(out,
       (firing > 0 ? "(" + std::to_string(firing) + " firing) " : std::string()) + "errpulse: " +
           s.host,
       refresh_seconds);
  Header(out, s, server, now_ms, refresh_seconds);
  Banners(out, s);
  Alerts(out, s, now_ms);
  out += "<div class=\"grid\">\n";
  for (const auto& recent : s.recent) TopCodes(out, recent, s.per_minute_last);
  out += "</div>\n";
  SourceSummary(out, s);
  Files(out, s);
  Domains(out, s);
  About(out, s, server, now_ms);
  out += "</main>\n<footer><a href=\"/metrics\">/metrics</a> &middot; "
         "<a href=\"/api/v1/status\">/api/v1/status</a> (this page as JSON) &middot; "
         "<a href=\"/api/v1/alerts\">/api/v1/alerts</a> &middot; "
         "<a href=\"/-/healthy\">/-/healthy</a> &middot; <a href=\"/-/ready\">/-/ready</a>"
         "</footer>\n</body></html>\n";
  return out;
}

}  // namespace errpulse
