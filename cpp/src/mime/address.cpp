// parse_address_list: RFC 5322 §3.4 address lists with the obsolete forms of
// §4.4 (routes, CFWS around '@' and '.'), read leniently: one pass that
// tokenizes and then folds the tokens into mailboxes.
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"

namespace mailroom::mime {
namespace {

enum class Tok : unsigned char { atom, quoted, comment, special };

struct Token {
  Tok kind;
  char special = 0;
  std::string text;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_special(char c) {
  switch (c) {
    case '(': case ')': case '<': case '>': case ':': case ';': case '@':
    case ',': case '"': case '[':
      return true;
    default:
      return false;
  }
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '"') {
      Token t{Tok::quoted, 0, {}};
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        if (s[i] != '\r' && s[i] != '\n') t.text.push_back(s[i]);
        ++i;
      }
      ++i;
      out.push_back(std::move(t));
    } else if (c == '(') {
      Token t{Tok::comment, 0, {}};
      int level = 0;
      while (i < s.size()) {
        char x = s[i++];
        if (x == '\\' && i < s.size()) {
          t.text.push_back(s[i++]);
          continue;
        }
        if (x == '(') {
          if (level++ == 0) continue;
        } else if (x == ')') {
          if (--level == 0) break;
        }
        if (x != '\r' && x != '\n') t.text.push_back(x);
      }
      out.push_back(std::move(t));
    } else if (c == '[') {  // domain literal
      Token t{Tok::atom, 0, {}};
      while (i < s.size()) {
        char x = s[i++];
        if (!is_space(x)) t.text.push_back(x);
        if (x == ']') break;
      }
      out.push_back(std::move(t));
    } else if (is_special(c)) {
      out.push_back(Token{Tok::special, c, {}});
      ++i;
    } else {
      Token t{Tok::atom, 0, {}};
      while (i < s.size() && !is_space(s[i]) && !is_special(s[i])) t.text.push_back(s[i++]);
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool is_atext_or_dot(char c) {
  if (static_cast<unsigned char>(c) >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

void append_local(std::string& out, const Token& t) {
  bool plain = !t.text.empty();
  for (char c : t.text) plain = plain && is_atext_or_dot(c);
  if (plain && t.text.front() != '.' && t.text.back() != '.') {
    out += t.text;
    return;
  }
  out.push_back('"');
  for (char c : t.text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// Concatenates the tokens of an addr-spec, dropping comments.
std::string addr_spec(const std::vector<const Token*>& toks) {
  std::string out;
  for (const Token* t : toks) {
    if (t->kind == Tok::atom) out += t->text;
    else if (t->kind == Tok::quoted) append_local(out, *t);
    else if (t->kind == Tok::special && t->special == '@') out.push_back('@');
  }
  return out;
}

std::string phrase_text(const std::vector<const Token*>& toks) {
  std::string joined;
  for (const Token* t : toks) {
    if (t->kind != Tok::atom && t->kind != Tok::quoted) continue;
    if (!joined.empty()) joined.push_back(' ');
    joined += t->text;
  }
  return decode_header(joined);
}

}  // namespace

std::vector<Address> parse_address_list(std::string_view raw) {
  std::vector<Address> out;
  std::vector<Token> toks = tokenize(raw);
  std::vector<const Token*> phrase;
  std::vector<const Token*> angle;
  const Token* comment = nullptr;
  bool has_angle = false;
  std::string group;

  auto flush = [&] {
    Address a;
    if (has_angle) {
      a.address = addr_spec(angle);
      a.display_name = phrase_text(phrase);
      if (a.display_name.empty() && comment) a.display_name = decode_header(comment->text);
    } else {
      a.address = addr_spec(phrase);
      if (comment) a.display_name = decode_header(comment->text);
    }
    a.group = group;
    if (!a.address.empty()) out.push_back(std::move(a));
    phrase.clear();
    angle.clear();
    comment = nullptr;
    has_angle = false;
  };

  for (std::size_t i = 0; i < toks.size(); ++i) {
    const Token& t = toks[i];
    if (t.kind == Tok::comment) {
      if (!comment && !t.text.empty()) comment = &t;
      continue;
    }
    if (t.kind != Tok::special) {
      if (!has_angle) phrase.push_back(&t);
      continue;  // text after a closed angle address is ignored
    }
    switch (t.special) {
      case '<': {
        has_angle = true;
        angle.clear();
        std::size_t j = i + 1;
        // obsolete route: <@a,@b:x@y>
        if (j < toks.size() && toks[j].kind == Tok::special && toks[j].special == '@') {
          std::size_t k = j;
          while (k < toks.size() && !(toks[k].kind == Tok::special &&
                                      (toks[k].special == ':' || toks[k].special == '>')))
            ++k;
          if (k < toks.size() && toks[k].special == ':') j = k + 1;
        }
        for (; j < toks.size(); ++j) {
          if (toks[j].kind == Tok::special && toks[j].special == '>') break;
          angle.push_back(&toks[j]);
        }
        i = j;
        break;
      }
      case '@':
        if (!has_angle) phrase.push_back(&t);
        break;
      case ':':
        if (!has_angle) {
          group = phrase_text(phrase);
          phrase.clear();
          comment = nullptr;
        }
        break;
      case ';':
        flush();
        group.clear();
        break;
      case ',':
        flush();
        break;
      default:
        break;  // stray '>' and the like
    }
  }
  flush();
  return out;
}

}  // namespace mailroom::mime
