#include "extract/pattern_width.h"

#include <cctype>
#include <cstring>

#include "extract/ascii_case.h"
#include "extract/atom_prefilter.h"

namespace errpulse {
namespace {

size_t Add(size_t a, size_t b) {
  return a == kUnboundedWidth || b == kUnboundedWidth || a + b < a ? kUnboundedWidth : a + b;
}

size_t Times(size_t a, size_t n) {
  if (a == 0 || n == 0) return 0;
  if (a == kUnboundedWidth || n == kUnboundedWidth || a > kUnboundedWidth / n) return kUnboundedWidth;
  return a * n;
}

size_t Utf8Length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

// What the parser knows of a piece of pattern.
struct Shape {
  size_t width = 0;       // the most bytes it can match (kUnboundedWidth: unbounded)
  bool nullable = false;  // it can match the empty string
  BytesAt at{};           // see PatternItem::bytes_at
  LengthSet lengths = 0;  // see PatternItem::lengths
  ByteSet last;           // the bytes a non-empty match of it can end with (a superset)
};

constexpr LengthSet kAnyLength = ~LengthSet{0};

// Lengths 1..width (a superset of what one character of that width can be).
LengthSet UpTo(size_t width) {
  if (width >= 63) return kAnyLength & ~LengthSet{1};
  return ((LengthSet{1} << (width + 1)) - 1) & ~LengthSet{1};
}

ByteSet AllBytes() { return ByteSet().set(); }
ByteSet NonAsciiBytes() {
  ByteSet b;
  for (size_t c = 0x80; c < 256; ++c) b.set(c);
  return b;
}
ByteSet Digits() {
  ByteSet b;
  for (char c = '0'; c <= '9'; ++c) b.set(static_cast<unsigned char>(c));
  return b;
}
ByteSet Spaces() {  // RE2's \s: [\t\n\f\r ]
  ByteSet b;
  for (char c : std::string_view("\t\n\f\r ")) b.set(static_cast<unsigned char>(c));
  return b;
}
ByteSet WordBytes() {
  ByteSet b = Digits();
  for (char c = 'a'; c <= 'z'; ++c) b.set(static_cast<unsigned char>(c)).set(static_cast<unsigned char>(c - 32));
  return b.set('_');
}

// Under (?i) RE2 folds ASCII letters to their other case, and 'k' and 's' also
// to U+212A (E2 84 AA) and U+017F (C5 BF): their first bytes join the set.
ByteSet Folded(ByteSet b) {
  for (unsigned c = 'a'; c <= 'z'; ++c)
    if (b.test(c) || b.test(c - 32)) b.set(c).set(c - 32);
  if (b.test('k')) b.set(0xE2);
  if (b.test('s')) b.set(0xC5);
  return b;
}

ByteSet Single(unsigned char c, bool fold) {
  ByteSet b;
  b.set(c);
  return fold ? Folded(b) : b;
}

// One character of at most `width` bytes (or, unbounded, anything): `first`
// at offset 0, then UTF-8 continuation bytes (anything, when unbounded).
// A character of several bytes ends with an ASCII one or a byte >= 0x80.
Shape Consuming(size_t width, ByteSet first) {
  Shape shape{width, false, {}, UpTo(width), {}};
  shape.at[0] = first;
  ByteSet continuation;
  for (size_t c = 0x80; c < 0xC0; ++c) continuation.set(c);
  for (size_t k = 1; k < kByteDepth; ++k)
    if (width > k) shape.at[k] = width <= 4 ? continuation : AllBytes();
  shape.last = width == 1   ? first
               : width <= 4 ? (first & ~NonAsciiBytes()) | NonAsciiBytes()
                            : AllBytes();
  return shape;
}
Shape Empty() { return Shape{0, true, {}, LengthSet{1}, {}}; }

// Appends something of `next_lengths` and `next_at` to what `lengths` and
// `at` describe: a byte at offset k is either the first part's, or the next
// part's at k - j when the first part was j bytes long.
void Append(LengthSet* lengths, BytesAt* at, LengthSet next_lengths, const BytesAt& next_at) {
  for (size_t k = 0; k < kByteDepth; ++k)
    for (size_t j = 0; j <= k; ++j)
      if (*lengths & (LengthSet{1} << j)) (*at)[k] |= next_at[k - j];
  *lengths = SumOfLengths(*lengths, next_lengths);
}

// The lengths of low..high repetitions of something of `lengths` (high:
// SIZE_MAX when unbounded). Past 64 more repetitions than `low` nothing new
// below 64 bytes can appear, unless a repetition can be empty, which adds
// nothing either.
LengthSet RepeatedLengths(LengthSet lengths, size_t low, size_t high) {
  LengthSet power = LengthSet{1}, all = 0;
  for (size_t k = 0; k <= high && k <= low + 64; ++k) {
    if (k >= low) all |= power;
    power = SumOfLengths(power, lengths);
  }
  return all;
}

// The bytes by offset of 1..reps repetitions of `shape` (more than
// kByteDepth + 1 add nothing: each non-empty one moves the offsets on).
BytesAt Repeated(const Shape& shape, size_t reps) {
  LengthSet lengths = LengthSet{1};
  BytesAt at{}, all{};
  for (size_t r = 1; r <= reps && r <= kByteDepth + 1; ++r) {
    Append(&lengths, &at, shape.lengths, shape.at);
    for (size_t k = 0; k < kByteDepth; ++k) all[k] |= at[k];
  }
  return all;
}

// Recursive descent over RE2's syntax, computing a Shape (widths, lengths,
// nullability, bytes by offset from the start, last bytes) for each piece.
class WidthParser {
 public:
  explicit WidthParser(std::string_view p) : p_(p) {}

