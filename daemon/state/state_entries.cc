#include "state/state_entries.h"

#include <algorithm>
#include <vector>

#include "state/varint.h"

namespace errpulse {
namespace {

// Key tags. Top level: 'W' written_at_ms, 'O' the order of the sources,
// 'S' a source, 'A' an alert instance. Under a source: 'c' counts, 't' tail counters, 'b' a code's
// count, 'o' a range domain's count, 'k' the known fingerprints, 'j' the
// journal cursor (journal sources only), 'L' the
// file order, 'f' a file ('i' identity, 'p' position), 'C' a container ('n'
// its counts, 'b' a code's count). Under an alert instance: 'h' its header,
// 'e' and 't' a second of its error and total windows; an incident rule's
// further conditions: 'E' and 'T' with the condition's index (1 for the
// second) before the second. 'M' a minute of the
// status page's per-minute counts, in a group of its own ("M").
constexpr char kWritten = 'W', kSourceOrder = 'O', kSource = 'S', kAlert = 'A';
constexpr char kMinute = 'M';

// The key of a file within its source: path, retired, device, inode (a path
// can name an active file and a rotated-away one at once).
void PutFileId(std::string* key, const FileRecord& f) {
  PutBytes(key, f.path);
  PutVarint(key, f.retired ? 1 : 0);
  PutVarint(key, f.identity.device);
  PutVarint(key, f.identity.inode);
}

bool HasDecoderFields(const FileRecord& f) {
  return f.format != LogFormat::kPlain && f.format != LogFormat::kAuto;
}

void PutPosition(std::string* value, const FileRecord& f) {
  PutVarint(value, f.offset);
  const bool decoded = HasDecoderFields(f);
  PutVarint(value, (f.skipping ? 1u : 0u) | (decoded ? 2u : 0u));
  if (!decoded) return;
  PutVarint(value, f.decode_skip);
  PutVarint(value, f.counted_offset - f.offset);  // never negative (ParseSnapshot checks)
  PutVarint(value, f.catch_up_to);
}

// Builds keys and values in two reused strings: after the first commit,
// flattening allocates nothing.
class Flattener {
 public:
  explicit Flattener(EntrySink* sink) : sink_(sink) {}

  void Run(const Snapshot& s) {
    sink_->Group("", GroupMode::kComplete);
    key_.assign(1, kWritten);
    value_.clear();
    PutSigned(&value_, s.written_at_ms);
    Emit();
    key_.assign(1, kSourceOrder);
    value_.clear();
    PutVarint(&value_, s.sources.size());
    for (const auto& source : s.sources) PutBytes(&value_, source.name);
    Emit();
    for (const auto& source : s.sources) Source(source);
    if (s.alerts_partial) sink_->KeepUnmentioned(std::string_view(&kAlert, 1));
    for (const auto& alert : s.alerts) Alert(alert);
    Minutes(s);
  }

 private:
  void Emit() { sink_->Entry(key_, value_); }
  // Key = prefix + tag (+ more, appended by the caller before Emit()).
  void Key(size_t prefix, char tag) {
    key_.resize(prefix);
    key_.push_back(tag);
    value_.clear();
  }

