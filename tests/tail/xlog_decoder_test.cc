// XlogDecoder: mars .xlog blocks of every keyless magic decode to their
// lines; encrypted blocks are skipped and counted; input in any slicing gives
// the same lines; damage is counted once per stretch and decoding goes on;
// seq gaps are counted the way mars numbers blocks; a restart from
// Position() emits exactly the lines not emitted before it.
//
// The xlog bytes are built here the way mars writes them: raw deflate
// (-15 window bits) sync-flushed per record and never finished, zstd
// flushed per record (ZSTD_e_flush) and never ended.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tail/xlog_decoder.h"

namespace errpulse {
namespace {

constexpr size_t kXlog = static_cast<size_t>(LogFormat::kXlog);

// ---- Writing xlog the way mars does -------------------------------------

size_t KeyBytes(uint8_t magic) { return magic <= 0x05 ? 4 : 64; }

std::string Block(uint8_t magic, uint16_t seq, const std::string& payload, uint8_t hour = 9) {
  std::string b;
  b += static_cast<char>(magic);
  b += static_cast<char>(seq & 0xff);
  b += static_cast<char>(seq >> 8);
  b += static_cast<char>(hour);
  b += static_cast<char>(hour);
  const uint32_t len = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) b += static_cast<char>((len >> (8 * i)) & 0xff);
  b += std::string(KeyBytes(magic), '\x5a');  // a client public key, or 4 zero-ish bytes
  b += payload;
  b += '\0';
  return b;
}

// One deflate stream, sync-flushed after each record, never finished.
// `pieces`: each flush behind its u16 LE length (magic 0x05).
std::string Deflate(const std::vector<std::string>& records, bool pieces = false) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, MAX_MEM_LEVEL,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out;
  for (const std::string& r : records) {
    std::string piece(deflateBound(&z, r.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(r.data()));
    z.avail_in = static_cast<uInt>(r.size());
    z.next_out = reinterpret_cast<Bytef*>(piece.data());
    z.avail_out = static_cast<uInt>(piece.size());
    EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    EXPECT_EQ(z.avail_in, 0u);
    piece.resize(piece.size() - z.avail_out);
    if (pieces) {
      out += static_cast<char>(piece.size() & 0xff);
      out += static_cast<char>(piece.size() >> 8);
    }
    out += piece;
  }
  deflateEnd(&z);  // like mars: the stream is dropped, not finished
  return out;
}

// One zstd frame, flushed after each record, never ended.
std::string Zstd(const std::vector<std::string>& records) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 16);
  std::string out;
  std::vector<char> buf(ZSTD_CStreamOutSize());
  for (const std::string& r : records) {
    ZSTD_inBuffer in{r.data(), r.size(), 0};
    size_t left;
    do {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      left = ZSTD_compressStream2(c, &o, &in, ZSTD_e_flush);
      EXPECT_FALSE(ZSTD_isError(left));
      out.append(buf.data(), o.pos);
    } while (left != 0);
  }
  ZSTD_freeCCtx(c);
  return out;
}

std::string Joined(const std::vector<std::string>& records) {
  std::string s;
  for (const std::string& r : records) s += r;
  return s;
}

// A block of `magic` holding `records` as mars writes that magic.
std::string BlockOf(uint8_t magic, uint16_t seq, const std::vector<std::string>& records) {
  switch (magic) {
    case 0x04:
    case 0x09:
      return Block(magic, seq, Deflate(records));
    case 0x05:
      return Block(magic, seq, Deflate(records, /*pieces=*/true));
    case 0x0D:
      return Block(magic, seq, Zstd(records));
    default:
      return Block(magic, seq, Joined(records));
  }
}

std::string Rec(int i, const char* level = "E") {
  return std::string("[") + level + "][2020-01-21 +8.0 09:55:35.297][22008, 22113][tag][file.cc, "
         "func, 83][record " + std::to_string(i) + " code=" + std::to_string(1000 + i) + "\n";
}

// ---- Reading ----------------------------------------------------------------

struct XlogReader {
  explicit XlogReader(size_t max_line = 4096) : decoder(MakeXlogDecoder("/logs/app.xlog", max_line)) {}