  // The whole pattern as top-level items (nullopt on `|` or failure).
  std::optional<std::vector<PatternItem>> Items() {
    std::vector<PatternItem> items;
    bool fold = false;
    while (i_ < p_.size() && !failed_) {
      if (p_[i_] == '|' || p_[i_] == ')') return std::nullopt;
      items.push_back(Item(&fold));
    }
    if (failed_) return std::nullopt;
    return items;
  }

  // Unknown syntax: unbounded, possibly empty, any bytes.
  Shape Whole() {
    bool fold = false;
    const Shape shape = Alternation(&fold);
    if (!failed_ && i_ == p_.size()) return shape;
    Shape unknown = Consuming(kUnboundedWidth, AllBytes());
    unknown.nullable = true;
    return unknown;
  }

 private:
  bool At(std::string_view s) const { return p_.substr(i_, s.size()) == s; }

  Shape Alternation(bool* fold) {
    Shape all = Concatenation(fold);
    while (!failed_ && i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      const Shape next = Concatenation(fold);
      all.width = next.width > all.width ? next.width : all.width;
      all.nullable = all.nullable || next.nullable;
      for (size_t k = 0; k < kByteDepth; ++k) all.at[k] |= next.at[k];
      all.lengths |= next.lengths;
      all.last |= next.last;
    }
    return all;
  }

  Shape Concatenation(bool* fold) {
    Shape all = Empty();
    while (!failed_ && i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      const PatternItem item = Item(fold);
      all.width = Add(all.width, item.max_width);
      all.nullable = all.nullable && item.nullable;
      Append(&all.lengths, &all.at, item.lengths, item.bytes_at);
      all.last = item.nullable ? all.last | item.last_bytes : item.last_bytes;
    }
    return all;
  }

