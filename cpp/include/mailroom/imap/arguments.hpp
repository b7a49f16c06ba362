// Reading the arguments of one IMAP command (RFC 9051 §9, the formal syntax)
// from its text as the session assembled it: the lines of the command joined
// by CRLF, each literal "{n}" / "{n+}" / "~{n}" followed by CRLF and its n
// octets. Every reader throws SyntaxError for what the grammar does not
// allow; the session answers BAD with its message.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/text.hpp"

namespace mailroom::imap {

class SyntaxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A sequence set (RFC 9051 §9 sequence-set): ranges as written; 0 stands for
// '*' (the largest number in use). `saved` is "$" (RFC 5182 SEARCHRES).
struct SequenceRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
};
struct SequenceSet {
  std::vector<SequenceRange> ranges;
  bool saved = false;
};

// Whether `c` may appear in an atom (ATOM-CHAR: CHAR except "(){ %*\"\\]"
// and controls).
bool is_atom_char(char c);

class Arguments {
 public:
  // `utf8`: 8-bit UTF-8 allowed in quoted strings (RFC 6855 UTF8=ACCEPT).
  explicit Arguments(std::string_view text, bool utf8 = false) : s_(text), utf8_(utf8) {}

  bool at_end() const { return i_ >= s_.size(); }
  std::size_t position() const { return i_; }
  // Throws unless every argument was read.
  void end() const;
  void sp();  // exactly one SP
  bool try_sp();
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool take(char c);
  void expect(char c);
  // Case-insensitive keyword when it comes next (and is not followed by more
  // atom characters).
  bool take_word(std::string_view word);

  std::string tag();
  std::string atom();
  // An atom that may hold ']' (ASTRING-CHAR), or a string.
  std::string astring();
  std::string string();  // quoted or literal
  std::optional<std::string> nstring();  // string or NIL
  // A LIST/LSUB pattern: list-char (atoms with '%', '*', ']') or a string.
  std::string list_mailbox();
  // "\Seen" / "$Label" / "\*" when `allow_star`.
  std::string flag(bool allow_star = false);
  // "(" [flag *(SP flag)] ")".
  std::vector<std::string> flag_list();
  SequenceSet sequence_set();
  std::uint32_t nz_number();
  std::uint64_t number64();
  // A literal8 "~{n}" (RFC 3516) or a literal; `binary` tells which it was.
  std::string append_data(bool& binary);
  // What is left (for error messages and SASL-IR).
  std::string_view rest() const { return s_.substr(i_ < s_.size() ? i_ : s_.size()); }
  // The raw text of the next run of non-SP, non-paren octets (date-time,
  // section specs). Empty when there is none.
  std::string_view word();
  // Fails with `what` at the current position.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string literal(bool binary);
  std::string quoted();
  std::uint32_t seq_number();

  std::string_view s_;
  std::size_t i_ = 0;
  bool utf8_;
};

// A set's ranges as numbers, '*' standing for `star`, each first <= last.
std::vector<SequenceRange> resolved_ranges(const SequenceSet& set, std::uint32_t star);

// "(" [word *(SP word)] ")", the parameter and option lists of the
// extensions (RFC 4466): each word, upper-cased, goes to `read`, which reads
// whatever belongs to it.
template <class Read>
void read_option_list(Arguments& a, Read read) {
  a.expect('(');
  bool first = true;
  while (!a.take(')')) {
    if (!first) a.sp();
    first = false;
    std::string word = a.atom();
    for (char& c : word) c = ascii_upper(c);
    read(word);
  }
}

}  // namespace mailroom::imap
