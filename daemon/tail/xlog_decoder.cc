#include "tail/xlog_decoder.h"

#include <spdlog/spdlog.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "tail/decoded_stream.h"
#include "tail/raw_inflater.h"

namespace errpulse {
namespace {

constexpr size_t kXlogIndex = static_cast<size_t>(LogFormat::kXlog);
constexpr uint32_t kMaxPayload = 16u << 20;  // a longer length is damage, not a block to wait for
constexpr size_t kOutPiece = 64 * 1024;      // decoded bytes per Prepare()/Commit()
constexpr size_t kLengthEnd = 9;             // magic, seq, hours, length: enough to size a block
constexpr int kZstdWindowLogMax = 24;        // mars uses 16; refuse frames that want huge windows
constexpr size_t kMaxOpenCandidates = 4096;  // resync candidates still arriving, kept at once
constexpr size_t kTrialBytes = 64 * 1024;     // decoded bytes that prove a resync candidate

enum class Payload { kPlain, kDeflate, kDeflatePieces, kZstd, kEncrypted };

struct Magic {
  bool known = false;
  size_t header = 0;  // bytes before the payload
  Payload payload = Payload::kPlain;
  bool async = false;  // async blocks carry the writer's sequence number; sync ones write 0
};

Magic MagicOf(unsigned char magic) {
  switch (magic) {
    case 0x03:  // legacy sync
      return {true, 13, Payload::kPlain, false};
    case 0x04:  // legacy async
      return {true, 13, Payload::kDeflate, true};
    case 0x05:  // legacy async, each sync-flushed piece behind its u16 length
      return {true, 13, Payload::kDeflatePieces, true};
    case 0x06:  // sync (crypt configured, but mars never encrypts sync records)
    case 0x08:  // sync, no crypt
    case 0x0A:  // sync zstd mode (records are not compressed in sync mode)
    case 0x0B:
      return {true, 73, Payload::kPlain, false};
    case 0x07:  // async zlib, TEA-encrypted
    case 0x0C:  // async zstd, TEA-encrypted
      return {true, 73, Payload::kEncrypted, true};
    case 0x09:
      return {true, 73, Payload::kDeflate, true};
    case 0x0D:
      return {true, 73, Payload::kZstd, true};
    default:
      return {};
  }
}

uint16_t LoadU16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

uint32_t LoadU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

enum class Probe { kBad, kNeedMore, kWhole };

struct ProbeResult {
  Probe what;
  size_t size = 0;         // kWhole: the block's bytes; kNeedMore: bytes still missing
  const char* why = "";    // kBad
};

// What the bytes at `at` are: a whole block, the start of one still arriving,
// or not a block. mars writes tm_hour in both hour bytes, so hours over 23
// are damage too: that keeps most random bytes from passing for a header.
// `strict` (a candidate after damage, a file's head) also wants a payload.
ProbeResult ProbeBlock(std::string_view at, bool strict) {
  if (at.empty()) return {Probe::kNeedMore, 1};
  const Magic magic = MagicOf(static_cast<unsigned char>(at[0]));
  if (!magic.known) return {Probe::kBad, 0, "unknown magic"};
  if (at.size() < kLengthEnd) return {Probe::kNeedMore, kLengthEnd - at.size()};
  const uint32_t length = LoadU32(at.data() + 5);
  if (length > kMaxPayload) return {Probe::kBad, 0, "block length over 16 MiB"};
  if (static_cast<unsigned char>(at[3]) > 23 || static_cast<unsigned char>(at[4]) > 23)
    return {Probe::kBad, 0, "block hours out of range"};
  if (strict && length == 0) return {Probe::kBad, 0, "empty block"};
  const size_t total = magic.header + length + 1;
  if (at.size() < total) return {Probe::kNeedMore, total - at.size()};
  if (at[total - 1] != '\0') return {Probe::kBad, 0, "block end byte is not 0x00"};
  return {Probe::kWhole, total};
}

// Where a block's decoded text goes: the line stream, or a trial.
class TextSink {
 public:
  virtual ~TextSink() = default;
  // Room for `room` bytes; Commit(n) says how many were written there.
  virtual char* Prepare(size_t room) = 0;
  virtual void Commit(size_t n) = 0;
  // The sink has seen enough: decoding may stop.
  virtual bool full() const { return false; }
};

// Proves a resync candidate before any of it reaches the stream: its first
// kTrialBytes decode without error to text as mars writes it (printable,
// records ending in '\n'), so bytes that happen to look like a block are
// never emitted as lines.
class TrialSink : public TextSink {
 public:
  explicit TrialSink(std::vector<char>* buffer) : buffer_(buffer) {}
  char* Prepare(size_t room) override {
    if (buffer_->size() < room) buffer_->resize(room);
    return buffer_->data();
  }
  void Commit(size_t n) override {
    for (size_t i = 0; i < n && text_; ++i) {
      const unsigned char c = static_cast<unsigned char>((*buffer_)[i]);
      printable_ |= c >= 0x20;
      text_ = c >= 0x20 || c == '\n' || c == '\t' || c == '\r' || c == 0x1b;
    }
    if (n > 0) last_ = (*buffer_)[n - 1];
    total_ += n;
  }
  bool full() const override { return !text_ || total_ >= kTrialBytes; }
  // Call after decoding all of the block, or up to full().
  bool proven() const { return text_ && printable_ && (total_ >= kTrialBytes || last_ == '\n'); }