  PatternItem Item(bool* fold) {
    PatternItem item;
    Shape shape = Atom(fold, &item);
    if (!failed_ && i_ < p_.size()) {
      const char q = p_[i_];
      if (q == '?' || q == '*' || q == '+' || q == '{') {
        item.quantified = true;
        if (q == '?') {
          ++i_;
          shape.nullable = true;
          shape.lengths |= LengthSet{1};
        } else if (q == '*' || q == '+') {
          ++i_;
          shape.nullable = shape.nullable || q == '*';
          if (shape.width != 0) shape.width = kUnboundedWidth;
          shape.at = Repeated(shape, kByteDepth + 1);
          shape.lengths = RepeatedLengths(shape.lengths, q == '*' ? 0 : 1, SIZE_MAX);
        } else {
          Repeat(&shape);
        }
        if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy
      }
    }
    if (failed_) shape = Consuming(kUnboundedWidth, AllBytes());
    item.max_width = shape.width;
    item.nullable = shape.nullable;
    item.bytes_at = shape.at;
    item.last_bytes = shape.last;
    item.lengths = shape.lengths;
    return item;
  }

  // {n}, {n,} or {n,m} at i_.
  void Repeat(Shape* shape) {
    const size_t close = p_.find('}', i_);
    if (close == std::string_view::npos) return Fail();
    const std::string_view body = p_.substr(i_ + 1, close - i_ - 1);
    i_ = close + 1;
    const size_t comma = body.find(',');
    if (comma == 0 || body.empty()) return Fail();  // RE2 reads "{,n}" as literal text
    const std::string_view min = body.substr(0, comma);
    const std::string_view max = comma == std::string_view::npos ? body : body.substr(comma + 1);
    size_t low = 0, high = 0;
    if (!Number(min, &low)) return Fail();
    if (low == 0) shape->nullable = true;
    if (max.empty()) {
      if (comma == std::string_view::npos) return Fail();
      if (shape->width != 0) shape->width = kUnboundedWidth;
      shape->at = Repeated(*shape, kByteDepth + 1);
      shape->lengths = RepeatedLengths(shape->lengths, low, SIZE_MAX);
      return;
    }
    if (!Number(max, &high) || high < low) return Fail();
    shape->at = Repeated(*shape, high);
    shape->width = Times(shape->width, high);
    shape->lengths = RepeatedLengths(shape->lengths, low, high);
  }

  bool Number(std::string_view digits, size_t* n) {
    *n = 0;
    if (digits.empty()) return false;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || *n > 100000) return false;
      *n = *n * 10 + static_cast<size_t>(c - '0');
    }
    return true;
  }

  Shape Atom(bool* fold, PatternItem* item) {
    const auto c = static_cast<unsigned char>(p_[i_]);
    if (c == '(') return Group(fold);
    if (c == '[') return Class(*fold);
    if (c == '\\') return Escape(*fold, item);
    if (c == '.') {
      ++i_;
      return Consuming(4, AllBytes());
    }
    if (c == '^' || c == '$') {
      ++i_;
      return Empty();
    }
    if (std::strchr("*+?{", c) != nullptr) {
      Fail();
      return Consuming(kUnboundedWidth, AllBytes());
    }
    const size_t n = Utf8Length(c);
    if (i_ + n > p_.size()) {
      Fail();
      return Consuming(kUnboundedWidth, AllBytes());
    }
    std::string ch(p_.substr(i_, n));
    i_ += n;
    return Literal(std::move(ch), *fold, item);
  }

  Shape Literal(std::string ch, bool fold, PatternItem* item) {
    const auto b = static_cast<unsigned char>(ch[0]);
    if (fold && IsAsciiLetter(b)) {
      ch[0] = static_cast<char>(b | 0x20);
      item->literal = ch;
      item->fold = true;
      return Consuming(ch[0] == 'k' ? 3 : ch[0] == 's' ? 2 : 1, Single(b, true));
    }
    if (fold && b >= 0x80 && !IsCaselessAtom(ch))
      return Consuming(4, AllBytes());  // folds to who knows what (U+212A to 'k')
    item->literal = ch;
    return Consuming(ch.size(), Single(b, false));
  }

