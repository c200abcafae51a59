#include "tail/clog_decoder.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "tail/decoded_stream.h"
#include "tail/raw_inflater.h"

namespace errpulse {
namespace {

constexpr std::string_view kSyncMarker("\x00\x00\xff\xff", 4);
constexpr size_t kOutPiece = 256 * 1024;        // decoded bytes per inflate call
constexpr size_t kMaxUnitBytes = 1 << 20;       // raw bytes kept since a clean boundary
constexpr size_t kMaxLostBytes = 4 << 20;       // raw bytes searched for a restart point
constexpr uint64_t kNewStretchAfter = 64 << 10; // decoded bytes before damage counts anew

bool IsTextByte(unsigned char c) { return c >= 0x20 || c == '\n' || c == '\r' || c == '\t' || c == 0x1b; }

class ClogDecoder : public StreamDecoder {
 public:
  ClogDecoder(std::string path, size_t max_line_bytes)
      : StreamDecoder(max_line_bytes), path_(std::move(path)) {}

  LogFormat format() const override { return LogFormat::kClog; }

  void Feed(uint64_t offset, std::string_view bytes, std::vector<char>* scratch,
            const Emit& emit, SourceStats* stats) override {
    if (lost_) {
      searched_.append(bytes.data(), bytes.size());
      TryRestart(scratch, emit, stats);
    } else {
      Inflate(offset, bytes, scratch, emit, stats);
    }
  }

  void StartAt(uint64_t offset) override {
    inflater_.Reset();
    lost_ = false;
    clean_.clear();
    clean_offset_ = offset;
    decoded_since_clean_ = false;
    searched_.clear();
    tail_.clear();
  }

 protected:
  bool CanFlush() const override { return !lost_; }

 private:

  // Inflates `bytes` one flush unit (up to and including a sync marker) at a
  // time, so that the end of the last unit that left no partial line is
  // known exactly: after damage, the search for a restart point begins
  // there, and a process session that started right after a torn write is
  // found even when inflate only failed further on.
  void Inflate(uint64_t offset, std::string_view bytes, std::vector<char>* scratch,
               const Emit& emit, SourceStats* stats) {
    size_t pos = 0;
    // A sync marker cut in two by the writes: it ends in these first bytes.
    const size_t straddling = StraddlingMarkerEnd(bytes);
    while (pos < bytes.size()) {
      // The next flush unit: up to and including the next sync marker.
      size_t end = bytes.size();
      bool at_marker = false;
      if (pos == 0 && straddling > 0) {
        end = straddling;
        at_marker = true;
      } else if (const size_t marker = bytes.find(kSyncMarker, pos);
                 marker != std::string_view::npos) {
        end = marker + kSyncMarker.size();
        at_marker = true;
      }
      uint64_t failed_at = 0;
      const char* why = InflateUnit(offset + pos, bytes.substr(pos, end - pos), scratch, emit,
                                    stats, &failed_at);
      if (why) {
        Damaged(failed_at, why, offset, bytes, stats);
        TryRestart(scratch, emit, stats);
        return;
      }
      pos = end;
      if (at_marker && stream_.pending_bytes() == 0) {
        clean_.clear();  // a clean line boundary: nothing before it is needed
        clean_offset_ = offset + end;
        decoded_since_clean_ = false;
      }
    }
    // Keep the raw bytes since the last clean boundary (usually none: a
    // writer's flush ends with a sync marker after a whole line), and the
    // last three, for a marker the next bytes finish.
    const uint64_t end_offset = offset + bytes.size();
    KeepTail(bytes);
    if (clean_offset_ >= offset) {
      clean_.assign(bytes.substr(static_cast<size_t>(clean_offset_ - offset)));
    } else {
      clean_.append(bytes.data(), bytes.size());
    }
    if (clean_.size() > kMaxUnitBytes) {  // a unit this big is no writer's: keep the tail
      clean_.erase(0, clean_.size() - kMaxUnitBytes);
      clean_offset_ = end_offset - clean_.size();
    }
    stream_.SetConsumed(end_offset);
  }

