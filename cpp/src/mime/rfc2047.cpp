// RFC 2047 encoded-words in headers: decoding (B and Q, adjacent words joined)
// and encoding with folding at 78 columns.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "byte_runs.hpp"
#include "header_fold.hpp"
#include "mailroom/mime/codecs.hpp"

namespace mailroom::mime {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr std::size_t kMaxWord = 75;  // RFC 2047 §2
constexpr std::string_view kPrefixB = "=?utf-8?B?";
constexpr std::string_view kPrefixQ = "=?utf-8?Q?";
constexpr std::size_t kOverhead = 12;  // "=?utf-8?B?" + "?="

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// ---- decoding ------------------------------------------------------------

struct EncodedWord {
  std::string_view charset;  // language suffix removed
  std::string_view text;     // the encoded payload
  bool base64 = false;       // B, else Q
  std::size_t length = 0;    // characters consumed from the input
};

// Appends the Q-decoded `text` (RFC 2047 §4.2) to `out`.
void q_decode(std::string_view text, std::string& out, bool& bad) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      if (c == '=') bad = true;
      out.push_back(c);
    }
  }
}

// Appends the payload of `w`, decoded, to `out` (still in the word's charset).
void append_payload(const EncodedWord& w, std::string& out, bool& bad) {
  if (!w.base64) {
    q_decode(w.text, out, bad);
    return;
  }
  const std::size_t had = out.size();
  out.resize(had + base64_decoded_capacity(w.text.size()));
  CodecIssue issue;
  out.resize(had + base64_decode_to(w.text, out.data() + had, &issue));
  bad = bad || issue.bad;
}

// Parses "=?charset?X?text?=" at the start of `s`; nullopt-like (length 0) when
// it is not a well-formed encoded-word.
EncodedWord parse_encoded_word(std::string_view s) {
  EncodedWord w;
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return w;
  const std::size_t q1 = s.find('?', 2);
  if (q1 == std::string_view::npos || q1 == 2 || q1 + 3 > s.size() || s[q1 + 2] != '?')
    return w;
  std::string_view charset = s.substr(2, q1 - 2);
  for (char c : charset) {
    if (is_wsp(c) || c == '=' || static_cast<unsigned char>(c) < 0x21 ||
        static_cast<unsigned char>(c) > 0x7E)
      return w;
  }
  const char enc = s[q1 + 1];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') return w;
  const std::size_t text_start = q1 + 3;
  const std::size_t end = s.find("?=", text_start);
  if (end == std::string_view::npos) return w;
  const std::string_view text = s.substr(text_start, end - text_start);
  for (char c : text) {
    if (is_wsp(c)) return w;  // encoded-words contain no white space
  }
  if (const std::size_t star = charset.find('*'); star != std::string_view::npos)
    charset = charset.substr(0, star);  // RFC 2231 §5 language suffix
  w.charset = charset;
  w.text = text;
  w.base64 = enc == 'B' || enc == 'b';
  w.length = end + 2;
  return w;
}

// What a header value holds that decoding acts on: line ends (it is folded),
// '=' (it may hold an encoded-word) and 8-bit bytes (UTF-8 to check).
struct ValueMarks {
  bool line_end = false;
  bool equals = false;
  bool eight_bit = false;
};

// Sixteen bytes a step (GCC/Clang vector types: SSE2 or NEON), the last step
// overlapping the one before it; shorter values byte by byte.
ValueMarks marks_of(std::string_view v) {
  ValueMarks m;
  const char* d = v.data();
  const std::size_t n = v.size();
  if (n < 16) {
    for (char c : v) {
      m.line_end = m.line_end || c == '\r' || c == '\n';
      m.equals = m.equals || c == '=';
      m.eight_bit = m.eight_bit || static_cast<unsigned char>(c) >= 0x80;
    }
    return m;
  }
  using Bytes = unsigned char __attribute__((vector_size(16)));
  using Mask = decltype(std::declval<Bytes>() == std::declval<Bytes>());
  Mask ends{}, eq{}, high{};
  for (std::size_t j = 0;; j += 16) {
    if (j + 16 > n) j = n - 16;
    Bytes a;
    std::memcpy(&a, d + j, 16);
    ends |= (a == '\r') | (a == '\n');
    eq |= a == '=';
    high |= a >= 0x80;
    if (j + 16 == n) break;
  }
  auto any = [](const Mask& x) {
    std::uint64_t w[2];
    std::memcpy(w, &x, 16);
    return (w[0] | w[1]) != 0;
  };
  m.line_end = any(ends);
  m.equals = any(eq);
  m.eight_bit = any(high);
  return m;
}

// ---- encoding ------------------------------------------------------------