  void Source(const SourceState& s) {
    key_.assign(1, kSource);
    PutBytes(&key_, s.name);
    if (s.unchanged) {
      sink_->Group(key_, GroupMode::kUnchanged);
      const size_t prefix = key_.size();
      for (char group : {'b', 'f'}) {  // the codes' and the files' groups
        key_.resize(prefix);
        key_.push_back(group);
        sink_->Group(key_, GroupMode::kUnchanged);
      }
      return;
    }
    sink_->Group(key_, GroupMode::kComplete);
    const size_t prefix = key_.size();
    Key(prefix, 'c');
    for (uint64_t v : {s.lines, s.errors, s.successes, s.unknown_total}) PutVarint(&value_, v);
    Emit();
    Key(prefix, 't');
    const SourceStats& t = s.tail;
    for (uint64_t v : {t.bytes_read, t.read_errors, t.lines_cut, t.rotations, t.truncations,
                       t.files_lost, t.encrypted_blocks, t.seq_gaps})
      PutVarint(&value_, v);
    PutVarint(&value_, t.decode_errors.size());
    for (uint64_t v : t.decode_errors) PutVarint(&value_, v);
    Emit();
    Key(prefix, 'k');
    PutVarint(&value_, s.known.size());
    for (const auto& k : s.known) {
      PutVarint(&value_, k.length);
      PutVarint(&value_, k.hash);
    }
    // A journal source's cursor: announced here (an entry always present),
    // so that a missing 'j' entry is an incomplete source, never "no cursor,
    // read the journal again from its oldest entry". Older states end 'k'
    // after the fingerprints.
    if (!s.journal_cursor.empty()) PutVarint(&value_, 1);
    Emit();
    if (!s.journal_cursor.empty()) {
      Key(prefix, 'j');
      PutBytes(&value_, s.journal_cursor);
      Emit();
    }
    for (const auto& c : s.containers) {
      Key(prefix, 'C');
      PutBytes(&key_, c.namespace_name);
      PutBytes(&key_, c.pod);
      PutBytes(&key_, c.container);
      const size_t container = key_.size();
      Key(container, 'n');
      PutVarint(&value_, c.lines);
      PutVarint(&value_, c.successes);
      Emit();
      for (const auto& [code, n] : c.by_code) {
        Key(container, 'b');
        PutSigned(&key_, code);
        PutVarint(&value_, n);
        Emit();
      }
    }
    // The files in a group of their own: while the set of files stays the
    // same, a commit sends only the files that moved (files_partial), and
    // the order ('L') stays as it was.
    Key(prefix, 'f');
    sink_->Group(key_, s.files_partial ? GroupMode::kPartial : GroupMode::kComplete);
    if (!s.files_partial) {
      Key(prefix, 'L');
      PutVarint(&value_, s.files.size());
      for (const auto& f : s.files) PutFileId(&value_, f);
      Emit();
    }
    for (const auto& f : s.files) {
      Key(prefix, 'f');
      PutFileId(&key_, f);
      const size_t file = key_.size();
      Key(file, 'i');
      PutVarint(&value_, f.fingerprint.length);
      PutVarint(&value_, f.fingerprint.hash);
      PutVarint(&value_, static_cast<uint64_t>(f.format));
      Emit();
      Key(file, 'p');
      PutPosition(&value_, f);
      Emit();
    }
    // The codes last, in a group of their own: a commit usually moves a
    // few of many, and sends only those (codes_partial).
    Key(prefix, 'b');
    sink_->Group(key_, s.codes_partial ? GroupMode::kPartial : GroupMode::kComplete);
    for (const auto& [code, n] : s.by_code) {
      Key(prefix, 'b');
      PutSigned(&key_, code);
      PutVarint(&value_, n);
      Emit();
    }
    for (const auto& [domain, n] : s.other) {
      Key(prefix, 'o');
      PutBytes(&key_, domain);
      PutVarint(&value_, n);
      Emit();
    }
  }

