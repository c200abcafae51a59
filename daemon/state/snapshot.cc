#include "state/snapshot.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace errpulse {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic = "errpulse-state";
constexpr int kVersion = 1;

uint64_t Fnv1a(std::string_view data) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// Fields a plain-text set-up never uses are written only when set, so such
// a state file reads the same as before decoded formats existed.
json TailToJson(const SourceStats& t) {
  json j = {{"bytes_read", t.bytes_read},   {"read_errors", t.read_errors},
            {"lines_cut", t.lines_cut},     {"rotations", t.rotations},
            {"truncations", t.truncations}, {"files_lost", t.files_lost}};
  json decode_errors = json::object();
  for (size_t f = 0; f < t.decode_errors.size(); ++f)
    if (t.decode_errors[f])
      decode_errors[std::string(LogFormatName(static_cast<LogFormat>(f)))] = t.decode_errors[f];
  if (!decode_errors.empty()) j["decode_errors"] = decode_errors;
  if (t.encrypted_blocks) j["encrypted_blocks"] = t.encrypted_blocks;
  if (t.seq_gaps) j["seq_gaps"] = t.seq_gaps;
  return j;
}

json FileToJson(const FileRecord& f) {
  json j = {{"path", f.path},
          {"device", f.identity.device},
          {"inode", f.identity.inode},
          {"fingerprint_length", f.fingerprint.length},
          {"fingerprint", f.fingerprint.hash},
          {"offset", f.offset},
          {"skipping", f.skipping},
          {"retired", f.retired}};
  // Plain files (the only kind before formats) keep the old record.
  if (f.format == LogFormat::kPlain) return j;
  j["format"] = LogFormatName(f.format);
  if (f.format == LogFormat::kAuto) return j;  // not decided yet: offset as for plain
  j["decode_skip"] = f.decode_skip;
  j["counted_offset"] = f.counted_offset;
  if (f.catch_up_to) j["catch_up_to"] = f.catch_up_to;
  return j;
}

// A member that must be a JSON object or array, named in the complaint.
const json& Member(const json& object, const char* key, bool array) {
  if (!object.contains(key)) throw std::runtime_error(std::string("missing field '") + key + "'");
  const json& value = object.at(key);
  if (array ? !value.is_array() : !value.is_object())
    throw std::runtime_error(std::string("field '") + key + "' is not " +
                             (array ? "a list" : "an object"));
  return value;
}

// Typed field access that names the field in its complaint.
template <typename T>
T Field(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key))
    throw std::runtime_error(std::string("missing field '") + key + "'");
  const json& value = object.at(key);
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) throw std::runtime_error(std::string("field '") + key + "' is not a boolean");
  } else if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer())
      throw std::runtime_error(std::string("field '") + key + "' is not an integer");
    if (std::is_unsigned_v<T> && value.is_number_integer() && !value.is_number_unsigned())
      throw std::runtime_error(std::string("field '") + key + "' is negative");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) throw std::runtime_error(std::string("field '") + key + "' is not a string");
  }
  return value.get<T>();
}

SourceStats TailFromJson(const json& j) {
  SourceStats t;
  t.bytes_read = Field<uint64_t>(j, "bytes_read");
  t.read_errors = Field<uint64_t>(j, "read_errors");
  t.lines_cut = Field<uint64_t>(j, "lines_cut");
  t.rotations = Field<uint64_t>(j, "rotations");
  t.truncations = Field<uint64_t>(j, "truncations");
  t.files_lost = Field<uint64_t>(j, "files_lost");
  if (j.contains("decode_errors")) {
    for (const auto& [name, n] : Member(j, "decode_errors", /*array=*/false).items()) {
      const auto format = ParseLogFormat(name);
      if (!format || !n.is_number_unsigned())
        throw std::runtime_error("bad entry '" + name + "' in decode_errors");
      t.decode_errors[static_cast<size_t>(*format)] = n.get<uint64_t>();
    }
  }
  if (j.contains("encrypted_blocks")) t.encrypted_blocks = Field<uint64_t>(j, "encrypted_blocks");
  if (j.contains("seq_gaps")) t.seq_gaps = Field<uint64_t>(j, "seq_gaps");
  return t;
}