inline bool q_literal(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

inline std::size_t q_width(unsigned char c) { return (q_literal(c) || c == ' ') ? 1 : 3; }

void q_append(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c == ' ') {
      out.push_back('_');
    } else if (q_literal(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('=');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

// Length of the UTF-8 character starting at s[i] (1 for stray bytes).
std::size_t char_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (i + len > s.size()) len = s.size() - i;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return k;
  }
  return len;
}

std::size_t b_length(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

std::size_t q_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += q_width(c);
  return n;
}

// Lays out header text in lines of at most 78 columns.
class HeaderWriter {
 public:
  explicit HeaderWriter(std::size_t start_col) : col_(start_col) {}

  // Appends `word` after white space `ws`, folding before it when needed.
  void plain(std::string_view ws, std::string_view word) {
    if (out_.empty()) {
      out_.append(word);
      col_ += word.size();
      return;
    }
    if (ws.empty()) ws = " ";
    if (col_ + ws.size() + word.size() > detail::kMaxHeaderLine) {
      out_.append("\r\n");
      col_ = 0;
    }
    out_.append(ws);
    out_.append(word);
    col_ += ws.size() + word.size();
  }

  // Appends the UTF-8 `text` as encoded-words after white space `ws`.
  void encoded(std::string_view ws, std::string_view text) {
    const bool use_b = b_length(text.size()) < q_length(text);
    std::size_t i = 0;
    bool first = true;
    while (i < text.size()) {
      std::string_view sep = out_.empty() ? std::string_view{} : first ? ws : " ";
      if (!out_.empty() && sep.empty()) sep = " ";
      // Room for this word on the current line.
      std::size_t room = detail::kMaxHeaderLine > col_ + sep.size()
                             ? detail::kMaxHeaderLine - col_ - sep.size()
                             : 0;
      const std::size_t first_char = char_length(text, i);
      const std::size_t min_payload =
          use_b ? b_length(first_char) : q_length(text.substr(i, first_char));
      if (room < kOverhead + min_payload && !(out_.empty() && col_ == 0)) {
        out_.append("\r\n");
        col_ = 0;
        if (sep.empty()) sep = " ";
        room = detail::kMaxHeaderLine - sep.size();
      }
      const std::size_t payload = std::min(room, kMaxWord) - kOverhead;
      // Take whole characters while the word fits.
      std::size_t j = i, qlen = 0;
      while (j < text.size()) {
        const std::size_t len = char_length(text, j);
        const std::size_t next = use_b ? b_length(j + len - i)
                                       : qlen + q_length(text.substr(j, len));
        if (next > payload && j > i) break;
        if (!use_b) qlen = next;
        j += len;
      }
      const std::string_view chunk = text.substr(i, j - i);
      std::string word(use_b ? kPrefixB : kPrefixQ);
      if (use_b) {
        word += base64_encode(chunk, 0);
      } else {
        q_append(word, chunk);
      }
      word += "?=";
      out_.append(sep);
      out_.append(word);
      col_ += sep.size() + word.size();
      i = j;
      first = false;
    }
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::size_t col_;
};

bool needs_encoding(std::string_view word) {
  for (unsigned char c : word) {
    if (c >= 0x7F || (c < 0x20 && c != '\t')) return true;
  }
  // Text that a reader would take for an encoded-word must be encoded itself.
  const std::size_t at = word.find("=?");
  return at != std::string_view::npos && word.find("?=", at + 2) != std::string_view::npos;
}

struct Token {
  std::string_view ws, word;
  bool encode = false;
};

std::vector<Token> split_words(std::string_view value) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t ws_start = i;
    while (i < value.size() && is_wsp(value[i])) ++i;
    const std::size_t word_start = i;
    while (i < value.size() && !is_wsp(value[i])) ++i;
    if (word_start == i) break;  // trailing white space
    tokens.push_back({value.substr(ws_start, word_start - ws_start),
                      value.substr(word_start, i - word_start)});
  }
  return tokens;
}

}  // namespace