 private:
  std::vector<char>* buffer_;
  size_t total_ = 0;
  bool text_ = true;
  bool printable_ = false;
  char last_ = 0;
};

class XlogDecoder : public StreamDecoder {
 public:
  XlogDecoder(std::string path, size_t max_line_bytes)
      : StreamDecoder(max_line_bytes), path_(std::move(path)) {
    zstd_ = ZSTD_createDStream();
    if (zstd_ != nullptr) ZSTD_DCtx_setParameter(zstd_, ZSTD_d_windowLogMax, kZstdWindowLogMax);
  }

  ~XlogDecoder() override {
    ZSTD_freeDStream(zstd_);  // accepts nullptr
  }

  XlogDecoder(const XlogDecoder&) = delete;
  XlogDecoder& operator=(const XlogDecoder&) = delete;

  LogFormat format() const override { return LogFormat::kXlog; }

  void Feed(uint64_t offset, std::string_view bytes, std::vector<char>* scratch,
            const Emit& emit, SourceStats* stats) override {
    if (offset != pending_offset_ + pending_.size()) {
      // Not where the last call ended (a caller that moved without Resume()):
      // whatever was half-read is not continued by these bytes, and they may
      // start mid-block, so look for a block start without calling it damage.
      spdlog::debug("{}: xlog input jumps from byte {} to {}", path_,
                    pending_offset_ + pending_.size(), offset);
      StartAt(offset);
      resyncing_ = true;
      // Nothing before `offset` is continued: a restart starts here too. Not
      // exactly as this decoder does (a resumed one is not resyncing, so it
      // takes an empty, encrypted or unproven block here for a block), but
      // callers that move on purpose call Resume() instead.
      stream_.MoveResumePoint(offset, /*drop_pending=*/true);
    }
    StreamSink sink(&stream_, scratch, emit, stats);
    // Invariant: pending_offset_ + pending_.size() is the offset of bytes[0].
    for (;;) {
      if (resyncing_) {
        pending_.append(bytes.data(), bytes.size());
        bytes = {};
        if (!Resync()) return;  // no block proven yet: wait for more
        // pending_ now starts with a proven whole block: decode on, in order.
      }
      if (!pending_.empty()) {
        // A block left unfinished: complete it from `bytes`, copying no more
        // than it needs, then go on in `bytes` itself.
        const ProbeResult probe = ProbeBlock(pending_, /*strict=*/false);
        if (probe.what == Probe::kNeedMore) {
          if (bytes.empty()) return;
          const size_t take = std::min(probe.size, bytes.size());
          pending_.append(bytes.data(), take);
          bytes.remove_prefix(take);
          continue;
        }
        const size_t used = Parse(pending_, pending_offset_, &sink, stats);  // >= 1
        pending_.erase(0, used);
        pending_offset_ += used;
        continue;
      }
      if (bytes.empty()) return;
      const size_t used = Parse(bytes, pending_offset_, &sink, stats);
      pending_offset_ += used;
      bytes.remove_prefix(used);
      if (!resyncing_) {
        pending_.assign(bytes.data(), bytes.size());  // a block still arriving
        return;
      }
    }
  }