  Shape Group(bool* fold) {
    ++i_;  // '('
    bool inner = *fold;
    if (At("?")) {
      ++i_;
      if (At("P<")) {
        const size_t close = p_.find('>', i_);
        if (close == std::string_view::npos) return Failed();
        i_ = close + 1;
      } else {
        bool negate = false;
        for (; i_ < p_.size() && p_[i_] != ')' && p_[i_] != ':'; ++i_) {
          const char f = p_[i_];
          if (f == '-') negate = true;
          else if (f == 'i') inner = !negate;
          else if (f != 'm' && f != 's' && f != 'U') return Failed();
        }
        if (i_ >= p_.size()) return Failed();
        if (p_[i_] == ')') {  // (?flags): applies to the rest of the enclosing group
          ++i_;
          *fold = inner;
          return Empty();
        }
        ++i_;  // ':'
      }
    }
    const Shape shape = Alternation(&inner);
    if (i_ >= p_.size() || p_[i_] != ')') return Failed();
    ++i_;
    return shape;
  }

  // A character class. Its first bytes are exact for ASCII members (single
  // characters, ranges, \d \s \w, escaped punctuation); anything else makes
  // them "every byte", and then a negated class cannot be complemented
  // either, so it is "every byte" too.
  Shape Class(bool fold) {
    ++i_;  // '['
    bool negated = false, wide = false, letters = false, exact = true;
    ByteSet members;
    if (At("^")) {
      negated = wide = true;
      ++i_;
    }
    bool first = true;
    int previous = -1;  // the last single ASCII member, for ranges
    while (i_ < p_.size() && (p_[i_] != ']' || first)) {
      first = false;
      const auto c = static_cast<unsigned char>(p_[i_]);
      int single = -1;
      if (At("[:")) {
        const size_t close = p_.find(":]", i_);
        if (close == std::string_view::npos) return Failed();
        letters = true;
        exact = false;
        i_ = close + 2;
      } else if (c == '\\') {
        if (i_ + 1 >= p_.size()) return Failed();
        const auto e = static_cast<unsigned char>(p_[i_ + 1]);
        if (std::strchr("DWSpPxC", e) != nullptr) wide = true;
        if (e == 'w' || std::isalpha(e)) letters = true;
        if (e == 'p' || e == 'P' || e == 'x') {
          exact = false;
          if (i_ + 2 < p_.size() && p_[i_ + 2] == '{') {
            const size_t close = p_.find('}', i_);
            if (close == std::string_view::npos) return Failed();
            i_ = close + 1;
            continue;
          }
          i_ += e == 'x' ? 4 : 3;
          continue;
        }
        i_ += 2;
        if (e == 'd') members |= Digits();
        else if (e == 's') members |= Spaces();
        else if (e == 'w') members |= WordBytes();
        else if (e == 'n') single = '\n';
        else if (e == 't') single = '\t';
        else if (e == 'r') single = '\r';
        else if (e == 'f') single = '\f';
        else if (e == 'v') single = '\v';
        else if (e < 0x80 && !std::isalnum(e)) single = e;  // escaped punctuation
        else exact = false;
      } else if (c == '-' && previous >= 0 && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        // A range previous-last. Its end must be a plain ASCII character here.
        const auto last = static_cast<unsigned char>(p_[i_ + 1]);
        if (last >= 0x80 || last == '\\' || last == '[' || last < previous) {
          exact = false;
          if (last >= 0x80) wide = true;
          letters = true;
          ++i_;
        } else {
          for (int k = previous; k <= last; ++k) members.set(static_cast<size_t>(k));
          letters = true;  // for the width: a range may span letters
          i_ += 2;
        }
        previous = -1;
        continue;
      } else {
        if (c >= 0x80) {
          wide = true;
          exact = false;
        }
        if (IsAsciiLetter(c)) letters = true;
        if (c < 0x80) single = c;
        i_ += Utf8Length(c);
      }
      if (single >= 0) members.set(static_cast<size_t>(single));
      previous = single;
    }
    if (i_ >= p_.size()) return Failed();
    ++i_;  // ']'
    const size_t width = wide || (fold && letters) ? 4 : 1;
    if (!exact) return Consuming(width, AllBytes());
    if (fold) members = Folded(members);
    if (!negated) return Consuming(width, members);
    ByteSet complement;
    for (size_t b = 0; b < 0x80; ++b) complement.set(b, !members.test(b));
    return Consuming(width, complement | NonAsciiBytes());
  }