  // Feeds `bytes` (the file from `offset`) in slices of `slice` bytes.
  void Feed(const std::string& bytes, size_t slice = SIZE_MAX, uint64_t offset = 0) {
    for (size_t at = 0; at < bytes.size();) {
      const size_t n = std::min(slice, bytes.size() - at);
      decoder->Feed(offset + at, std::string_view(bytes).substr(at, n), &scratch,
                    [&](std::string_view chunk, LineTimes times) {
                      EXPECT_TRUE(times.empty());
                      Collect(chunk);
                    },
                    &stats);
      at += n;
    }
  }
  void Flush() {
    decoder->Flush(&scratch, [&](std::string_view chunk, LineTimes) { Collect(chunk); }, &stats);
  }
  // Complete lines lose their '\n'; a chunk's unterminated rest (a cut or
  // flushed line) is a line of its own.
  void Collect(std::string_view chunk) {
    while (!chunk.empty()) {
      const size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        lines.emplace_back(chunk);
        break;
      }
      lines.emplace_back(chunk.substr(0, nl));
      chunk.remove_prefix(nl + 1);
    }
  }

  std::unique_ptr<LineDecoder> decoder;
  std::vector<char> scratch;
  SourceStats stats;
  std::vector<std::string> lines;
};

std::vector<std::string> LinesOf(const std::vector<std::string>& records) {
  std::vector<std::string> out;
  for (const std::string& r : records) out.push_back(r.substr(0, r.size() - 1));
  return out;
}

std::vector<std::string> Records(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(Rec(i));
  return out;
}

// A file mixing every keyless magic, async blocks numbered 1, 2, ...
std::string MixedFile(std::vector<std::string>* lines) {
  const uint8_t magics[] = {0x03, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0A, 0x0B, 0x0D};
  std::string file;
  uint16_t seq = 0;
  int n = 0;
  for (int round = 0; round < 2; ++round) {
    for (uint8_t magic : magics) {
      const bool async = magic == 0x04 || magic == 0x05 || magic == 0x09 || magic == 0x0D;
      const std::vector<std::string> records = async ? Records(n, n + 3) : Records(n, n + 1);
      n += static_cast<int>(records.size());
      file += BlockOf(magic, async ? ++seq : 0, records);
      for (const std::string& l : LinesOf(records)) lines->push_back(l);
    }
  }
  return file;
}

// ---- Every magic --------------------------------------------------------

TEST(XlogDecoder, EveryKeylessMagicDecodesToItsLines) {
  for (uint8_t magic : {0x03, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0A, 0x0B, 0x0D}) {
    SCOPED_TRACE(testing::Message() << "magic 0x" << std::hex << int{magic});
    const bool async = magic == 0x04 || magic == 0x05 || magic == 0x09 || magic == 0x0D;
    const std::string file =
        BlockOf(magic, async ? 1 : 0, Records(0, 3)) + BlockOf(magic, async ? 2 : 0, Records(3, 5));
    XlogReader run;
    run.Feed(file);
    EXPECT_EQ(run.lines, LinesOf(Records(0, 5)));
    EXPECT_EQ(run.stats.decode_errors[kXlog], 0u);
    EXPECT_EQ(run.stats.encrypted_blocks, 0u);
    EXPECT_EQ(run.stats.seq_gaps, 0u);
    EXPECT_EQ(run.stats.lines_cut, 0u);
    const DecoderPosition p = run.decoder->Position();
    EXPECT_EQ(p.resume_offset, file.size());
    EXPECT_EQ(p.skip, 0u);
  }
}

TEST(XlogDecoder, CompressedBlocksReallyAreUnfinishedStreams) {
  // The fixture must look like mars: a zstd frame that has not ended, a
  // deflate stream without its final block.
  const std::string z = Zstd(Records(0, 3));
  EXPECT_TRUE(ZSTD_isError(ZSTD_findFrameCompressedSize(z.data(), z.size())))
      << "frame unexpectedly complete";
  const std::string d = Deflate(Records(0, 3));
  EXPECT_EQ(d.substr(d.size() - 4), std::string("\x00\x00\xff\xff", 4));
}