FileRecord FileFromJson(const json& j) {
  FileRecord f;
  f.path = Field<std::string>(j, "path");
  f.identity.device = Field<uint64_t>(j, "device");
  f.identity.inode = Field<uint64_t>(j, "inode");
  const uint64_t fingerprint_length = Field<uint64_t>(j, "fingerprint_length");
  if (fingerprint_length > kFingerprintBytes)
    throw std::runtime_error("fingerprint_length is out of range");
  f.fingerprint.length = static_cast<uint32_t>(fingerprint_length);
  f.fingerprint.hash = Field<uint64_t>(j, "fingerprint");
  f.offset = Field<uint64_t>(j, "offset");
  f.skipping = Field<bool>(j, "skipping");
  f.retired = Field<bool>(j, "retired");
  f.format = LogFormat::kPlain;  // a record without a format is a plain file's
  f.counted_offset = f.offset;
  if (j.contains("format")) {
    const std::string name = Field<std::string>(j, "format");
    const auto format = ParseLogFormat(name);
    if (!format) throw std::runtime_error("unknown file format '" + name + "'");
    f.format = *format;
  }
  if (f.format != LogFormat::kPlain && f.format != LogFormat::kAuto) {
    f.decode_skip = Field<uint64_t>(j, "decode_skip");
    f.counted_offset = Field<uint64_t>(j, "counted_offset");
    if (j.contains("catch_up_to")) f.catch_up_to = Field<uint64_t>(j, "catch_up_to");
    if (f.counted_offset < f.offset) throw std::runtime_error("counted_offset is before offset");
  }
  if (f.path.empty() || f.path[0] != '/') throw std::runtime_error("file path is not absolute");
  return f;
}

json SecondsToJson(const std::map<int64_t, uint64_t>& by_second) {
  json out = json::array();
  for (const auto& [second, n] : by_second) out.push_back({second, n});
  return out;
}

std::map<int64_t, uint64_t> SecondsFromJson(const json& j) {
  if (!j.is_array()) throw std::runtime_error("alert window is not a list");
  std::map<int64_t, uint64_t> out;
  for (const auto& pair : j) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() ||
        !pair[1].is_number_unsigned())
      throw std::runtime_error("bad entry in an alert window");
    out[pair[0].get<int64_t>()] = pair[1].get<uint64_t>();
  }
  return out;
}

json AlertToJson(const AlertInstanceState& a) {
  json out = {{"alertname", a.alertname},
              {"labels", a.labels},
              {"state", AlertStateName(a.state)},
              {"active_since_ms", a.active_since_ms},
              {"false_since_ms", a.false_since_ms},
              {"firing_since_ms", a.firing_since_ms},
              {"errors", SecondsToJson(a.errors)},
              {"totals", SecondsToJson(a.totals)}};
  // Incident rules only: a plain rule's instance reads as before.
  if (!a.more_windows.empty()) {
    json more = json::array();
    for (const auto& w : a.more_windows)
      more.push_back({{"errors", SecondsToJson(w.errors)}, {"totals", SecondsToJson(w.totals)}});
    out["more_windows"] = std::move(more);
  }
  return out;
}

AlertInstanceState AlertFromJson(const json& j) {
  AlertInstanceState a;
  a.alertname = Field<std::string>(j, "alertname");
  for (const auto& [k, v] : Member(j, "labels", /*array=*/false).items()) {
    if (!v.is_string()) throw std::runtime_error("alert label '" + k + "' is not a string");
    a.labels[k] = v.get<std::string>();
  }
  const std::string state = Field<std::string>(j, "state");
  if (state == "pending") {
    a.state = AlertState::kPending;
  } else if (state == "firing") {
    a.state = AlertState::kFiring;
  } else if (state == "inactive") {
    a.state = AlertState::kInactive;
  } else {
    throw std::runtime_error("unknown alert state '" + state + "'");
  }
  a.active_since_ms = Field<int64_t>(j, "active_since_ms");
  a.false_since_ms = Field<int64_t>(j, "false_since_ms");
  a.errors = SecondsFromJson(Member(j, "errors", /*array=*/true));
  a.totals = SecondsFromJson(Member(j, "totals", /*array=*/true));
  // Both absent from state files written before incident rules.
  if (j.contains("firing_since_ms")) a.firing_since_ms = Field<int64_t>(j, "firing_since_ms");
  if (j.contains("more_windows")) {
    const json& more = Member(j, "more_windows", /*array=*/true);
    if (more.size() + 1 > kMaxAlertConditions)
      throw std::runtime_error("more alert windows than an alert rule has conditions");
    for (const auto& w : more) {
      a.more_windows.push_back({SecondsFromJson(Member(w, "errors", /*array=*/true)),
                                SecondsFromJson(Member(w, "totals", /*array=*/true))});
    }
  }
  return a;
}

