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

// Recursive descent over RE2's syntax, computing widths only.
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

  size_t Whole() {
    bool fold = false;
    const size_t w = Alternation(&fold);
    return failed_ || i_ != p_.size() ? kUnboundedWidth : w;
  }

 private:
  bool At(std::string_view s) const { return p_.substr(i_, s.size()) == s; }

  size_t Alternation(bool* fold) {
    size_t widest = Concatenation(fold);
    while (!failed_ && i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      const size_t w = Concatenation(fold);
      widest = w > widest ? w : widest;
    }
    return widest;
  }

  size_t Concatenation(bool* fold) {
    size_t sum = 0;
    while (!failed_ && i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')')
      sum = Add(sum, Item(fold).max_width);
    return sum;
  }

  PatternItem Item(bool* fold) {
    PatternItem item;
    size_t w = Atom(fold, &item);
    if (failed_ || i_ >= p_.size()) {
      item.max_width = w;
      return item;
    }
    const char q = p_[i_];
    if (q == '?' || q == '*' || q == '+' || q == '{') {
      item.quantified = true;
      if (q == '?') {
        ++i_;
      } else if (q == '*' || q == '+') {
        ++i_;
        w = w == 0 ? 0 : kUnboundedWidth;
      } else {
        w = Repeat(w);
      }
      if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy
    }
    item.max_width = w;
    return item;
  }

  // {n}, {n,} or {n,m} at i_.
  size_t Repeat(size_t w) {
    const size_t close = p_.find('}', i_);
    if (close == std::string_view::npos) return Fail();
    const std::string_view body = p_.substr(i_ + 1, close - i_ - 1);
    i_ = close + 1;
    const size_t comma = body.find(',');
    if (comma == 0 || body.empty()) return Fail();  // RE2 reads "{,n}" as literal text
    const std::string_view max = comma == std::string_view::npos ? body : body.substr(comma + 1);
    if (max.empty()) return comma == std::string_view::npos ? Fail() : (w == 0 ? 0 : kUnboundedWidth);
    size_t n = 0;
    for (char c : max) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || n > 100000) return Fail();
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    return Times(w, n);
  }

  size_t Atom(bool* fold, PatternItem* item) {
    const auto c = static_cast<unsigned char>(p_[i_]);
    if (c == '(') return Group(fold);
    if (c == '[') return Class(*fold);
    if (c == '\\') return Escape(*fold, item);
    if (c == '.') {
      ++i_;
      return 4;
    }
    if (c == '^' || c == '$') {
      ++i_;
      return 0;
    }
    if (std::strchr("*+?{", c) != nullptr) return Fail();
    const size_t n = Utf8Length(c);
    if (i_ + n > p_.size()) return Fail();
    std::string ch(p_.substr(i_, n));
    i_ += n;
    return Literal(std::move(ch), *fold, item);
  }

  size_t Literal(std::string ch, bool fold, PatternItem* item) {
    const auto b = static_cast<unsigned char>(ch[0]);
    if (fold && IsAsciiLetter(b)) {
      ch[0] = static_cast<char>(b | 0x20);
      item->literal = ch;
      item->fold = true;
      return ch[0] == 'k' ? 3 : ch[0] == 's' ? 2 : 1;
    }
    if (fold && b >= 0x80 && !IsCaselessAtom(ch)) return 4;  // folds to who knows what
    item->literal = ch;
    return ch.size();
  }

  size_t Group(bool* fold) {
    ++i_;  // '('
    bool inner = *fold;
    if (At("?")) {
      ++i_;
      if (At("P<")) {
        const size_t close = p_.find('>', i_);
        if (close == std::string_view::npos) return Fail();
        i_ = close + 1;
      } else {
        bool negate = false;
        for (; i_ < p_.size() && p_[i_] != ')' && p_[i_] != ':'; ++i_) {
          const char f = p_[i_];
          if (f == '-') negate = true;
          else if (f == 'i') inner = !negate;
          else if (f != 'm' && f != 's' && f != 'U') return Fail();
        }
        if (i_ >= p_.size()) return Fail();
        if (p_[i_] == ')') {  // (?flags): applies to the rest of the enclosing group
          ++i_;
          *fold = inner;
          return 0;
        }
        ++i_;  // ':'
      }
    }
    const size_t w = Alternation(&inner);
    if (i_ >= p_.size() || p_[i_] != ')') return Fail();
    ++i_;
    return w;
  }

  size_t Class(bool fold) {
    ++i_;  // '['
    bool wide = false, letters = false;
    if (At("^")) {
      wide = true;
      ++i_;
    }
    bool first = true;
    while (i_ < p_.size() && (p_[i_] != ']' || first)) {
      first = false;
      const auto c = static_cast<unsigned char>(p_[i_]);
      if (At("[:")) {
        const size_t close = p_.find(":]", i_);
        if (close == std::string_view::npos) return Fail();
        letters = true;
        i_ = close + 2;
      } else if (c == '\\') {
        if (i_ + 1 >= p_.size()) return Fail();
        const char e = p_[i_ + 1];
        if (std::strchr("DWSpPxC", e) != nullptr) wide = true;
        if (e == 'w' || std::isalpha(static_cast<unsigned char>(e))) letters = true;
        if (e == 'p' || e == 'P' || e == 'x') {
          if (i_ + 2 < p_.size() && p_[i_ + 2] == '{') {
            const size_t close = p_.find('}', i_);
            if (close == std::string_view::npos) return Fail();
            i_ = close + 1;
            continue;
          }
          i_ += e == 'x' ? 4 : 3;
          continue;
        }
        i_ += 2;
      } else {
        if (c >= 0x80) wide = true;
        if (IsAsciiLetter(c) || c == '-') letters = true;  // a range may span letters
        i_ += Utf8Length(c);
      }
    }
    if (i_ >= p_.size()) return Fail();
    ++i_;  // ']'
    return wide || (fold && letters) ? 4 : 1;
  }

  size_t Escape(bool fold, PatternItem* item) {
    if (i_ + 1 >= p_.size()) return Fail();
    const auto e = static_cast<unsigned char>(p_[i_ + 1]);
    i_ += 2;
    switch (e) {
      case 'b': case 'B': case 'A': case 'z': return 0;
      case 'd': case 's': return 1;
      case 'w': return fold ? 4 : 1;
      case 'D': case 'W': case 'S': return 4;
      case 'n': case 't': case 'r': case 'f': case 'v': case 'a': case 'C': return 1;
      case 'p': case 'P':
        if (i_ < p_.size() && p_[i_] == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string_view::npos) return Fail();
          i_ = close + 1;
        } else {
          ++i_;
        }
        return 4;
      case 'x':
        if (i_ < p_.size() && p_[i_] == '{') {
          const size_t close = p_.find('}', i_);
          if (close == std::string_view::npos) return Fail();
          i_ = close + 1;
        } else {
          i_ += 2;
        }
        return 4;
      default:
        if (e >= 0x80 || std::isalnum(e)) return Fail();  // \Q, \1, \pN forms we do not know
        return Literal(std::string(1, static_cast<char>(e)), fold, item);
    }
  }

  size_t Fail() {
    failed_ = true;
    return kUnboundedWidth;
  }

  std::string_view p_;
  size_t i_ = 0;
  bool failed_ = false;
};

}  // namespace

std::optional<std::vector<PatternItem>> TopLevelItems(std::string_view pattern) {
  return WidthParser(pattern).Items();
}

size_t MaxMatchBytes(std::string_view pattern) { return WidthParser(pattern).Whole(); }

}  // namespace errpulse