  // Where a sync marker begun by the last bytes of the previous Feed ends
  // in `bytes` (1 to 3), or 0.
  size_t StraddlingMarkerEnd(std::string_view bytes) const {
    for (size_t head = 1; head < kSyncMarker.size() && head <= bytes.size(); ++head) {
      const size_t tail = kSyncMarker.size() - head;
      if (tail_.size() >= tail &&
          std::string_view(tail_).substr(tail_.size() - tail) == kSyncMarker.substr(0, tail) &&
          bytes.substr(0, head) == kSyncMarker.substr(tail))
        return head;
    }
    return 0;
  }

  void KeepTail(std::string_view bytes) {
    if (bytes.size() >= kSyncMarker.size() - 1) {
      tail_.assign(bytes.substr(bytes.size() - (kSyncMarker.size() - 1)));
    } else {
      tail_.append(bytes.data(), bytes.size());
      if (tail_.size() > kSyncMarker.size() - 1) tail_.erase(0, tail_.size() - (kSyncMarker.size() - 1));
    }
  }

  // Inflates one flush unit at raw `offset`. Returns nullptr, or why it
  // failed (and where, in *failed_at).
  const char* InflateUnit(uint64_t offset, std::string_view unit, std::vector<char>* scratch,
                          const Emit& emit, SourceStats* stats, uint64_t* failed_at) {
    z_stream* z = inflater_.get();
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(unit.data()));
    z->avail_in = static_cast<uInt>(unit.size());
    while (z->avail_in > 0) {
      char* out = stream_.Prepare(scratch, kOutPiece);
      z->next_out = reinterpret_cast<Bytef*>(out);
      z->avail_out = static_cast<uInt>(kOutPiece);
      const int rc = inflate(z, Z_SYNC_FLUSH);
      const size_t produced = kOutPiece - z->avail_out;
      const uint64_t at = offset + (unit.size() - z->avail_in);
      // What inflated before a failure is good (its complete lines count);
      // the line it was in the middle of is lost with the damage.
      stream_.Commit(produced, scratch, emit, stats);
      good_bytes_ += produced;
      decoded_since_clean_ = decoded_since_clean_ || produced > 0;
      if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
        *failed_at = at;
        return z->msg ? z->msg : "inflate failed";
      }
      if (rc == Z_STREAM_END) {
        // A writer that finished its stream; whatever follows is a new one,
        // a clean place to start again (if no line is left unfinished).
        inflater_.Reset();
        stream_.MoveResumePoint(at);
        if (stream_.pending_bytes() == 0) {
          clean_.clear();
          clean_offset_ = at;
          decoded_since_clean_ = false;
        }
      } else if (rc == Z_BUF_ERROR && produced == 0) {
        break;  // no progress possible: cannot happen with input and room, but never spin
      }
    }
    return nullptr;
  }

  // The stream failed at raw offset `at`, inside the Feed of `bytes` at
  // `offset`: count the stretch, then search for a restart point from the
  // last clean line boundary on.
  void Damaged(uint64_t at, const char* why, uint64_t offset, std::string_view bytes,
               SourceStats* stats) {
    lost_ = true;
    // A fresh start inside a session fails again where a line refers back
    // past it: that is the same damage, not a new stretch.
    if (!counted_stretch_ || good_bytes_ >= kNewStretchAfter) {
      ++stats->decode_errors[static_cast<size_t>(LogFormat::kClog)];
      spdlog::warn("{}: damaged compressed data near byte {} ({}); lines up to the next point "
                   "where decoding can start again are lost",
                   path_, at, why);
    }
    counted_stretch_ = true;
    good_bytes_ = 0;
    searched_offset_ = clean_offset_;
    searched_ = std::move(clean_);
    if (clean_offset_ >= offset) {
      searched_.assign(bytes.substr(static_cast<size_t>(clean_offset_ - offset)));
    } else {
      searched_.append(bytes.data(), bytes.size());
    }
    clean_.clear();
    // The boundary itself is a candidate only if nothing was decoded from it:
    // starting there again would emit those lines a second time.
    next_candidate_ = decoded_since_clean_ ? 1 : 0;
  }