  Shape Escape(bool fold, PatternItem* item) {
    if (i_ + 1 >= p_.size()) return Failed();
    const auto e = static_cast<unsigned char>(p_[i_ + 1]);
    i_ += 2;
    switch (e) {
      case 'b': case 'B': case 'A': case 'z': return Empty();
      case 'd': return Consuming(1, Digits());
      case 's': return Consuming(1, Spaces());
      case 'w': return fold ? Consuming(4, Folded(WordBytes())) : Consuming(1, WordBytes());
      case 'D': case 'W': case 'S': return Consuming(4, AllBytes());
      case 'n': return Consuming(1, Single('\n', false));
      case 't': return Consuming(1, Single('\t', false));
      case 'r': return Consuming(1, Single('\r', false));
      case 'f': return Consuming(1, Single('\f', false));
      case 'v': return Consuming(1, Single('\v', false));
      case 'a': return Consuming(1, Single('\a', false));
      case 'C': return Consuming(1, AllBytes());
      case 'p': case 'P':
        if (i_ < p_.size() && p_[i_] == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string_view::npos) return Failed();
          i_ = close + 1;
        } else {
          ++i_;
        }
        return Consuming(4, AllBytes());
      case 'x':
        if (i_ < p_.size() && p_[i_] == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string_view::npos) return Failed();
          i_ = close + 1;
        } else {
          i_ += 2;
        }
        return Consuming(4, AllBytes());
      default:
        if (e >= 0x80 || std::isalnum(e)) return Failed();  // \Q, \1, \pN forms we do not know
        return Literal(std::string(1, static_cast<char>(e)), fold, item);
    }
  }

  void Fail() { failed_ = true; }  // Item() then makes the shape "anything"
  Shape Failed() {
    failed_ = true;
    return Consuming(kUnboundedWidth, AllBytes());
  }

  std::string_view p_;
  size_t i_ = 0;
  bool failed_ = false;
};

}  // namespace

LengthSet SumOfLengths(LengthSet x, LengthSet y) {
  LengthSet sum = 0;  // lengths of 64 or more are dropped
  for (int a = 0; a < 64; ++a)
    if (x & (LengthSet{1} << a)) sum |= y << a;
  return sum;
}

std::optional<std::vector<PatternItem>> TopLevelItems(std::string_view pattern) {
  return WidthParser(pattern).Items();
}

size_t MaxMatchBytes(std::string_view pattern) { return WidthParser(pattern).Whole().width; }

ByteSet FirstBytes(std::string_view pattern) { return BytesByOffset(pattern)[0]; }

BytesAt BytesByOffset(std::string_view pattern) { return WidthParser(pattern).Whole().at; }

PatternEnds EndsOf(std::string_view pattern) {
  const Shape shape = WidthParser(pattern).Whole();
  return PatternEnds{shape.nullable, shape.at[0], shape.last};
}

SequenceShape ShapeOfSequence(const std::vector<PatternItem>& items, size_t begin, size_t end) {
  SequenceShape shape;
  for (size_t i = begin; i < end && i < items.size(); ++i)
    Append(&shape.lengths, &shape.bytes_at, items[i].lengths, items[i].bytes_at);
  return shape;
}

}  // namespace errpulse