// A minute: {"minute": N, "rest": R, "counts": [[source, code, n], ...]}.
json MinuteToJson(const MinuteState& m) {
  json counts = json::array();
  for (const auto& c : m.counts) counts.push_back({c.source, c.code, c.count});
  return {{"minute", m.minute}, {"rest", m.rest}, {"counts", counts}};
}

MinuteState MinuteFromJson(const json& j) {
  MinuteState m;
  m.minute = Field<int64_t>(j, "minute");
  m.rest = Field<uint64_t>(j, "rest");
  for (const auto& c : Member(j, "counts", /*array=*/true)) {
    if (!c.is_array() || c.size() != 3 || !c[0].is_string() || !c[1].is_string() ||
        !c[2].is_number_unsigned())
      throw std::runtime_error("bad entry in a minute's counts");
    m.counts.push_back({c[0].get<std::string>(), c[1].get<std::string>(), c[2].get<uint64_t>()});
  }
  return m;
}

}  // namespace

std::string SerializeSnapshot(const Snapshot& snapshot) {
  json sources = json::array();
  for (const auto& s : snapshot.sources) {
    json by_code = json::object();
    for (const auto& [code, n] : s.by_code) by_code[std::to_string(code)] = n;
    json files = json::array();
    for (const auto& f : s.files) files.push_back(FileToJson(f));
    json known = json::array();
    for (const auto& k : s.known) known.push_back({k.length, k.hash});
    sources.push_back({{"name", s.name},
                       {"lines", s.lines},
                       {"errors", s.errors},
                       {"successes", s.successes},
                       {"unknown_total", s.unknown_total},
                       {"by_code", by_code},
                       {"other", s.other},
                       {"tail", TailToJson(s.tail)},
                       {"files", files},
                       {"known", known}});
    // Journal sources only: file sources' state reads as it always did.
    if (!s.journal_cursor.empty()) sources.back()["journal_cursor"] = s.journal_cursor;
    if (!s.containers.empty()) {  // written only when used: older files read the same
      json containers = json::array();
      for (const auto& c : s.containers) {
        json codes = json::array();
        for (const auto& [code, n] : c.by_code) codes.push_back({code, n});
        containers.push_back({{"namespace", c.namespace_name}, {"pod", c.pod},
                              {"container", c.container}, {"lines", c.lines},
                              {"successes", c.successes}, {"by_code", codes}});
      }
      sources.back()["containers"] = containers;
    }
  }
  json alerts = json::array();
  for (const auto& a : snapshot.alerts) alerts.push_back(AlertToJson(a));
  json root{{"written_at_ms", snapshot.written_at_ms}, {"sources", sources}, {"alerts", alerts}};
  if (!snapshot.minutes.empty()) {  // written only when kept: older files read the same
    json minutes = json::array();
    for (const auto& m : snapshot.minutes) minutes.push_back(MinuteToJson(m));
    root["minutes"] = minutes;
  }
  const std::string body = root.dump();
  char header[64];
  std::snprintf(header, sizeof(header), "%s %d %016llx\n", kMagic.data(), kVersion,
                static_cast<unsigned long long>(Fnv1a(body)));
  return header + body + "\n";
}