 private:
  // Decoded text to the line stream.
  class StreamSink : public TextSink {
   public:
    StreamSink(DecodedStream* stream, std::vector<char>* scratch, const Emit& emit,
               SourceStats* stats)
        : stream_(stream), scratch_(scratch), emit_(emit), stats_(stats) {}
    char* Prepare(size_t room) override { return stream_->Prepare(scratch_, room); }
    void Commit(size_t n) override { stream_->Commit(n, scratch_, emit_, stats_); }

   private:
    DecodedStream* stream_;
    std::vector<char>* scratch_;
    const Emit& emit_;
    SourceStats* stats_;
  };

  void StartAt(uint64_t offset) override {
    pending_.clear();
    pending_offset_ = offset;
    resyncing_ = false;
    scanned_ = 0;
    open_.clear();
    damaged_ = false;
    last_seq_ = 0;
  }

  // Decodes the whole blocks at the start of `buf` (file offset `base`);
  // returns how many bytes it used. Stops at a block still arriving, or just
  // past the first byte of damage (then resyncing_: Resync() goes on).
  size_t Parse(std::string_view buf, uint64_t base, StreamSink* sink, SourceStats* stats) {
    size_t pos = 0;
    while (pos < buf.size()) {
      const std::string_view at = buf.substr(pos);
      const ProbeResult probe = ProbeBlock(at, /*strict=*/false);
      if (probe.what == Probe::kNeedMore) break;
      if (probe.what == Probe::kBad) {
        Damaged(base + pos, probe.why, stats);
        resyncing_ = true;
        last_seq_ = 0;  // blocks lost in the damage are not the writer's gaps
        scanned_ = 0;
        open_.clear();
        // The stream breaks here (an unfinished line has no continuation),
        // and here the resume point stays until Resync() proves a block: a
        // decoder resumed here finds this same damage at this same byte and
        // resyncs through it exactly as this one does. A point inside the
        // damage (an open candidate) would not do: a resumed decoder cannot
        // know it is resyncing, and would take the candidate for a block.
        stream_.MoveResumePoint(base + pos, /*drop_pending=*/true);
        return pos + 1;
      }
      const bool ok = DecodeBlock(at.substr(0, probe.size), base + pos, sink, stats);
      pos += probe.size;
      // The next block starts a fresh decoder: a restart from there re-creates
      // the rest. A broken block's unfinished line has no continuation.
      stream_.MoveResumePoint(base + pos, /*drop_pending=*/!ok);
      stream_.SetConsumed(base + pos);
    }
    return pos;
  }

  // After damage, pending_ holds the bytes from the first offset that might
  // still start a block. Finds the first offset where a whole block starts
  // that ProbeBlock (strict) and a trial decode (Prove) accept. A candidate
  // whose block has not all arrived is kept open, but a proven whole one
  // after it wins: a false header claiming a few MiB must not hold back the
  // blocks that follow it. True: pending_ now starts with that block.
  bool Resync() {
    std::optional<uint64_t> found;
    // The open candidates come first in the file: one may be whole now.
    size_t still_open = 0;
    for (const uint64_t candidate : open_) {
      const std::string_view at = std::string_view(pending_).substr(candidate - pending_offset_);
      const ProbeResult probe = ProbeBlock(at, /*strict=*/true);
      if (probe.what == Probe::kWhole && Prove(at.substr(0, probe.size))) {
        found = candidate;
        break;
      }
      if (probe.what == Probe::kNeedMore) open_[still_open++] = candidate;
    }
    if (!found) {
      open_.resize(still_open);
      for (; scanned_ < pending_.size(); ++scanned_) {
        const std::string_view at = std::string_view(pending_).substr(scanned_);
        const ProbeResult probe = ProbeBlock(at, /*strict=*/true);
        if (probe.what == Probe::kNeedMore) {
          open_.push_back(pending_offset_ + scanned_);
        } else if (probe.what == Probe::kWhole && Prove(at.substr(0, probe.size))) {
          found = pending_offset_ + scanned_;
          break;
        }
      }
    }
    if (found) {
      Drop(static_cast<size_t>(*found - pending_offset_));
      resyncing_ = false;
      scanned_ = 0;
      open_.clear();
      // A proven block: a decoder resumed here decodes it, and what follows,
      // as this one does.
      stream_.MoveResumePoint(pending_offset_, /*drop_pending=*/true);
      return true;
    }
    if (open_.size() > kMaxOpenCandidates)  // garbage rich in header look-alikes
      open_.erase(open_.begin(), open_.end() - kMaxOpenCandidates);
    // Bytes before the first open candidate are no block's: they need not be
    // kept. The resume point stays where the damage began (see Parse()).
    const uint64_t keep_from = open_.empty() ? pending_offset_ + pending_.size() : open_.front();
    Drop(static_cast<size_t>(keep_from - pending_offset_));
    return false;
  }

