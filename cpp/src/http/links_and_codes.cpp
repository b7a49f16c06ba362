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
  return out;
}

std::vector<std::string> codes_in(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    // Skip URLs: their digits are no codes.
    if (is_web_url(text.substr(i))) {
      i = std::max(url_end(text, i), i + 1);
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    auto word_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '@' ||
             c == '-' || c == '.' || c == ':' || c == ',';
    };
    const bool before = i > 0 && word_char(text[i - 1]) &&
                        !(text[i - 1] == ':' || text[i - 1] == '-' || text[i - 1] == ',' ||
                          text[i - 1] == '.');
    // "123456." ends a sentence; "1.5" or "12:30" or "2026-12-01" is no code.
    const bool after = end < text.size() && word_char(text[end]) &&
                       !((text[end] == '.' || text[end] == ',' || text[end] == ':') &&
                         (end + 1 >= text.size() ||
                          !std::isdigit(static_cast<unsigned char>(text[end + 1]))));
    const bool joined = (i > 0 && (text[i - 1] == '-' || text[i - 1] == '.' || text[i - 1] == ':' ||
                                   text[i - 1] == ',') &&
                         i > 1 && std::isdigit(static_cast<unsigned char>(text[i - 2])));
    const std::size_t n = end - i;
    if (n >= 4 && n <= 8 && !before && !after && !joined) add_once(out, std::string(text.substr(i, n)));
    i = end;
  }
  return out;
}

std::vector<std::string> message_links(const mime::ParsedMessage& p) {
  return links_in(message_text(p), message_html(p));
}

std::vector<std::string> message_codes(const mime::ParsedMessage& p) {
  std::string text = message_text(p);
  if (trim(text).empty()) text = html_to_text(message_html(p));
  return codes_in(message_subject(p) + "\n" + text);
}

}  // namespace mailroom::http
