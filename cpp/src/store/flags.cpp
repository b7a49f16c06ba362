#include "mailroom/store/flags.hpp"

#include <algorithm>
#include <stdexcept>

#include "mailroom/store/errors.hpp"
#include "mailroom/text.hpp"

namespace mailroom::store {

namespace {

struct SystemFlag {
  const char* name;
  std::uint8_t bit;
  char letter;
};
// Maildir letters: D draft, F flagged, R replied, S seen, T trashed (ASCII order).
constexpr SystemFlag kSystem[] = {
    {"\\Seen", kSeen, 'S'},       {"\\Answered", kAnswered, 'R'}, {"\\Flagged", kFlagged, 'F'},
    {"\\Deleted", kDeleted, 'T'}, {"\\Draft", kDraft, 'D'},
};

// RFC 9051 §9: atom-specials are "(" ")" "{" SP CTL list-wildcards
// quoted-specials resp-specials ("]").
bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

}  // namespace

bool has_keyword(const std::vector<std::string>& keywords, std::string_view k) {
  return std::any_of(keywords.begin(), keywords.end(),
                     [&](const std::string& x) { return iequals(x, k); });
}

void normalize_keywords(std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  for (auto& k : keywords)
    if (!has_keyword(out, k)) out.push_back(std::move(k));
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return lowered(a) < lowered(b);
  });
  keywords = std::move(out);
}

FlagSet parse_flags(const std::vector<std::string>& names) {
  FlagSet out;
  for (const auto& n : names) {
    if (!n.empty() && n[0] == '\\') {
      auto it = std::find_if(std::begin(kSystem), std::end(kSystem),
                             [&](const SystemFlag& f) { return iequals(f.name, n); });
      if (it == std::end(kSystem))
        throw InvalidFlag("not a system flag that can be stored: " + n +
                          " (\\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft)");
      out.system |= it->bit;
      continue;
    }
    if (n.empty() || n.size() > 255)
      throw InvalidFlag("a keyword has 1 to 255 characters: '" + n + "'");
    for (unsigned char c : n)
      if (!is_atom_char(c))
        throw InvalidFlag("a keyword is an IMAP atom (no space, control, non-ASCII or "
                          "\"(){%*\\\"]\"): '" + n + "'");
    out.keywords.push_back(n);
  }
  normalize_keywords(out.keywords);
  return out;
}

std::vector<std::string> flag_names(std::uint8_t system, const std::vector<std::string>& keywords) {
  std::vector<std::string> out;
  for (const auto& f : kSystem)
    if (system & f.bit) out.emplace_back(f.name);
  out.insert(out.end(), keywords.begin(), keywords.end());
  return out;
}

std::string maildir_letters(std::uint8_t system) {
  std::string out;
  for (char letter : {'D', 'F', 'R', 'S', 'T'})
    for (const auto& f : kSystem)
      if (f.letter == letter && (system & f.bit)) out.push_back(letter);
  return out;
}

std::uint8_t flags_from_letters(std::string_view info) {
  std::uint8_t out = 0;
  for (char c : info)
    for (const auto& f : kSystem)
      if (f.letter == c) out |= f.bit;
  return out;
}

std::vector<std::string> parse_keyword_file(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos; text.remove_prefix(nl + 1)) {
    const std::string_view line = text.substr(0, nl);
    const std::size_t sp = line.find(' ');
    std::uint64_t i = 0;
    if (sp == std::string_view::npos || sp > 2 || !parse_number(line.substr(0, sp), i) || i >= 26)
      continue;
    if (out.size() <= i) out.resize(i + 1);
    out[i] = line.substr(sp + 1);
  }
  return out;
}

std::vector<std::string> keywords_from_letters(std::string_view info,
                                               const std::vector<std::string>& table) {
  std::vector<std::string> out;
  for (char c : info) {
    if (c < 'a' || c > 'z') continue;
    const auto i = static_cast<std::size_t>(c - 'a');
    if (i < table.size() && !table[i].empty()) out.push_back(table[i]);
  }
  normalize_keywords(out);
  return out;
}

std::string maildir_info(std::uint8_t system, const std::vector<std::string>& keywords,
                         std::vector<std::string>& table, bool& added) {
  added = false;
  std::string info = maildir_letters(system);
  for (const auto& k : keywords) {
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const std::string& x) { return iequals(x, k); });
    std::size_t i;
    if (it != table.end()) {
      i = static_cast<std::size_t>(it - table.begin());
    } else {
      auto hole = std::find(table.begin(), table.end(), std::string());
      i = static_cast<std::size_t>(hole - table.begin());
      if (i >= 26) throw std::runtime_error("a Maildir folder has at most 26 keywords");
      if (hole == table.end())
        table.push_back(k);
      else
        *hole = k;
      added = true;
    }
    if (info.find(static_cast<char>('a' + i)) == std::string::npos)
      info.push_back(static_cast<char>('a' + i));
  }
  std::sort(info.begin(), info.end());  // the spec: info letters in ASCII order
  return info;
}

std::string keyword_file_text(const std::vector<std::string>& table) {
  std::string text;
  for (std::size_t i = 0; i < table.size(); ++i)
    if (!table[i].empty()) text += std::to_string(i) + " " + table[i] + "\n";
  return text;
}

}  // namespace mailroom::store
