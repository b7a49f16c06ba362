#include "links_and_codes.hpp"

#include <algorithm>
#include <cctype>

#include "mailroom/text.hpp"
#include "message_view.hpp"

namespace mailroom::http {

namespace {

void add_once(std::vector<std::string>& list, std::string item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(std::move(item));
}

// RFC 3986 characters a URL in running text is made of; what ends a
// sentence around it (".", ",", ")") is trimmed afterwards.
bool url_char(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return c != '<' && c != '>' && c != '"' && c != '\'' && c != '`' && c != '{' && c != '}' &&
         c != '|' && c != '\\' && c != '^';
}

std::size_t url_end(std::string_view s, std::size_t start) {
  std::size_t end = start;
  while (end < s.size() && url_char(s[end])) ++end;
  while (end > start && std::string_view(".,;:!?)]").find(s[end - 1]) != std::string_view::npos)
    --end;
  return end;
}

// Character references a URL in an attribute may hold (&amp; above all).
std::string unescape_attribute(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '&') {
      for (auto [ref, ch] : {std::pair{"&amp;", '&'}, {"&#38;", '&'}, {"&quot;", '"'},
                             {"&lt;", '<'}, {"&gt;", '>'}, {"&#61;", '='}}) {
        if (v.substr(i, std::char_traits<char>::length(ref)) == ref) {
          out.push_back(ch);
          i += std::char_traits<char>::length(ref) - 1;
          goto next;
        }
      }
    }
    out.push_back(v[i]);
  next:;
  }
  return out;
}

bool is_web_url(std::string_view u) { return istarts_with(u, "http://") || istarts_with(u, "https://"); }

void text_links(std::string_view text, std::vector<std::string>& out) {
  const std::string low = lowered(text);
  for (std::size_t at = 0; (at = low.find("http", at)) != std::string::npos;) {
    if (!is_web_url(std::string_view(low).substr(at)) || (at > 0 && url_char(low[at - 1]) &&
                                                          std::isalnum(static_cast<unsigned char>(low[at - 1])))) {
      at += 4;
      continue;
    }
    const std::size_t end = url_end(text, at);
    add_once(out, std::string(text.substr(at, end - at)));
    at = std::max(end, at + 4);
  }
}

}  // namespace