  void Alert(const AlertInstanceState& a) {
    key_.assign(1, kAlert);
    PutBytes(&key_, a.alertname);
    PutVarint(&key_, a.labels.size());
    for (const auto& [k, v] : a.labels) {
      PutBytes(&key_, k);
      PutBytes(&key_, v);
    }
    if (a.unchanged || a.removed) {
      sink_->Group(key_, a.removed ? GroupMode::kRemoved : GroupMode::kUnchanged);
      return;
    }
    // A window's seconds that did not move are as the journal has them.
    sink_->Group(key_, a.windows_partial ? GroupMode::kPartial : GroupMode::kComplete);
    const size_t prefix = key_.size();
    Key(prefix, 'h');
    PutVarint(&value_, static_cast<uint64_t>(a.state));
    PutSigned(&value_, a.active_since_ms);
    PutSigned(&value_, a.false_since_ms);
    PutSigned(&value_, a.firing_since_ms);  // absent from headers written before it
    Emit();
    for (const auto& [tag, window] : {std::pair{'e', &a.errors}, std::pair{'t', &a.totals}}) {
      for (const auto& [second, n] : *window) {
        Key(prefix, tag);
        PutSigned(&key_, second);
        PutVarint(&value_, n);
        Emit();
      }
    }
    for (size_t c = 0; c < a.more_windows.size(); ++c) {
      const AlertWindows& w = a.more_windows[c];
      for (const auto& [tag, window] : {std::pair{'E', &w.errors}, std::pair{'T', &w.totals}}) {
        for (const auto& [second, n] : *window) {
          Key(prefix, tag);
          PutVarint(&key_, c + 1);
          PutSigned(&key_, second);
          PutVarint(&value_, n);
          Emit();
        }
      }
    }
  }

  // One entry per minute: rest, then (source, code, count) per pair. The
  // group is left as it was unless a minute was completed since the last
  // commit; absent when the ring is empty (older states have none).
  void Minutes(const Snapshot& s) {
    const std::string_view group(&kMinute, 1);
    if (s.minutes_unchanged) {
      sink_->Group(group, GroupMode::kUnchanged);
      return;
    }
    if (s.minutes.empty()) return;
    sink_->Group(group, GroupMode::kComplete);
    for (const auto& m : s.minutes) {
      key_.assign(1, kMinute);
      PutSigned(&key_, m.minute);
      value_.clear();
      PutVarint(&value_, m.rest);
      PutVarint(&value_, m.counts.size());
      for (const auto& c : m.counts) {
        PutBytes(&value_, c.source);
        PutBytes(&value_, c.code);
        PutVarint(&value_, c.count);
      }
      Emit();
    }
  }

  EntrySink* sink_;
  std::string key_, value_;
};

// Parsing: each entry's key names what it sets; a failed read is reported
// with the kind of entry.
struct Unflattener {
  struct FileParts {
    FileRecord record;
    bool identity = false, position = false;
  };
  struct SourceParts {
    SourceState state;
    bool counts = false, tail = false, known = false, order = false;
    bool cursor_announced = false;  // 'k' says a 'j' entry belongs to the source
    std::vector<std::string> order_ids;  // file ids, in order
    std::map<std::string, FileParts> files;  // by file id
    std::map<std::string, ContainerState> containers;  // by key suffix
    std::map<std::string, bool> container_counts;
  };
  struct AlertParts {
    AlertInstanceState state;
    bool header = false;
  };
  std::map<std::string, SourceParts> sources;  // by name
  std::map<std::string, AlertParts> alerts;    // by key prefix
  std::vector<std::string> source_order;
  bool written = false, ordered = false;
  Snapshot snapshot;

  static std::string Bad(const char* what) { return std::string("bad ") + what + " entry"; }

  static bool GetFileId(VarintReader& r, FileRecord* f) {
    std::string_view path;
    uint64_t retired = 0;
    if (!r.GetBytes(&path) || !r.Get(&retired) || !r.Get(&f->identity.device) ||
        !r.Get(&f->identity.inode) || retired > 1)
      return false;
    f->path = std::string(path);
    f->retired = retired == 1;
    return true;
  }