TEST(XlogDecoder, LargeBlocksDecodeInPiecesToEveryLine) {
  // 4000 records (~470 KiB of text) in one block: decoded through the
  // stream 64 KiB at a time.
  for (uint8_t magic : {0x08, 0x09, 0x0D, 0x05}) {
    SCOPED_TRACE(testing::Message() << "magic 0x" << std::hex << int{magic});
    std::vector<std::string> records = Records(0, 4000);
    if (magic == 0x05) records.resize(400);  // u16 pieces: keep each flush small
    XlogReader run;
    run.Feed(BlockOf(magic, 7, records) + BlockOf(magic, 8, {Rec(99999)}), 100000);
    std::vector<std::string> want = LinesOf(records);
    want.push_back(LinesOf({Rec(99999)})[0]);
    EXPECT_EQ(run.lines, want);
    EXPECT_EQ(run.stats.decode_errors[kXlog], 0u);
  }
}

TEST(XlogDecoder, AnUnterminatedRecordContinuesInTheNextBlock) {
  XlogReader run;
  run.Feed(Block(0x08, 0, "[E][x] first half, ") + Block(0x09, 1, Deflate({"second half\n[I]b\n"})) +
           Block(0x08, 0, "[W]tail"));
  EXPECT_EQ(run.lines, (std::vector<std::string>{"[E][x] first half, second half", "[I]b"}));
  run.Flush();
  EXPECT_EQ(run.lines.back(), "[W]tail");
  EXPECT_EQ(run.lines.size(), 3u);
}

// ---- Encrypted blocks -------------------------------------------------------

TEST(XlogDecoder, EncryptedBlocksAreSkippedAndCounted) {
  const std::string file = BlockOf(0x08, 0, {Rec(1)}) +
                           Block(0x07, 1, std::string(40, '\x93')) +  // TEA bytes: no key
                           BlockOf(0x09, 2, {Rec(2), Rec(3)}) +
                           Block(0x0C, 3, std::string(33, '\xc1')) + BlockOf(0x0B, 0, {Rec(4)});
  XlogReader run;
  run.Feed(file, 7);
  EXPECT_EQ(run.lines, LinesOf({Rec(1), Rec(2), Rec(3), Rec(4)}));
  EXPECT_EQ(run.stats.encrypted_blocks, 2u);
  EXPECT_EQ(run.stats.decode_errors[kXlog], 0u);
  EXPECT_EQ(run.stats.seq_gaps, 0u);  // their seq counts: 1, 2, 3 has no gap
  EXPECT_EQ(run.decoder->Position().resume_offset, file.size());
}

// ---- Slicing ----------------------------------------------------------------

TEST(XlogDecoder, ByteAtATimeGivesTheSameLinesAsAllAtOnce) {
  std::vector<std::string> want;
  const std::string file = MixedFile(&want);
  XlogReader whole;
  whole.Feed(file);
  EXPECT_EQ(whole.lines, want);
  XlogReader bytewise;
  bytewise.Feed(file, 1);
  EXPECT_EQ(bytewise.lines, want);
  EXPECT_EQ(bytewise.stats.decode_errors[kXlog], 0u);
  EXPECT_EQ(bytewise.stats.seq_gaps, 0u);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    XlogReader random;
    for (size_t at = 0; at < file.size();) {
      const size_t n = std::min<size_t>(1 + rng() % 300, file.size() - at);
      random.Feed(file.substr(at, n), SIZE_MAX, at);
      at += n;
    }
    EXPECT_EQ(random.lines, want);
  }
}

TEST(XlogDecoder, ABlockSplitAnywhereWaitsForItsRest) {
  const std::string first = BlockOf(0x09, 1, Records(0, 3));
  const std::string second = BlockOf(0x0D, 2, Records(3, 5));
  const std::string file = first + second;
  // Every split point in the first block, the 73-byte header included.
  for (size_t cut = 1; cut < first.size(); ++cut) {
    SCOPED_TRACE(cut);
    XlogReader run;
    run.Feed(file.substr(0, cut));
    EXPECT_TRUE(run.lines.empty());
    EXPECT_EQ(run.decoder->Position().resume_offset, 0u);
    run.Feed(file.substr(cut), SIZE_MAX, cut);
    EXPECT_EQ(run.lines, LinesOf(Records(0, 5)));
    EXPECT_EQ(run.stats.decode_errors[kXlog], 0u);
  }
}

