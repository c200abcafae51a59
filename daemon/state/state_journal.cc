#include "state/state_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "state/state_entries.h"
#include "state/varint.h"
#include "source/file_record.h"

namespace errpulse {
namespace {

constexpr std::string_view kMagic = "errpulse-journal 1 ";
constexpr size_t kHeaderSize = kMagic.size() + 16 + 1;
constexpr size_t kRecordHeader = 12;  // length (4) + FNV-1a (8)
enum Kind : uint64_t { kChanged = 0, kNew = 1, kRemoved = 2 };

std::string Header(uint64_t base_hash) {
  char header[kHeaderSize + 1];
  std::snprintf(header, sizeof(header), "%s%016llx\n", kMagic.data(),
                static_cast<unsigned long long>(base_hash));
  return std::string(header, kHeaderSize);
}

uint64_t LoadLittle(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void StoreLittle(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

StateJournal::StateJournal(std::string path) : path_(std::move(path)) {}

StateJournal::~StateJournal() { Close(); }

void StateJournal::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string StateJournal::Fail(const char* step) {
  broken_ = true;
  return std::string(step) + " " + path_ + ": " + std::strerror(errno);
}

void StateJournal::Index(const Snapshot& snapshot) {
  struct Indexer : EntrySink {
    std::unordered_map<std::string, GroupSlots>* groups;
    GroupSlots* group = nullptr;
    void Group(std::string_view key, GroupMode) override {
      group = &(*groups)[std::string(key)];
      group->seen = 1;
    }
    void Entry(std::string_view key, std::string_view value) override {
      group->slots[std::string(key)] = Slot{0, std::string(value), 1};
    }
  } indexer;
  groups_.clear();
  indexer.groups = &groups_;
  next_id_ = 1;
  epoch_ = 1;
  FlattenSnapshot(snapshot, &indexer);
}

void StateJournal::PutRemoval(const std::string& key, Slot* slot) {
  if (slot->id == 0) {  // never named in this journal: name it to remove it
    slot->id = next_id_++;
    PutVarint(&record_, slot->id << 2 | kNew);
    PutBytes(&record_, key);
    PutBytes(&record_, slot->value);
  }
  PutVarint(&record_, slot->id << 2 | kRemoved);
}

// Compares each group's entries with what the journal holds, appending an
// operation to the record for each difference; groups flagged unchanged are
// skipped whole.
class StateJournal::Differ : public EntrySink {
 public:
  explicit Differ(StateJournal* journal) : j_(*journal) {}

  void Group(std::string_view key, GroupMode mode) override {
    SweepGroup();
    key_.assign(key);
    auto it = j_.groups_.find(key_);
    if (it == j_.groups_.end()) it = j_.groups_.emplace(key_, GroupSlots{}).first;
    group_ = &it->second;
    group_->seen = j_.epoch_;
    seen_ = added_ = 0;
    // Unchanged or partial: what is not mentioned stays (an unchanged group
    // the journal does not hold is simply empty).
    sweep_ = mode == GroupMode::kComplete;
    if (mode == GroupMode::kRemoved) {
      for (auto& [slot_key, slot] : group_->slots) j_.PutRemoval(slot_key, &slot);
      j_.groups_.erase(it);
      group_ = nullptr;
    }
  }

  void KeepUnmentioned(std::string_view prefix) override { keep_.assign(prefix); }

  void Entry(std::string_view key, std::string_view value) override {
    key_.assign(key);
    auto it = group_->slots.find(key_);
    if (it == group_->slots.end()) {
      it = group_->slots.emplace(key_, Slot{0, std::string(value), j_.epoch_}).first;
      ++added_;
    } else {
      it->second.seen = j_.epoch_;
      ++seen_;
      if (it->second.value == value) return;
      it->second.value.assign(value);
    }
    Slot& slot = it->second;
    if (slot.id == 0) {  // first mention in this journal: name it
      slot.id = j_.next_id_++;
      PutVarint(&j_.record_, slot.id << 2 | kNew);
      PutBytes(&j_.record_, key);
    } else {
      PutVarint(&j_.record_, slot.id << 2 | kChanged);
    }
    PutBytes(&j_.record_, value);
  }

  // After the last group: groups not mentioned at all are gone.
  void Finish() {
    SweepGroup();
    for (auto it = j_.groups_.begin(); it != j_.groups_.end();) {
      if (it->second.seen == j_.epoch_ ||
          (!keep_.empty() && it->first.compare(0, keep_.size(), keep_) == 0)) {
        ++it;
        continue;
      }
      for (auto& [key, slot] : it->second.slots) j_.PutRemoval(key, &slot);
      it = j_.groups_.erase(it);
    }
  }

 private:
  // Entries of the group just emitted that it no longer has: swept only
  // when some old one was not seen.
  void SweepGroup() {
    if (!group_ || !sweep_ || seen_ + added_ >= group_->slots.size()) return;
    for (auto it = group_->slots.begin(); it != group_->slots.end();) {
      if (it->second.seen == j_.epoch_) {
        ++it;
        continue;
      }
      j_.PutRemoval(it->first, &it->second);
      it = group_->slots.erase(it);
    }
  }

  StateJournal& j_;
  GroupSlots* group_ = nullptr;
  bool sweep_ = false;
  std::string keep_;  // KeepUnmentioned()'s prefix
  size_t seen_ = 0, added_ = 0;
  std::string& key_ = j_.key_;  // reused: lookups allocate nothing
};

std::string StateJournal::Reset(uint64_t base_hash, const Snapshot& base) {
  broken_ = false;
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND, 0600);
    if (fd_ < 0) return Fail("cannot open");
  }
  if (::ftruncate(fd_, 0) != 0) return Fail("cannot truncate");
  const std::string header = Header(base_hash);
  size_ = 0;
  if (!WriteAll(fd_, header.data(), header.size())) return Fail("cannot write");
  size_ = header.size();
  Index(base);
  return "";
}

std::string StateJournal::Append(const Snapshot& snapshot) {
  if (!usable()) return "the journal needs a fresh start after an earlier failure";
  ++epoch_;
  record_.assign(kRecordHeader, '\0');
  Differ differ(this);
  FlattenSnapshot(snapshot, &differ);
  differ.Finish();
  const size_t payload = record_.size() - kRecordHeader;
  if (payload == 0) return "";
  StoreLittle(record_.data(), payload, 4);
  StoreLittle(record_.data() + 4, FingerprintHash(record_.data() + kRecordHeader, payload), 8);
  if (!WriteAll(fd_, record_.data(), record_.size())) {
    std::string error = Fail("cannot append to");
    // A torn record would end every replay before later ones: cut it off.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) {
      error += " (the incomplete record was removed)";
    }
    return error;
  }
  size_ += record_.size();
  return "";
}

std::string StateJournal::Sync() {
  if (fd_ < 0) return "";
  if (::fdatasync(fd_) != 0) return Fail("cannot fdatasync");
  return "";
}

StateJournal::ReplayResult StateJournal::Replay(const std::string& path, uint64_t base_hash,
                                                std::map<std::string, std::string>* entries) {
  ReplayResult result;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) result.note = std::string("cannot read it: ") + std::strerror(errno);
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();
  if (data.size() < kHeaderSize || data.compare(0, kMagic.size(), kMagic) != 0) {
    result.note = data.empty() ? "" : "not an errpulse journal; ignored";
    return result;
  }
  if (data.compare(0, kHeaderSize, Header(base_hash)) != 0) {
    // Written before the state file was last replaced (a crash between the
    // two steps of a compaction): the state file already holds all of it.
    result.note = "it continues an earlier state file; ignored";
    return result;
  }
  result.applied = true;
  std::unordered_map<uint64_t, std::string> names;  // id -> key
  size_t at = kHeaderSize;
  while (at < data.size()) {
    if (data.size() - at < kRecordHeader) break;
    const uint64_t length = LoadLittle(data.data() + at, 4);
    const uint64_t hash = LoadLittle(data.data() + at + 4, 8);
    if (length > data.size() - at - kRecordHeader) break;
    const std::string_view payload(data.data() + at + kRecordHeader, length);
    if (FingerprintHash(payload.data(), payload.size()) != hash) break;
    // Parsed whole before anything is applied: a record counts entirely or not.
    struct Op {
      uint64_t kind;
      uint64_t id;
      std::string_view key, value;
    };
    std::vector<Op> ops;
    VarintReader r(payload);
    bool ok = true;
    std::unordered_map<uint64_t, std::string_view> pending_names;
    while (ok && !r.done()) {
      uint64_t head = 0;
      Op op{};
      ok = r.Get(&head);
      op.kind = head & 3;
      op.id = head >> 2;
      if (!ok || op.kind > kRemoved || op.id == 0) {
        ok = false;
        break;
      }
      if (op.kind == kNew) {
        ok = r.GetBytes(&op.key) && r.GetBytes(&op.value) &&
             !names.count(op.id) && pending_names.emplace(op.id, op.key).second;
      } else {
        ok = names.count(op.id) || pending_names.count(op.id);
        if (ok && op.kind == kChanged) ok = r.GetBytes(&op.value);
      }
      if (ok) ops.push_back(op);
    }
    if (!ok) break;
    for (const Op& op : ops) {
      if (op.kind == kNew) {
        names[op.id] = std::string(op.key);
        (*entries)[std::string(op.key)] = std::string(op.value);
      } else if (op.kind == kChanged) {
        (*entries)[names[op.id]] = std::string(op.value);
      } else {
        entries->erase(names[op.id]);
      }
    }
    ++result.records;
    at += kRecordHeader + length;
  }
  if (at < data.size()) {
    result.note = "its last " + std::to_string(data.size() - at) +
                  " bytes are an incomplete or damaged record (written when errpulse or the "
                  "host stopped); the state before them is used";
  }
  return result;
}

}  // namespace errpulse