  std::string Entry(std::string_view key, std::string_view value) {
    VarintReader k(key), v(value);
    char tag = 0;
    if (!k.GetByte(&tag)) return "empty entry key";
    if (tag == kWritten) {
      written = true;
      return v.GetSigned(&snapshot.written_at_ms) && v.done() && k.done() ? "" : Bad("time");
    }
    if (tag == kSourceOrder) {
      ordered = true;
      uint64_t n = 0;
      bool ok = k.done() && v.Get(&n) && n <= value.size();
      std::string_view name;
      for (uint64_t i = 0; ok && i < n; ++i)
        if ((ok = v.GetBytes(&name))) source_order.emplace_back(name);
      return ok && v.done() ? "" : Bad("source order");
    }
    if (tag == kAlert) return AlertEntry(k, v);
    if (tag == kMinute) return MinuteEntry(k, v, value.size());
    if (tag != kSource) return "unknown entry kind";
    std::string_view name;
    if (!k.GetBytes(&name) || !k.GetByte(&tag)) return Bad("source");
    SourceParts& s = sources[std::string(name)];
    s.state.name = std::string(name);
    switch (tag) {
      case 'c':
        s.counts = true;
        return v.Get(&s.state.lines) && v.Get(&s.state.errors) && v.Get(&s.state.successes) &&
                       v.Get(&s.state.unknown_total) && v.done() && k.done()
                   ? ""
                   : Bad("counts");
      case 't': {
        s.tail = true;
        SourceStats& t = s.state.tail;
        uint64_t formats = 0;
        bool ok = v.Get(&t.bytes_read) && v.Get(&t.read_errors) && v.Get(&t.lines_cut) &&
                  v.Get(&t.rotations) && v.Get(&t.truncations) && v.Get(&t.files_lost) &&
                  v.Get(&t.encrypted_blocks) && v.Get(&t.seq_gaps) && v.Get(&formats) &&
                  formats <= t.decode_errors.size();
        for (uint64_t i = 0; ok && i < formats; ++i) ok = v.Get(&t.decode_errors[i]);
        return ok && v.done() && k.done() ? "" : Bad("tail");
      }
      case 'b': {
        int64_t code = 0;
        return k.GetSigned(&code) && k.done() && v.Get(&s.state.by_code[code]) && v.done()
                   ? ""
                   : Bad("code count");
      }
      case 'o': {
        std::string_view domain;
        return k.GetBytes(&domain) && k.done() &&
                       v.Get(&s.state.other[std::string(domain)]) && v.done()
                   ? ""
                   : Bad("domain count");
      }
      case 'k': {
        s.known = true;
        uint64_t n = 0;
        bool ok = k.done() && v.Get(&n) && n <= value.size();
        for (uint64_t i = 0; ok && i < n; ++i) {
          uint64_t length = 0;
          Fingerprint fp;
          ok = v.Get(&length) && v.Get(&fp.hash) && length <= kFingerprintBytes;
          fp.length = static_cast<uint32_t>(length);
          if (ok) s.state.known.push_back(fp);
        }
        if (ok && !v.done()) {  // a journal cursor follows in a 'j' entry
          uint64_t announced = 0;
          ok = v.Get(&announced) && announced == 1;
          s.cursor_announced = true;
        }
        return ok && v.done() ? "" : Bad("known files");
      }
      case 'j': {
        std::string_view cursor;
        if (!k.done() || !v.GetBytes(&cursor) || !v.done() || cursor.empty())
          return Bad("journal cursor");
        s.state.journal_cursor = std::string(cursor);
        return "";
      }
      case 'L': {
        s.order = true;
        uint64_t n = 0;
        bool ok = k.done() && v.Get(&n) && n <= value.size();
        for (uint64_t i = 0; ok && i < n; ++i) {
          const size_t start = v.position();
          FileRecord ignored;
          ok = GetFileId(v, &ignored);
          if (ok) s.order_ids.emplace_back(v.ReadSince(start));
        }
        return ok && v.done() ? "" : Bad("file order");
      }
      case 'f':
        return FileEntry(k, v, &s);
      case 'C':
        return ContainerEntry(k, v, &s);
      default:
        return "unknown source entry";
    }
  }