std::string decode_header(std::string_view raw_value, bool* bad) {
  // Most values are one line of US-ASCII without an encoded-word: then the
  // value is its bytes, and one look at them says so.
  const ValueMarks marks = marks_of(raw_value);
  if (!marks.line_end && !marks.equals && !marks.eight_bit) {
    if (bad != nullptr) *bad = false;
    return std::string(raw_value);
  }
  // Unfold (RFC 5322 §2.2.3): line ends go, the white space after them stays.
  // A one-line value is read in place.
  std::string unfolded;
  std::string_view s = raw_value;
  if (marks.line_end) {
    unfolded.resize(raw_value.size());
    char* o = unfolded.data();
    const char* in = raw_value.data();
    const std::size_t n = raw_value.size();
    for (std::size_t i = 0; i < n;) {
      // What is left to read fits where it goes: unfolding only drops bytes.
      const std::size_t run = byte_runs::copy_until<'\r', '\n'>(in + i, n - i, o);
      o += run;
      i += run;
      while (i < n && (in[i] == '\r' || in[i] == '\n')) ++i;
    }
    unfolded.resize(static_cast<std::size_t>(o - unfolded.data()));
    s = unfolded;
  }

  std::string out;
  bool any_bad = false;
  std::size_t at = marks.equals ? s.find("=?") : std::string_view::npos;
  if (at == std::string_view::npos) {  // no encoded-word: the text as UTF-8
    if (!marks.eight_bit) {
      out.assign(s);
    } else {
      out.reserve(s.size());
      if (!append_sanitized_utf8(s, out)) any_bad = true;
    }
    if (bad != nullptr) *bad = any_bad;
    return out;
  }
  out.reserve(s.size());
  std::string pending_charset, pending_bytes;  // adjacent words in one charset
  bool have_pending = false;
  bool pending_utf8 = false;      // reads_as_utf8(pending_charset)
  std::string_view last_label;    // the charset label of the last word, as written
  auto flush = [&] {
    if (!have_pending) return;
    bool word_bad = false;
    if (pending_utf8) {
      if (!append_sanitized_utf8(pending_bytes, out)) word_bad = true;
    } else {
      std::string text;
      if (!to_utf8(pending_bytes, pending_charset, text, &word_bad)) word_bad = true;
      out += text;
    }
    any_bad = any_bad || word_bad;
    pending_bytes.clear();
    have_pending = false;
  };
  auto literal = [&](std::string_view text) {
    if (!append_sanitized_utf8(text, out)) any_bad = true;
  };

  std::size_t literal_start = 0;
  bool after_word = false;  // only white space since the last encoded-word
  for (; at != std::string_view::npos; at = s.find("=?", at)) {
    EncodedWord w = parse_encoded_word(s.substr(at));
    if (w.length == 0) {
      at += 1;
      continue;
    }
    const std::string_view between = s.substr(literal_start, at - literal_start);
    bool only_ws = true;
    for (char c : between) only_ws = only_ws && is_wsp(c);
    if (!(after_word && only_ws)) {
      flush();
      literal(between);
    }
    // Same charset as the previous adjacent word: join the bytes first, so a
    // character split across words still decodes. (A label written as the
    // last one was needs no new lookup.)
    if (w.charset != last_label || pending_charset.empty()) {
      std::string cs = canonical_charset(w.charset);
      if (have_pending && cs != pending_charset) flush();
      if (cs != pending_charset) pending_utf8 = reads_as_utf8(cs);
      pending_charset = std::move(cs);
      last_label = w.charset;
    }
    append_payload(w, pending_bytes, any_bad);
    have_pending = true;
    at += w.length;
    literal_start = at;
    after_word = true;
  }
  flush();
  literal(s.substr(literal_start));
  if (bad != nullptr) *bad = any_bad;
  return out;
}

std::string encode_header(std::string_view utf8_value, std::size_t name_len) {
  std::vector<Token> tokens = split_words(utf8_value);
  const std::size_t start_col = name_len == 0 ? 0 : name_len + 2;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    Token& t = tokens[k];
    const std::size_t room = k == 0 ? detail::kMaxHeaderLine - std::min(start_col, std::size_t{60})
                                    : detail::kMaxHeaderLine - std::max<std::size_t>(t.ws.size(), 1);
    t.encode = needs_encoding(t.word) || t.word.size() > room;
  }
  HeaderWriter w(start_col);
  for (std::size_t k = 0; k < tokens.size();) {
    if (!tokens[k].encode) {
      w.plain(tokens[k].ws, tokens[k].word);
      ++k;
      continue;
    }
    // A run of words to encode, with the white space between them inside it.
    std::size_t last = k;
    while (last + 1 < tokens.size() && tokens[last + 1].encode) ++last;
    const char* begin = tokens[k].word.data();
    const char* end = tokens[last].word.data() + tokens[last].word.size();
    w.encoded(tokens[k].ws, std::string_view(begin, static_cast<std::size_t>(end - begin)));
    k = last + 1;
  }
  return w.take();
}

std::string encode_phrase(std::string_view utf8_name) {
  bool ascii = true, atoms = true;
  for (unsigned char c : utf8_name) {
    if (c >= 0x7F || c < 0x20) {
      ascii = false;
      break;
    }
    const bool atext = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!atext && c != ' ') atoms = false;
  }
  if (ascii) {
    if (utf8_name.empty()) return {};
    const bool spaced_ok = utf8_name.front() != ' ' && utf8_name.back() != ' ' &&
                           utf8_name.find("  ") == std::string_view::npos &&
                           utf8_name.find("=?") == std::string_view::npos;
    if (atoms && spaced_ok) return std::string(utf8_name);
    std::string q = "\"";
    for (char c : utf8_name) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    q.push_back('"');
    return q;
  }
  // Encoded-words, one line; the caller folds between them.
  HeaderWriter w(0);
  w.encoded({}, utf8_name);
  std::string out = w.take();
  std::string joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r' && i + 1 < out.size() && out[i + 1] == '\n') {
      ++i;
      continue;
    }
    joined.push_back(out[i]);
  }
  return joined;
}

namespace detail {

std::string fold_at_spaces(std::string_view value, std::size_t name_len) {
  // Split at spaces outside quoted strings, then lay out the pieces.
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == ' ' && !quoted) {
      if (i > start) pieces.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < value.size()) pieces.push_back(value.substr(start));
  HeaderWriter w(name_len == 0 ? 0 : name_len + 2);
  for (std::string_view p : pieces) w.plain(" ", p);
  return w.take();
}

}  // namespace detail
}  // namespace mailroom::mime