std::string ParseSnapshot(std::string_view text, Snapshot* out) {
  const size_t newline = text.find('\n');
  if (text.substr(0, kMagic.size()) != kMagic || newline == std::string_view::npos)
    return text.empty() ? "the file is empty" : "not an errpulse state file";
  const std::string_view header = text.substr(0, newline);
  const std::string expected_prefix = std::string(kMagic) + " " + std::to_string(kVersion) + " ";
  if (header.substr(0, expected_prefix.size()) != expected_prefix)
    return "unsupported state format '" + std::string(header) + "' (this errpulse reads version " +
           std::to_string(kVersion) + ")";
  uint64_t checksum = 0;
  const std::string_view hex = header.substr(expected_prefix.size());
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), checksum, 16);
  if (ec != std::errc() || end != hex.data() + hex.size()) return "damaged header";
  std::string_view body = text.substr(newline + 1);
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  if (Fnv1a(body) != checksum) return "checksum mismatch (the file is truncated or damaged)";
  if (body.find('\0') != std::string_view::npos) return "invalid content: NUL byte in the body";
  try {
    const json root = json::parse(body);
    Snapshot snapshot;
    snapshot.written_at_ms = Field<int64_t>(root, "written_at_ms");
    for (const auto& js : Member(root, "sources", /*array=*/true)) {
      SourceState s;
      s.name = Field<std::string>(js, "name");
      s.lines = Field<uint64_t>(js, "lines");
      s.errors = Field<uint64_t>(js, "errors");
      s.successes = Field<uint64_t>(js, "successes");
      s.unknown_total = Field<uint64_t>(js, "unknown_total");
      for (const auto& [code, n] : Member(js, "by_code", /*array=*/false).items()) {
        int64_t value = 0;
        auto [e, c] = std::from_chars(code.data(), code.data() + code.size(), value);
        if (c != std::errc() || e != code.data() + code.size() || !n.is_number_unsigned())
          return "bad entry '" + code + "' in by_code";
        s.by_code[value] = n.get<uint64_t>();
      }
      for (const auto& [domain, n] : Member(js, "other", /*array=*/false).items()) {
        if (!n.is_number_unsigned()) return "bad entry '" + domain + "' in other";
        s.other[domain] = n.get<uint64_t>();
      }
      s.tail = TailFromJson(Member(js, "tail", /*array=*/false));
      for (const auto& jf : Member(js, "files", /*array=*/true)) s.files.push_back(FileFromJson(jf));
      for (const auto& jk : Member(js, "known", /*array=*/true)) {
        if (!jk.is_array() || jk.size() != 2 || !jk[0].is_number_unsigned() ||
            !jk[1].is_number_unsigned() || jk[0].get<uint64_t>() > kFingerprintBytes)
          return "bad entry in known";
        s.known.push_back({jk[0].get<uint32_t>(), jk[1].get<uint64_t>()});
      }
      if (js.contains("journal_cursor")) {
        const json& cursor = js["journal_cursor"];
        if (!cursor.is_string() || cursor.get<std::string>().empty())
          return "bad journal_cursor";
        s.journal_cursor = cursor.get<std::string>();
      }
      if (js.contains("containers")) {
        for (const auto& jc : Member(js, "containers", /*array=*/true)) {
          ContainerState c;
          c.namespace_name = Field<std::string>(jc, "namespace");
          c.pod = Field<std::string>(jc, "pod");
          c.container = Field<std::string>(jc, "container");
          c.lines = Field<uint64_t>(jc, "lines");
          c.successes = Field<uint64_t>(jc, "successes");
          for (const auto& pair : Member(jc, "by_code", /*array=*/true)) {
            if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() ||
                !pair[1].is_number_unsigned())
              return "bad entry in a container's by_code";
            c.by_code[pair[0].get<int64_t>()] = pair[1].get<uint64_t>();
          }
          s.containers.push_back(std::move(c));
        }
      }
      snapshot.sources.push_back(std::move(s));
    }
    for (const auto& ja : Member(root, "alerts", /*array=*/true))
      snapshot.alerts.push_back(AlertFromJson(ja));
    if (root.contains("minutes"))
      for (const auto& jm : Member(root, "minutes", /*array=*/true))
        snapshot.minutes.push_back(MinuteFromJson(jm));
    *out = std::move(snapshot);
    return "";
  } catch (const std::exception& e) {
    return std::string("invalid content: ") + e.what();
  }
}

}  // namespace errpulse