  std::string FileEntry(VarintReader& k, VarintReader& v, SourceParts* s) {
    const size_t start = k.position();
    FileRecord id;
    if (!GetFileId(k, &id)) return Bad("file");
    const std::string file_id(k.ReadSince(start));
    char tag = 0;
    if (!k.GetByte(&tag) || !k.done()) return Bad("file");
    FileParts& parts = s->files[file_id];
    FileRecord& f = parts.record;
    f.path = id.path;
    f.retired = id.retired;
    f.identity = id.identity;
    if (tag == 'i') {
      uint64_t length = 0, format = 0;
      parts.identity = true;
      if (!v.Get(&length) || !v.Get(&f.fingerprint.hash) || !v.Get(&format) || !v.done() ||
          length > kFingerprintBytes || format >= kLogFormatCount)
        return Bad("file identity");
      f.fingerprint.length = static_cast<uint32_t>(length);
      f.format = static_cast<LogFormat>(format);
      return "";
    }
    if (tag != 'p') return "unknown file entry";
    parts.position = true;
    uint64_t flags = 0;
    if (!v.Get(&f.offset) || !v.Get(&flags) || flags > 3) return Bad("file position");
    f.skipping = flags & 1;
    f.counted_offset = f.offset;
    if (flags & 2) {
      uint64_t counted_ahead = 0;
      if (!v.Get(&f.decode_skip) || !v.Get(&counted_ahead) || !v.Get(&f.catch_up_to))
        return Bad("file position");
      f.counted_offset = f.offset + counted_ahead;
    }
    return v.done() ? "" : Bad("file position");
  }

  std::string ContainerEntry(VarintReader& k, VarintReader& v, SourceParts* s) {
    const size_t start = k.position();
    std::string_view ns, pod, container;
    char tag = 0;
    if (!k.GetBytes(&ns) || !k.GetBytes(&pod) || !k.GetBytes(&container)) return Bad("container");
    const std::string id(k.ReadSince(start));
    if (!k.GetByte(&tag)) return Bad("container");
    ContainerState& c = s->containers[id];
    c.namespace_name = std::string(ns);
    c.pod = std::string(pod);
    c.container = std::string(container);
    if (tag == 'n') {
      s->container_counts[id] = true;
      return k.done() && v.Get(&c.lines) && v.Get(&c.successes) && v.done()
                 ? ""
                 : Bad("container counts");
    }
    int64_t code = 0;
    return tag == 'b' && k.GetSigned(&code) && k.done() && v.Get(&c.by_code[code]) && v.done()
               ? ""
               : Bad("container code count");
  }

  std::string AlertEntry(VarintReader& k, VarintReader& v) {
    std::string_view name;
    uint64_t labels = 0;
    if (!k.GetBytes(&name) || !k.Get(&labels) || labels > k.rest().size()) return Bad("alert");
    std::map<std::string, std::string> label_map;
    for (uint64_t i = 0; i < labels; ++i) {
      std::string_view key, value;
      if (!k.GetBytes(&key) || !k.GetBytes(&value)) return Bad("alert");
      label_map[std::string(key)] = std::string(value);
    }
    const std::string id(k.ReadSince(0));
    char tag = 0;
    if (!k.GetByte(&tag)) return Bad("alert");
    AlertParts& parts = alerts[id];
    AlertInstanceState& a = parts.state;
    a.alertname = std::string(name);
    a.labels = std::move(label_map);
    if (tag == 'h') {
      parts.header = true;
      uint64_t state = 0;
      if (!k.done() || !v.Get(&state) || state > 2 || !v.GetSigned(&a.active_since_ms) ||
          !v.GetSigned(&a.false_since_ms))
        return Bad("alert header");
      a.state = static_cast<AlertState>(state);
      // firing_since_ms: absent from headers written before incident rules.
      if (!v.done() && (!v.GetSigned(&a.firing_since_ms) || !v.done())) return Bad("alert header");
      return "";
    }
    uint64_t condition = 0;
    if (tag == 'E' || tag == 'T') {
      if (!k.Get(&condition) || condition == 0 || condition >= kMaxAlertConditions)
        return Bad("alert window");
      if (a.more_windows.size() < condition) a.more_windows.resize(condition);
    } else if (tag != 'e' && tag != 't') {
      return "unknown alert entry";
    }
    AlertWindows* more = condition ? &a.more_windows[condition - 1] : nullptr;
    int64_t second = 0;
    auto& window = tag == 'e' ? a.errors
                   : tag == 't' ? a.totals
                   : tag == 'E' ? more->errors
                                : more->totals;
    return k.GetSigned(&second) && k.done() && v.Get(&window[second]) && v.done()
               ? ""
               : Bad("alert window");
  }