  // Forgets the first `n` bytes of pending_ (skipped as damage). The resume
  // point does not move: only a proven block moves it (Resync()).
  void Drop(size_t n) {
    pending_.erase(0, n);
    pending_offset_ += n;
    scanned_ -= std::min(scanned_, n);
    stream_.SetConsumed(pending_offset_);
  }

  // Whether a whole candidate block decodes to text. An encrypted block
  // cannot be checked, and skipping it loses no lines.
  bool Prove(std::string_view block) {
    const Magic magic = MagicOf(static_cast<unsigned char>(block[0]));
    if (magic.payload == Payload::kEncrypted) return false;
    TrialSink trial(&trial_buffer_);
    return DecodePayload(magic, PayloadOf(block, magic), &trial) == nullptr && trial.proven();
  }

  static std::string_view PayloadOf(std::string_view block, const Magic& magic) {
    return block.substr(magic.header, block.size() - magic.header - 1);
  }

  // One whole block (header to end byte). False: its payload is damaged.
  bool DecodeBlock(std::string_view block, uint64_t offset, StreamSink* sink, SourceStats* stats) {
    const unsigned char magic_byte = static_cast<unsigned char>(block[0]);
    const Magic magic = MagicOf(magic_byte);
    if (magic.async) TrackSeq(LoadU16(block.data() + 1), stats);
    if (magic.payload == Payload::kEncrypted) {
      ++stats->encrypted_blocks;
      if (!warned_encrypted_) {
        warned_encrypted_ = true;
        spdlog::warn("{}: xlog block at byte {} is encrypted (magic 0x{:02x}); errpulse has no "
                     "key for it, so encrypted blocks are skipped (counted, not decoded)",
                     path_, offset, magic_byte);
      }
      return true;
    }
    if (const char* why = DecodePayload(magic, PayloadOf(block, magic), sink)) {
      Damaged(offset, why, stats);
      return false;
    }
    damaged_ = false;  // a good block ends the damaged stretch
    return true;
  }

  // A keyless payload to `sink`. Returns why it failed, or nullptr.
  const char* DecodePayload(const Magic& magic, std::string_view payload, TextSink* sink) {
    switch (magic.payload) {
      case Payload::kPlain:
        while (!payload.empty() && !sink->full()) {
          const size_t n = std::min(payload.size(), kOutPiece);
          std::memcpy(sink->Prepare(n), payload.data(), n);
          sink->Commit(n);
          payload.remove_prefix(n);
        }
        return nullptr;
      case Payload::kDeflate:
      case Payload::kDeflatePieces:
        return InflateBlock(payload, magic.payload == Payload::kDeflatePieces, sink);
      case Payload::kZstd:
        return UnzstdBlock(payload, sink);
      case Payload::kEncrypted:
        break;
    }
    return "encrypted";
  }

  // One raw deflate stream, unfinished as mars leaves it; `pieces`: cut into
  // `[u16 LE length][bytes]` (magic 0x05).
  const char* InflateBlock(std::string_view payload, bool pieces, TextSink* sink) {
    if (!inflater_.ok()) return "no zlib inflater";
    inflater_.Reset();
    if (!pieces) return Inflate(payload, nullptr, sink);
    while (!payload.empty() && !sink->full()) {
      if (payload.size() < 2) return "deflate piece header cut short";
      const size_t n = LoadU16(payload.data());
      payload.remove_prefix(2);
      if (n > payload.size()) return "deflate piece longer than its block";
      bool ended = false;
      if (const char* why = Inflate(payload.substr(0, n), &ended, sink)) return why;
      if (ended) break;  // a finished stream: mars's decoder ignores what follows
      payload.remove_prefix(n);
    }
    return nullptr;
  }