  // Looks for the first offset from which a fresh inflater decodes a whole
  // flush unit to text ending in a newline; resumes there.
  void TryRestart(std::vector<char>* scratch, const Emit& emit, SourceStats* stats) {
    for (;;) {
      const size_t marker = searched_.find(kSyncMarker, next_candidate_);
      if (marker == std::string::npos) break;
      const size_t unit_end = marker + kSyncMarker.size();
      for (size_t p = next_candidate_; p < marker; ++p) {
        if (!DecodesCleanly(std::string_view(searched_).substr(p, unit_end - p))) continue;
        const uint64_t restart = searched_offset_ + p;
        std::string rest = searched_.substr(p);
        searched_.clear();
        lost_ = false;
        inflater_.Reset();
        clean_.clear();
        tail_.clear();
        clean_offset_ = restart;
        decoded_since_clean_ = false;
        stream_.MoveResumePoint(restart, /*drop_pending=*/true);
        spdlog::debug("{}: decoding again from byte {}", path_, restart);
        Inflate(restart, rest, scratch, emit, stats);
        return;
      }
      next_candidate_ = marker + 1;
    }
    if (searched_.size() > kMaxLostBytes) {  // no restart point in sight: keep the tail
      const size_t drop = searched_.size() - kMaxLostBytes / 2;
      searched_.erase(0, drop);
      searched_offset_ += drop;
      next_candidate_ = next_candidate_ > drop ? next_candidate_ - drop : 0;
    }
  }

  // Whether a fresh inflater turns `unit` (ending in a sync marker) into
  // text ending in a newline, using all of it.
  bool DecodesCleanly(std::string_view unit) {
    trial_.Reset();
    z_stream* z = trial_.get();
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(unit.data()));
    z->avail_in = static_cast<uInt>(unit.size());
    char last = 0;
    size_t total = 0;
    while (z->avail_in > 0) {
      z->next_out = reinterpret_cast<Bytef*>(trial_out_);
      z->avail_out = sizeof(trial_out_);
      const int rc = inflate(z, Z_SYNC_FLUSH);
      const size_t produced = sizeof(trial_out_) - z->avail_out;
      if (rc != Z_OK && rc != Z_STREAM_END) return false;
      for (size_t i = 0; i < produced; ++i)
        if (!IsTextByte(static_cast<unsigned char>(trial_out_[i]))) return false;
      if (produced > 0) last = trial_out_[produced - 1];
      total += produced;
      if (rc == Z_STREAM_END) break;
      if (total > kMaxUnitBytes) return false;
    }
    return z->avail_in == 0 && total > 0 && last == '\n';
  }

  std::string path_;
  RawInflater inflater_;
  RawInflater trial_;
  char trial_out_[16 * 1024];
  bool lost_ = false;           // damaged: searching for a restart point
  // Raw bytes since the last clean line boundary (a sync marker with no
  // partial line pending), and that boundary's offset.
  std::string clean_;
  uint64_t clean_offset_ = 0;
  bool decoded_since_clean_ = false;  // output came from bytes after clean_offset_
  std::string tail_;                  // the last 3 bytes fed (a marker may go on)
  std::string searched_;        // lost: raw bytes searched for a restart point
  uint64_t searched_offset_ = 0;
  size_t next_candidate_ = 0;   // index in searched_ of the next offset to try
  bool counted_stretch_ = false;
  uint64_t good_bytes_ = 0;     // decoded since the last damage
};

}  // namespace

std::unique_ptr<LineDecoder> MakeClogDecoder(const std::string& path, size_t max_line_bytes) {
  return std::make_unique<ClogDecoder>(path, max_line_bytes);
}

}  // namespace errpulse