  std::string MinuteEntry(VarintReader& k, VarintReader& v, size_t size) {
    MinuteState m;
    uint64_t n = 0;
    bool ok = k.GetSigned(&m.minute) && k.done() && v.Get(&m.rest) && v.Get(&n) && n <= size;
    for (uint64_t i = 0; ok && i < n; ++i) {
      std::string_view source, code;
      MinuteCountState c;
      if ((ok = v.GetBytes(&source) && v.GetBytes(&code) && v.Get(&c.count))) {
        c.source = std::string(source);
        c.code = std::string(code);
        m.counts.push_back(std::move(c));
      }
    }
    if (!ok || !v.done()) return Bad("minute");
    snapshot.minutes.push_back(std::move(m));
    return "";
  }

  std::string Finish(Snapshot* out) {
    if (!written || !ordered) return "missing time or source order entry";
    if (source_order.size() != sources.size()) return "the source order does not list every source";
    for (const auto& name : source_order) {
      auto found = sources.find(name);
      if (found == sources.end()) return "the source order lists a source it has no entries for";
      SourceParts& s = found->second;
      if (!s.counts || !s.tail || !s.known || !s.order ||
          s.cursor_announced != !s.state.journal_cursor.empty())
        return "source '" + name + "' is incomplete";
      for (const auto& id : s.order_ids) {
        auto it = s.files.find(id);
        if (it == s.files.end() || !it->second.identity || !it->second.position)
          return "source '" + name + "' lists a file it has no entries for";
        s.state.files.push_back(std::move(it->second.record));
        s.files.erase(it);
      }
      if (!s.files.empty()) return "source '" + name + "' has entries for an unlisted file";
      for (auto& [id, c] : s.containers) {
        if (!s.container_counts.count(id)) return "a container of '" + name + "' is incomplete";
        s.state.containers.push_back(std::move(c));
      }
      snapshot.sources.push_back(std::move(s.state));
    }
    for (auto& [id, a] : alerts) {
      if (!a.header) return "an alert instance of '" + a.state.alertname + "' is incomplete";
      snapshot.alerts.push_back(std::move(a.state));
    }
    // Keys order minutes by their varint bytes, not by time.
    std::sort(snapshot.minutes.begin(), snapshot.minutes.end(),
              [](const MinuteState& a, const MinuteState& b) { return a.minute < b.minute; });
    *out = std::move(snapshot);
    return "";
  }
};

}  // namespace

void FlattenSnapshot(const Snapshot& snapshot, EntrySink* sink) { Flattener(sink).Run(snapshot); }

std::map<std::string, std::string> FlattenToMap(const Snapshot& snapshot) {
  struct ToMap : EntrySink {
    std::map<std::string, std::string> entries;
    void Entry(std::string_view key, std::string_view value) override {
      entries.emplace(key, value);
    }
  } sink;
  FlattenSnapshot(snapshot, &sink);
  return std::move(sink.entries);
}

std::string UnflattenSnapshot(const std::map<std::string, std::string>& entries, Snapshot* out) {
  Unflattener u;
  for (const auto& [key, value] : entries) {
    if (std::string error = u.Entry(key, value); !error.empty()) return error;
  }
  return u.Finish(out);
}

}  // namespace errpulse