  // Feeds `input` to the inflater. `ended`: the stream finished (bytes after
  // it are ignored, as mars's decoder does).
  const char* Inflate(std::string_view input, bool* ended, TextSink* sink) {
    z_stream* z = inflater_.get();
    z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z->avail_in = static_cast<uInt>(input.size());
    while (!sink->full()) {
      z->next_out = reinterpret_cast<Bytef*>(sink->Prepare(kOutPiece));
      z->avail_out = static_cast<uInt>(kOutPiece);
      const int rc = inflate(z, Z_SYNC_FLUSH);
      const size_t produced = kOutPiece - z->avail_out;
      sink->Commit(produced);  // text before an error is good
      if (rc == Z_STREAM_END) {
        if (ended != nullptr) *ended = true;
        return nullptr;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return z->msg != nullptr ? z->msg : "inflate failed";
      if (z->avail_in == 0 && z->avail_out != 0) break;  // all used, nothing held back
      if (rc == Z_BUF_ERROR && produced == 0) break;     // no progress: never spin
    }
    return nullptr;
  }

  // One zstd frame (or several), unfinished as mars leaves it: the streaming
  // decoder hands out every complete zstd block and waits for the rest.
  const char* UnzstdBlock(std::string_view payload, TextSink* sink) {
    if (zstd_ == nullptr) return "no zstd decoder";
    ZSTD_DCtx_reset(zstd_, ZSTD_reset_session_only);
    ZSTD_inBuffer in{payload.data(), payload.size(), 0};
    while (!sink->full()) {
      const size_t in_before = in.pos;
      ZSTD_outBuffer out{sink->Prepare(kOutPiece), kOutPiece, 0};
      const size_t rc = ZSTD_decompressStream(zstd_, &out, &in);
      sink->Commit(out.pos);
      if (ZSTD_isError(rc)) return ZSTD_getErrorName(rc);
      if (in.pos == in.size && out.pos < out.size) break;  // all used, nothing held back
      if (in.pos == in_before && out.pos == 0) break;      // no progress: never spin
    }
    return nullptr;
  }

  // Counted once per damaged stretch; a good block ends the stretch.
  void Damaged(uint64_t offset, const char* why, SourceStats* stats) {
    if (damaged_) return;
    damaged_ = true;
    ++stats->decode_errors[kXlogIndex];
    spdlog::warn("{}: damaged xlog data at byte {} ({}); skipping to the next good block", path_,
                 offset, why);
  }

  // mars numbers async blocks 1..65535 (0 skipped) from a process-wide
  // counter that starts again at 1 with the process; see the file comment.
  void TrackSeq(uint16_t seq, SourceStats* stats) {
    if (seq == 0) return;
    if (last_seq_ != 0 && seq != 1) {
      const uint16_t expected = last_seq_ == 0xFFFF ? 1 : static_cast<uint16_t>(last_seq_ + 1);
      const uint16_t ahead = static_cast<uint16_t>(seq - expected);
      if (ahead != 0 && ahead < 0x8000) ++stats->seq_gaps;
    }
    last_seq_ = seq;
  }

  const std::string path_;
  RawInflater inflater_;
  ZSTD_DStream* zstd_ = nullptr;
  std::string pending_;  // raw bytes of the block still arriving (resyncing: being searched)
  uint64_t pending_offset_ = 0;  // file offset of pending_[0]
  bool resyncing_ = false;       // after damage: looking for the next block start
  size_t scanned_ = 0;           // resyncing: offsets of pending_ looked at so far
  std::vector<uint64_t> open_;   // resyncing: candidates whose block has not all arrived
  std::vector<char> trial_buffer_;  // decoded bytes of a candidate being proven
  bool damaged_ = false;         // inside a damaged stretch (already counted)
  bool warned_encrypted_ = false;
  uint16_t last_seq_ = 0;        // the last async block's seq; 0: none to compare with
};

}  // namespace

std::unique_ptr<LineDecoder> MakeXlogDecoder(const std::string& path, size_t max_line_bytes) {
  return std::make_unique<XlogDecoder>(path, max_line_bytes);
}

bool LooksLikeXlog(std::string_view head) {
  if (head.empty()) return false;
  const Magic magic = MagicOf(static_cast<unsigned char>(head[0]));
  if (!magic.known || head.size() < magic.header) return false;
  return ProbeBlock(head, /*strict=*/true).what != Probe::kBad;
}

}  // namespace errpulse