std::vector<std::string> links_in(std::string_view text, std::string_view html) {
  std::vector<std::string> out;
  text_links(text, out);
  const std::string low = lowered(html);
  for (std::size_t at = 0; (at = low.find("href", at)) != std::string::npos;) {
    std::size_t i = at + 4;
    while (i < low.size() && (low[i] == ' ' || low[i] == '\t' || low[i] == '\n' || low[i] == '\r')) ++i;
    if (i >= low.size() || low[i] != '=') {
      at = i;
      continue;
    }
    ++i;
    while (i < low.size() && (low[i] == ' ' || low[i] == '\t' || low[i] == '\n' || low[i] == '\r')) ++i;
    std::size_t end;
    if (i < low.size() && (low[i] == '"' || low[i] == '\'')) {
      const char q = low[i++];
      end = low.find(q, i);
      if (end == std::string::npos) end = low.size();
    } else {
      end = i;
      while (end < low.size() && low[end] != ' ' && low[end] != '>' && low[end] != '\t') ++end;
    }
    std::string url = unescape_attribute(trim(html.substr(i, end - i)));
    if (is_web_url(url)) add_once(out, std::move(url));
    at = end;
  }
  // URLs written as text in the HTML, not as links (HTML-only mail above all).
  if (!html.empty()) text_links(code_reading_text(html), out);
  return out;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Elements whose text runs on in the line (HTML 5 §3.2.5.2.5 phrasing
// content): "Code <b>987</b>654" reads "Code 987654".
bool inline_element(std::string_view name) {
  static constexpr std::string_view kInline[] = {
      "a",    "abbr", "b",      "bdi",  "bdo", "big",  "cite", "code", "data", "del",
      "dfn",  "em",   "font",   "i",    "ins", "kbd",  "label", "mark", "q",   "s",
      "samp", "small", "span",  "strike", "strong", "sub", "sup", "time", "tt", "u",
      "var",  "wbr",  "nobr"};
  return std::find(std::begin(kInline), std::end(kInline), name) != std::end(kInline);
}

constexpr char kCell = '\x1f';  // a table cell's edge, until cells are looked at

// Table cells each holding one digit ("<td>4</td><td>8</td>...", boxes of a
// code) read as one number; other cells are separate lines.
std::string join_digit_cells(const std::string& text) {
  std::vector<std::string_view> cells;
  std::string_view rest = text;
  for (std::size_t at; (at = rest.find(kCell)) != std::string_view::npos;) {
    cells.push_back(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  cells.push_back(rest);
  auto blank = [](std::string_view c) {
    return std::all_of(c.begin(), c.end(), [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; });
  };
  auto digit_of = [](std::string_view c) -> char {
    c = trim(c);
    while (!c.empty() && (c.front() == '\n' || c.front() == '\r')) c.remove_prefix(1);
    while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.remove_suffix(1);
    c = trim(c);
    return c.size() == 1 && is_digit(c[0]) ? c[0] : 0;
  };
  std::string out;
  for (std::size_t i = 0; i < cells.size();) {
    std::string digits;
    std::size_t j = i;
    for (; j < cells.size(); ++j) {
      if (blank(cells[j])) continue;
      const char d = digit_of(cells[j]);
      if (!d) break;
      digits.push_back(d);
    }
    if (digits.size() >= 4) {
      out.append("\n").append(digits).append("\n");
      i = j;
      continue;
    }
    out.append(cells[i]).push_back('\n');
    ++i;
  }
  return out;
}

// Words a one-time code stands next to, lower-cased, in a few languages.
constexpr std::string_view kCodeWords[] = {
    "code",     "passcode", "password", "verification", "verify", "one-time", "one time",
    "otp",      "pin",      "token",    "código",       "codigo", "vérification", "clave",
    "codice",   "kod",      "passwort", "contraseña",   "tan"};

bool word_edge(std::string_view s, std::size_t at) { return at >= s.size() || !is_alnum(s[at]); }

// Whether a code word is in the text just before `at` (back to another
// number), or after `end` in the same sentence ("123456 is your code").
bool near_code_word(std::string_view low, std::size_t at, std::size_t end) {
  std::size_t from = at > 60 ? at - 60 : 0;
  for (std::size_t k = from; k < at; ++k)
    if (is_digit(low[k])) from = k + 1;
  std::size_t to = end;
  while (to < low.size() && to < end + 30 && low[to] != '.' && low[to] != '\n' && !is_digit(low[to]))
    ++to;
  for (std::string_view around : {low.substr(from, at - from), low.substr(end, to - end)}) {
    for (std::string_view w : kCodeWords) {
      for (std::size_t k = 0; (k = around.find(w, k)) != std::string_view::npos; ++k) {
        // Short words only as words ("pin", not "shopping"); longer ones
        // anywhere ("Bestätigungscode").
        if (w.size() > 3 ||
            ((k == 0 || !is_alnum(around[k - 1])) && word_edge(around, k + w.size())))
          return true;
      }
    }
  }
  return false;
}

bool year_like(std::string_view n) {
  return n.size() == 4 && (n.substr(0, 2) == "19" || n.substr(0, 2) == "20");
}

// A year of a date or a copyright line: a month's name next to it ("1 Dec
// 2026", "December 2026", "2026 Dec"), or ©/(c)/copyright before it.
bool in_date(std::string_view low, std::size_t at, std::size_t end) {
  static constexpr std::string_view kMonths[] = {
      "jan", "feb", "fév", "mar", "apr", "avr", "abr", "may", "mai", "jun", "jui", "jul",
      "aug", "aoû", "ago", "sep", "oct", "okt", "nov", "dec", "déc", "dez", "dic", "ene"};
  auto word_before = [&](std::size_t i) {
    while (i > 0 && !is_alnum(low[i - 1]) && static_cast<unsigned char>(low[i - 1]) < 0x80) --i;
    std::size_t b = i;
    while (b > 0 && (is_alnum(low[b - 1]) || static_cast<unsigned char>(low[b - 1]) >= 0x80)) --b;
    return low.substr(b, i - b);
  };
  auto word_after = [&](std::size_t i) {
    while (i < low.size() && !is_alnum(low[i]) && static_cast<unsigned char>(low[i]) < 0x80) ++i;
    std::size_t e = i;
    while (e < low.size() && (is_alnum(low[e]) || static_cast<unsigned char>(low[e]) >= 0x80)) ++e;
    return low.substr(i, e - i);
  };
  for (std::string_view w : {word_before(at), word_after(end)})
    for (std::string_view m : kMonths)
      if (w.size() >= m.size() && w.substr(0, m.size()) == m) return true;
  const std::string_view before = low.substr(at > 16 ? at - 16 : 0, at > 16 ? 16 : at);
  return before.find("\xc2\xa9") != std::string_view::npos ||
         before.find("(c)") != std::string_view::npos ||
         before.find("copyright") != std::string_view::npos;
}

}  // namespace

std::string code_reading_text(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size();) {
    if (html[i] != '<') {
      const std::size_t next = std::min(html.find('<', i), html.size());
      out += mime::decode_html_entities(html.substr(i, next - i));
      i = next;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      const std::size_t close = html.find("-->", i + 4);
      i = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    const std::size_t close = html.find('>', i);
    if (close == std::string_view::npos) break;
    std::size_t n = i + 1;
    const bool closing = n < html.size() && html[n] == '/';
    if (closing) ++n;
    std::size_t name_end = n;
    while (name_end < close && is_alnum(html[name_end])) ++name_end;
    const std::string name = lowered(html.substr(n, name_end - n));
    i = close + 1;
    if (!closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
      const std::size_t end = ifind(html, "</" + name, i);
      i = end == std::string_view::npos ? html.size() : end;
      continue;
    }
    if (name.empty() || inline_element(name)) continue;
    out.push_back(name == "td" || name == "th" ? kCell : '\n');
  }
  return join_digit_cells(out);
}

std::vector<std::string> codes_in(std::string_view text) {
  struct Candidate {
    std::string code;
    bool named = false;  // next to a code word
    bool year = false;
    bool dated = false;
  };
  std::vector<Candidate> found;
  const std::string low = lowered(text);
  std::size_t i = 0;
  while (i < text.size()) {
    // Skip URLs: their digits are no codes.
    if (is_web_url(text.substr(i))) {
      i = std::max(url_end(text, i), i + 1);
      continue;
    }
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    auto word_char = [](char c) {
      return is_alnum(c) || c == '_' || c == '/' || c == '@' || c == '-' || c == '.' || c == ':' ||
             c == ',';
    };
    const bool before = i > 0 && word_char(text[i - 1]) &&
                        !(text[i - 1] == ':' || text[i - 1] == '-' || text[i - 1] == ',' ||
                          text[i - 1] == '.');
    // "123456." ends a sentence; "1.5" or "12:30" or "2026-12-01" is no code.
    const bool after = end < text.size() && word_char(text[end]) &&
                       !((text[end] == '.' || text[end] == ',' || text[end] == ':') &&
                         (end + 1 >= text.size() || !is_digit(text[end + 1])));
    const bool joined = (i > 0 && (text[i - 1] == '-' || text[i - 1] == '.' || text[i - 1] == ':' ||
                                   text[i - 1] == ',') &&
                         i > 1 && is_digit(text[i - 2]));
    const std::size_t n = end - i;
    if (n >= 4 && n <= 8 && !before && !after && !joined) {
      const std::string code(text.substr(i, n));
      if (std::none_of(found.begin(), found.end(), [&](const Candidate& c) { return c.code == code; }))
        found.push_back({code, near_code_word(low, i, end), year_like(code), in_date(low, i, end)});
    }
    i = end;
  }
  // A year stands alone only when nothing else could be the code (and it is
  // no date's or copyright line's).
  const bool others = std::any_of(found.begin(), found.end(), [](const Candidate& c) { return !c.year; });
  std::vector<std::string> named, rest;
  for (auto& c : found) {
    if (c.year && (c.dated || (others && !c.named))) continue;
    (c.named ? named : rest).push_back(std::move(c.code));
  }
  named.insert(named.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  return named;
}

std::vector<std::string> message_links(const mime::ParsedMessage& p) {
  return links_in(message_text(p), message_html(p));
}

std::vector<std::string> message_codes(const mime::ParsedMessage& p) {
  std::string text = message_subject(p);
  text.push_back('\n');
  text.append(message_text(p));
  const std::string html = message_html(p);
  if (!html.empty()) {
    text.push_back('\n');
    text.append(code_reading_text(html));
  }
  return codes_in(text);
}

}  // namespace mailroom::http