// ---- Damage -------------------------------------------------------------------

TEST(XlogDecoder, GarbageBetweenBlocksIsOneStretchAndDecodingGoesOn) {
  const std::string garbage = "\x09\x01\x02 not a block \x0d\xff\xff\xff\xff" + std::string(300, 'g');
  const std::string file = BlockOf(0x09, 1, Records(0, 2)) + garbage +
                           BlockOf(0x09, 2, Records(2, 4)) + BlockOf(0x08, 0, {Rec(4)});
  for (size_t slice : {size_t{1}, size_t{5}, size_t{64}, SIZE_MAX}) {
    SCOPED_TRACE(slice);
    XlogReader run;
    run.Feed(file, slice);
    EXPECT_EQ(run.lines, LinesOf(Records(0, 5)));
    EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
    EXPECT_EQ(run.stats.seq_gaps, 0u);
  }
}

TEST(XlogDecoder, AFlippedEndByteIsDamageAndTheNextBlockDecodes) {
  std::string bad = BlockOf(0x08, 0, {Rec(1)});
  bad.back() = '\x01';
  const std::string file = BlockOf(0x08, 0, {Rec(0)}) + bad + BlockOf(0x08, 0, {Rec(2)});
  XlogReader run;
  run.Feed(file, 3);
  // The damaged block's text is not trusted; the blocks around it are.
  EXPECT_EQ(run.lines, LinesOf({Rec(0), Rec(2)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
}

TEST(XlogDecoder, ACorruptDeflatePayloadKeepsTheLinesBeforeIt) {
  const std::vector<std::string> records = Records(0, 3);
  std::string payload = Deflate(records);
  const size_t first_flush = Deflate({records[0]}).size();
  // After a sync flush the next byte starts a deflate block: 0xff is a
  // reserved block type, which inflate rejects.
  payload[first_flush] = '\xff';
  const std::string file = BlockOf(0x09, 1, {Rec(10)}) + Block(0x09, 2, payload) +
                           BlockOf(0x09, 3, {Rec(11)});
  for (size_t slice : {size_t{1}, SIZE_MAX}) {
    XlogReader run;
    run.Feed(file, slice);
    EXPECT_EQ(run.lines, LinesOf({Rec(10), records[0], Rec(11)}));
    EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
    EXPECT_EQ(run.stats.seq_gaps, 0u);
  }
}

TEST(XlogDecoder, ACorruptZstdPayloadIsDamage) {
  std::string payload = Zstd(Records(0, 2));
  payload[0] = '\x00';  // no longer a zstd frame magic
  XlogReader run;
  run.Feed(BlockOf(0x0D, 1, {Rec(5)}) + Block(0x0D, 2, payload) + BlockOf(0x0D, 3, {Rec(6)}));
  EXPECT_EQ(run.lines, LinesOf({Rec(5), Rec(6)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
}

TEST(XlogDecoder, ABrokenBlocksUnfinishedLineIsDropped) {
  // The corrupt block decodes "[E]half" before failing: no continuation comes.
  std::string payload = Deflate({"[E]half", "of a line\n"});
  payload[Deflate({"[E]half"}).size()] = '\xff';
  XlogReader run;
  run.Feed(Block(0x09, 1, payload) + BlockOf(0x08, 0, {Rec(1)}));
  EXPECT_EQ(run.lines, LinesOf({Rec(1)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
}

TEST(XlogDecoder, SeparateStretchesCountSeparately) {
  std::string flipped = BlockOf(0x08, 0, {Rec(3)});
  flipped.back() = 'x';
  const std::string file = BlockOf(0x08, 0, {Rec(0)}) + std::string(50, '\x01') +
                           BlockOf(0x08, 0, {Rec(1)}) + BlockOf(0x08, 0, {Rec(2)}) + flipped +
                           std::string(10, 'z') + BlockOf(0x08, 0, {Rec(4)});
  XlogReader run;
  run.Feed(file, 11);
  EXPECT_EQ(run.lines, LinesOf({Rec(0), Rec(1), Rec(2), Rec(4)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 2u);  // the flipped block and the z's are one stretch
}

TEST(XlogDecoder, AnAbsurdLengthIsDamageNotAWait) {
  std::string huge = BlockOf(0x08, 0, {Rec(1)});
  huge[8] = '\x7f';  // length ~2 GiB
  XlogReader run;
  run.Feed(huge + BlockOf(0x08, 0, {Rec(2)}));
  EXPECT_EQ(run.lines, LinesOf({Rec(2)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
}

TEST(XlogDecoder, GarbageNeverHoldsBackTheBlocksAfterIt) {
  // Random bytes: a header look-alike claiming megabytes must not make the
  // decoder wait for them while whole blocks follow.
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::string file = BlockOf(0x08, 0, {Rec(0)});
    const size_t n = 1 + rng() % 3000;
    for (size_t i = 0; i < n; ++i) file += static_cast<char>(rng());
    file += BlockOf(0x09, 1, {Rec(1)});
    XlogReader run;
    run.Feed(file, 1 + rng() % 200);
    ASSERT_EQ(run.lines, LinesOf({Rec(0), Rec(1)})) << "trial " << trial;
    ASSERT_EQ(run.stats.decode_errors[kXlog], 1u);
  }
}

TEST(XlogDecoder, HeaderLookAlikesAfterDamageNeverCrashOrEmitGarbage) {
  // Bytes 0-15 are mostly known magics with plausible hours: the worst case
  // for resync. Candidates that claim more bytes than have come must not
  // hold back the whole blocks after them, and none of the garbage may come
  // out as lines.
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    std::string file = BlockOf(0x08, 0, {Rec(100)}) + "\xff";
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) file += static_cast<char>(rng() % 16);
    for (int b = 0; b < 5; ++b) file += BlockOf(b % 2 ? 0x0D : 0x08, 0, {Rec(b)});
    XlogReader run;
    run.Feed(file, 1 + rng() % 200);
    std::vector<std::string> want = LinesOf({Rec(100)});
    for (const std::string& l : LinesOf(Records(0, 5))) want.push_back(l);
    ASSERT_EQ(run.lines, want) << "trial " << trial;
    ASSERT_EQ(run.stats.decode_errors[kXlog], 1u) << "trial " << trial;
  }
}

TEST(XlogDecoder, AFalseHeaderClaimingMegabytesDoesNotHoldBackTheBlocksAfterIt) {
  // After damage, a header look-alike (plausible magic, hours and length)
  // whose "block" would take 1 MiB more: the whole blocks right after it win.
  std::string fake = Block(0x09, 3, std::string(1 << 20, 'x'));
  fake.resize(73);  // only its header is in the file
  const std::string file = BlockOf(0x08, 0, {Rec(0)}) + "\xff" + fake +
                           BlockOf(0x09, 4, {Rec(1)}) + BlockOf(0x08, 0, {Rec(2)});
  for (size_t slice : {size_t{1}, size_t{100}, SIZE_MAX}) {
    SCOPED_TRACE(slice);
    XlogReader run;
    run.Feed(file, slice);
    EXPECT_EQ(run.lines, LinesOf(Records(0, 3)));
    EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
    EXPECT_EQ(run.decoder->Position().resume_offset, file.size());
  }
}

TEST(XlogDecoder, ABlockCutShortByACrashIsDamageOnceItsLengthHasArrived) {
  // The writer died in the middle of a block; the restarted app appends new
  // blocks. The cut block's header is all the decoder has to go by: it waits
  // for the length it claims, finds no end byte there, and resyncs.
  std::string cut = BlockOf(0x08, 0, {"[E]" + std::string(200, 'c') + "\n"});
  cut.resize(cut.size() - 100);
  const std::string file = BlockOf(0x08, 0, {Rec(0)}) + cut + BlockOf(0x08, 0, {Rec(1)}) +
                           BlockOf(0x09, 1, {Rec(2)});
  XlogReader run;
  run.Feed(file, 50);
  EXPECT_EQ(run.lines, LinesOf(Records(0, 3)));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
}

// ---- Sequence numbers -------------------------------------------------------

TEST(XlogDecoder, ASeqJumpIsAGap) {
  XlogReader run;
  run.Feed(BlockOf(0x09, 1, {Rec(1)}) + BlockOf(0x09, 2, {Rec(2)}) + BlockOf(0x09, 5, {Rec(3)}) +
           BlockOf(0x09, 6, {Rec(4)}));
  EXPECT_EQ(run.lines.size(), 4u);
  EXPECT_EQ(run.stats.seq_gaps, 1u);
}

TEST(XlogDecoder, SyncBlocksRestartsRepeatsAndStepsBackAreNotGaps) {
  XlogReader run;
  run.Feed(BlockOf(0x0D, 40, {Rec(1)}) +
           BlockOf(0x08, 0, {Rec(2)}) +    // sync: seq 0, in between
           BlockOf(0x0D, 41, {Rec(3)}) +
           BlockOf(0x0D, 1, {Rec(4)}) +    // the app restarted
           BlockOf(0x0D, 2, {Rec(5)}) +
           BlockOf(0x0D, 9, {Rec(6)}) +    // 3..8 lost: one gap
           BlockOf(0x0D, 9, {Rec(7)}) +    // a repeat
           BlockOf(0x0D, 5, {Rec(8)}) +    // a step back
           BlockOf(0x0D, 6, {Rec(9)}) +
           BlockOf(0x03, 77, {Rec(10)}) +  // a sync magic: its seq means nothing
           BlockOf(0x04, 7, {Rec(11)}));   // follows 6
  EXPECT_EQ(run.lines.size(), 11u);
  EXPECT_EQ(run.stats.seq_gaps, 1u);
}

TEST(XlogDecoder, SeqWrapsFrom65535To1) {
  XlogReader wrap;
  wrap.Feed(BlockOf(0x09, 65534, {Rec(1)}) + BlockOf(0x09, 65535, {Rec(2)}) +
            BlockOf(0x09, 1, {Rec(3)}) + BlockOf(0x09, 2, {Rec(4)}));
  EXPECT_EQ(wrap.stats.seq_gaps, 0u);
  XlogReader lost;  // 65535 and 1 lost across the wrap
  lost.Feed(BlockOf(0x09, 65534, {Rec(1)}) + BlockOf(0x09, 2, {Rec(4)}));
  EXPECT_EQ(lost.stats.seq_gaps, 1u);
}

TEST(XlogDecoder, BlocksLostInDamageAreNotSeqGaps) {
  XlogReader run;
  run.Feed(BlockOf(0x09, 1, {Rec(1)}) + "garbage garbage" + BlockOf(0x09, 4, {Rec(2)}));
  EXPECT_EQ(run.stats.decode_errors[kXlog], 1u);
  EXPECT_EQ(run.stats.seq_gaps, 0u);
}

// ---- Restart --------------------------------------------------------------------

TEST(XlogDecoder, ResumeFromPositionEmitsEachLineExactlyOnce) {
  // Blocks whose text ends mid-line, so positions fall inside lines too.
  std::string file;
  std::vector<std::string> want;
  std::string text;
  for (int b = 0; b < 12; ++b) {
    std::vector<std::string> records = Records(b * 4, b * 4 + 4);
    if (b % 3 == 1) records.back().pop_back();  // the record goes on in the next block
    if (b % 3 == 2) records.front() = "continued " + records.front();
    const uint8_t magic = std::vector<uint8_t>{0x09, 0x0D, 0x08, 0x05, 0x0B}[b % 5];
    file += BlockOf(magic, (magic == 0x08 || magic == 0x0B) ? 0 : static_cast<uint16_t>(b + 1),
                    records);
    text += Joined(records);
  }
  XlogReader all;
  all.Feed(file);
  {
    XlogReader ref;
    ref.Collect(text);
    want = ref.lines;
  }
  ASSERT_EQ(all.lines, want);
  for (size_t cut = 0; cut <= file.size(); cut += 13) {
    SCOPED_TRACE(cut);
    XlogReader before;
    before.Feed(file.substr(0, cut), 97);
    const DecoderPosition position = before.decoder->Position();
    ASSERT_LE(position.resume_offset, cut);
    XlogReader after;
    after.decoder->Resume(position);
    after.Feed(file.substr(position.resume_offset), 61, position.resume_offset);
    std::vector<std::string> both = before.lines;
    both.insert(both.end(), after.lines.begin(), after.lines.end());
    ASSERT_EQ(both, want);
    EXPECT_EQ(after.stats.decode_errors[kXlog], 0u);
  }
}

TEST(XlogDecoder, ResumeAfterDamageStillEmitsEachLineOnce) {
  const std::string file = BlockOf(0x09, 1, Records(0, 3)) + "junk junk junk" +
                           BlockOf(0x0D, 2, Records(3, 6)) + BlockOf(0x08, 0, {Rec(6)});
  for (size_t cut = 0; cut <= file.size(); ++cut) {
    SCOPED_TRACE(cut);
    XlogReader before;
    before.Feed(file.substr(0, cut));
    const DecoderPosition position = before.decoder->Position();
    XlogReader after;
    after.decoder->Resume(position);
    after.Feed(file.substr(position.resume_offset), 5, position.resume_offset);
    std::vector<std::string> both = before.lines;
    both.insert(both.end(), after.lines.begin(), after.lines.end());
    ASSERT_EQ(both, LinesOf(Records(0, 7)));
  }
}

TEST(XlogDecoder, ARestartWhileResyncingDoesNotTrustAnUnprovenCandidate) {
  // The garbage ends in '\n' (0x0A, a magic): with the 0x08 block after it,
  // its 9 bytes read as a header claiming ~20 KB. Resyncing, the decoder keeps
  // it open and takes the proven 0x08 block right after it; a restart taken
  // meanwhile must not resume at the '\n' and wait for those 20 KB, or the
  // blocks after it never come out.
  const std::string garbage = "garbage between blocks\n";
  const std::string head = BlockOf(0x09, 1, Records(0, 3)) + garbage;
  const std::string file = head + BlockOf(0x08, 0, {Rec(3)}) + BlockOf(0x09, 2, Records(4, 8));
  {
    const std::string candidate = file.substr(head.size() - 1);
    ASSERT_EQ(candidate[0], '\x0a');
    const uint32_t claimed = static_cast<uint8_t>(candidate[5]) |
                             static_cast<uint8_t>(candidate[6]) << 8 |
                             static_cast<uint8_t>(candidate[7]) << 16 |
                             static_cast<uint32_t>(static_cast<uint8_t>(candidate[8])) << 24;
    ASSERT_GT(73 + claimed + 1, candidate.size());  // a candidate that stays open
  }
  for (size_t slice : {size_t{1}, size_t{7}, SIZE_MAX}) {
    for (size_t cut = 0; cut <= file.size(); ++cut) {
      SCOPED_TRACE(testing::Message() << "slice " << slice << " cut " << cut);
      XlogReader before;
      before.Feed(file.substr(0, cut), slice);
      const DecoderPosition position = before.decoder->Position();
      ASSERT_LE(position.resume_offset, cut);
      // Never inside the damage: at its start, or at a block proven after it.
      EXPECT_TRUE(position.resume_offset <= head.size() - garbage.size() ||
                  position.resume_offset >= head.size())
          << position.resume_offset;
      XlogReader after;
      after.decoder->Resume(position);
      after.Feed(file.substr(position.resume_offset), slice, position.resume_offset);
      std::vector<std::string> both = before.lines;
      both.insert(both.end(), after.lines.begin(), after.lines.end());
      ASSERT_EQ(both, LinesOf(Records(0, 8)));
    }
  }
}

TEST(XlogDecoder, RestartsWhileResyncingThroughHeaderLookAlikesLoseNoLines) {
  // Garbage of header look-alikes (see HeaderLookAlikesAfterDamage...), and
  // a chain of restarts at random points: the lines of all the decoders are
  // the lines of one uninterrupted run.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string file = BlockOf(0x08, 0, {Rec(100)}) + "\xff";
    const size_t n = rng() % 3000;
    for (size_t i = 0; i < n; ++i) file += static_cast<char>(rng() % 16);
    for (int b = 0; b < 5; ++b) file += BlockOf(b % 2 ? 0x0D : 0x08, 0, {Rec(b)});
    std::vector<std::string> want = LinesOf({Rec(100)});
    for (const std::string& l : LinesOf(Records(0, 5))) want.push_back(l);
    std::vector<size_t> stops;
    for (int i = 0; i < 3; ++i) stops.push_back(rng() % (file.size() + 1));
    std::sort(stops.begin(), stops.end());
    std::vector<std::string> lines;
    DecoderPosition position;
    for (size_t i = 0; i <= stops.size(); ++i) {
      const size_t from = static_cast<size_t>(position.resume_offset);
      const size_t to = std::max(from, i < stops.size() ? stops[i] : file.size());
      XlogReader run;
      run.decoder->Resume(position);
      run.Feed(file.substr(from, to - from), 1 + rng() % 200, from);
      lines.insert(lines.end(), run.lines.begin(), run.lines.end());
      position = run.decoder->Position();
      ASSERT_LE(position.resume_offset, to) << "trial " << trial;
    }
    ASSERT_EQ(lines, want) << "trial " << trial;
  }
}

TEST(XlogDecoder, ResetStartsOverFromTheBeginning) {
  std::vector<std::string> want;
  const std::string file = MixedFile(&want);
  XlogReader run;
  run.Feed(file.substr(0, file.size() / 2));
  run.decoder->Reset();
  run.lines.clear();
  run.Feed(file);
  EXPECT_EQ(run.lines, want);
}

// ---- Long lines -----------------------------------------------------------------

TEST(XlogDecoder, LongLinesAreCutAndCounted) {
  const std::string long_line = "[E]" + std::string(500, 'L') + "\n";
  const std::string file = BlockOf(0x09, 1, {Rec(1), long_line, Rec(2)}) +
                           BlockOf(0x08, 0, {"[E]" + std::string(150, 'M') + "\n"}) +
                           BlockOf(0x0D, 2, {"[W]short\n"});
  for (size_t slice : {size_t{1}, SIZE_MAX}) {
    XlogReader run(120);
    run.Feed(file, slice);
    EXPECT_EQ(run.lines,
              (std::vector<std::string>{LinesOf({Rec(1)})[0], long_line.substr(0, 120),
                                        LinesOf({Rec(2)})[0], ("[E]" + std::string(117, 'M')),
                                        "[W]short"}));
    EXPECT_EQ(run.stats.lines_cut, 2u);
  }
}

// ---- Detection ------------------------------------------------------------------

TEST(XlogDetect, KnowsABlockHeaderWhenItSeesOne) {
  const std::string block = BlockOf(0x09, 1, Records(0, 3));
  EXPECT_TRUE(LooksLikeXlog(block));
  EXPECT_TRUE(LooksLikeXlog(block.substr(0, 73)));         // header only: block still coming
  EXPECT_FALSE(LooksLikeXlog(block.substr(0, 20)));        // too short to tell
  EXPECT_TRUE(LooksLikeXlog(BlockOf(0x03, 0, {Rec(0)})));  // legacy 13-byte header
  std::string bad_end = block;
  bad_end.back() = '\n';
  EXPECT_FALSE(LooksLikeXlog(bad_end));
  std::string huge = block;
  huge[8] = '\x02';  // ~32 MiB
  EXPECT_FALSE(LooksLikeXlog(huge));
  EXPECT_FALSE(LooksLikeXlog("[E][2020-01-21 +8.0 09:55:35.297][22008, 22113][tag][msg]\n" +
                             std::string(100, 'x')));
  EXPECT_FALSE(LooksLikeXlog(std::string(100, '\0')));
  EXPECT_FALSE(LooksLikeXlog(""));
}

}  // namespace
}  // namespace errpulse
