// The HTML sanitizer: mail's HTML tokenized tolerantly, kept only where an
// allow-list says so, and written anew. What is written is what is checked:
// the output never carries a byte the checks did not see.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/html.hpp"
#include "mailroom/text.hpp"
#include "mailroom/utf8.hpp"

namespace mailroom::mime {
namespace {

constexpr std::size_t kMaxAttributes = 64;  // of one tag; more are dropped

bool one_of(std::string_view s, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Elements written back (their allowed attributes below).
bool kept_element(std::string_view n) {
  return one_of(n, {"a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big",
                    "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup",
                    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
                    "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i",
                    "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "s",
                    "samp", "section", "small", "span", "strike", "strong", "style", "sub",
                    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
                    "tt", "u", "ul", "var", "wbr"});
}

// Elements dropped with everything inside them.
bool dropped_with_content(std::string_view n) {
  return one_of(n, {"script", "iframe", "frame", "frameset", "noframes", "object", "applet",
                    "embed", "svg", "math", "template", "title", "textarea", "select", "option",
                    "button", "noscript", "noembed", "xmp", "plaintext", "audio", "video",
                    "canvas", "map", "datalist"});
}

bool is_void(std::string_view n) {
  return one_of(n, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                    "param", "source", "track", "wbr", "keygen", "image", "basefont", "bgsound",
                    "frame"});
}

// Elements whose content the tokenizer takes as text up to their end tag
// (HTML 5 §13.2.5: RAWTEXT, RCDATA, script data, PLAINTEXT).
bool raw_text(std::string_view n) {
  return one_of(n, {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
                    "textarea", "title", "plaintext"});
}

bool kept_attribute(std::string_view element, std::string_view a) {
  if (one_of(a, {"class", "id", "title", "dir", "lang", "align", "valign", "width", "height",
                 "style", "bgcolor", "color", "border"}))
    return true;
  if (element == "a") return one_of(a, {"href", "name"});
  if (element == "img") return one_of(a, {"src", "alt", "hspace", "vspace"});
  if (element == "font") return one_of(a, {"face", "size"});
  if (element == "blockquote" || element == "q" || element == "del" || element == "ins")
    return one_of(a, {"cite", "datetime"});
  if (element == "ol") return one_of(a, {"start", "type", "reversed"});
  if (element == "li") return one_of(a, {"type", "value"});
  if (element == "table")
    return one_of(a, {"cellpadding", "cellspacing", "summary", "background", "frame", "rules"});
  if (element == "td" || element == "th")
    return one_of(a, {"colspan", "rowspan", "nowrap", "scope", "headers", "abbr", "background"});
  if (element == "col" || element == "colgroup") return a == "span";
  if (element == "time") return a == "datetime";
  if (element == "hr") return one_of(a, {"noshade", "size"});
  if (element == "details") return a == "open";
  if (element == "pre") return a == "wrap";
  return false;
}

// -- entities (HTML 5 §13.2.5.72): numeric ones and those used to hide URLs --
struct NamedEntity {
  std::string_view name;
  char32_t code;
};
constexpr std::array<NamedEntity, 18> kEntities{{{"amp", '&'},      {"lt", '<'},
                                                 {"gt", '>'},       {"quot", '"'},
                                                 {"apos", '\''},    {"nbsp", 0xA0},
                                                 {"Tab", '\t'},     {"NewLine", '\n'},
                                                 {"colon", ':'},    {"sol", '/'},
                                                 {"bsol", '\\'},    {"lpar", '('},
                                                 {"rpar", ')'},     {"semi", ';'},
                                                 {"comma", ','},    {"period", '.'},
                                                 {"num", '#'},      {"excl", '!'}}};

// A character reference's or CSS escape's code point as UTF-8; U+FFFD for
// NUL, surrogates and values past U+10FFFF (HTML 5 §13.2.5.80).
void append_code_point(std::string& out, char32_t c) {
  if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
  append_utf8(out, c);
}

// Character references decoded; an unknown one kept as written.
std::string decode_entities(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    if (in[i] != '&') {
      out.push_back(in[i++]);
      continue;
    }
    std::size_t j = i + 1;
    if (j < in.size() && in[j] == '#') {
      ++j;
      const bool hex = j < in.size() && (in[j] == 'x' || in[j] == 'X');
      if (hex) ++j;
      std::uint32_t code = 0;
      const std::size_t digits = j;
      while (j < in.size()) {
        const char c = in[j];
        int d = c >= '0' && c <= '9' ? c - '0'
                : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                              : -1;
        if (d < 0) break;
        code = std::min<std::uint32_t>(code * (hex ? 16 : 10) + static_cast<std::uint32_t>(d),
                                       0x110000);
        ++j;
      }
      if (j == digits) {
        out.push_back(in[i++]);
        continue;
      }
      if (j < in.size() && in[j] == ';') ++j;
      append_code_point(out, code);
      i = j;
      continue;
    }
    bool found = false;
    for (const NamedEntity& e : kEntities) {
      if (in.substr(j, e.name.size()) == e.name) {
        j += e.name.size();
        if (j < in.size() && in[j] == ';') ++j;
        append_code_point(out, e.code);
        i = j;
        found = true;
        break;
      }
    }
    if (!found) out.push_back(in[i++]);
  }
  return out;
}

// Text for an attribute value between double quotes (NUL as U+FFFD).
void append_attribute_value(std::string& out, std::string_view v) {
  if (v.find('\0') == std::string_view::npos) {
    out += html_escape(v);
    return;
  }
  std::string text(v);
  for (std::size_t at; (at = text.find('\0')) != std::string::npos;)
    text.replace(at, 1, "\xEF\xBF\xBD");
  out += html_escape(text);
}

// Text content: '<' and '>' escaped, '&' too unless it starts a reference.
void append_text(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      std::size_t j = i + 1;
      if (j < text.size() && text[j] == '#') ++j;
      const std::size_t start = j;
      while (j < text.size() && j - start < 32 &&
             (is_alpha(text[j]) || (text[j] >= '0' && text[j] <= '9')))
        ++j;
      const bool reference = j > start && j < text.size() && text[j] == ';';
      out += reference ? "&" : "&amp;";
    } else if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out.push_back(c);
    }
  }
}

// A URL as a browser reads it: ends trimmed, tabs, newlines and other
// controls removed (WHATWG URL §4.4).
std::string url_text(std::string_view decoded) {
  std::string out;
  for (char c : decoded)
    if (static_cast<unsigned char>(c) > 0x20 || (c == ' ' && !out.empty())) out.push_back(c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The scheme of a URL, lower-cased; "" for a relative one.
std::string url_scheme(std::string_view url) {
  for (std::size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') return i == 0 ? std::string(":") : lowered(url.substr(0, i));
    if (!(is_alpha(c) || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
      return "";
  }
  return "";
}

bool is_remote(std::string_view url, const std::string& scheme) {
  return scheme == "http" || scheme == "https" || (url.size() >= 2 && url[0] == '/' && url[1] == '/') ||
         (url.size() >= 2 && url[0] == '\\');
}

// Says whether text has "javascript:" or "vbscript:" once white space and
// controls are gone, in any case.
bool has_script_url(std::string_view decoded) {
  std::string squeezed;
  for (char c : decoded)
    if (static_cast<unsigned char>(c) > 0x20) squeezed.push_back(ascii_lower(c));
  return squeezed.find("javascript:") != std::string::npos ||
         squeezed.find("vbscript:") != std::string::npos ||
         squeezed.find("livescript:") != std::string::npos;
}

class Sanitizer {
 public:
  Sanitizer(const SanitizeOptions& options) : options_(options) {}

  SanitizedHtml run(std::string_view in) {
    std::string clean;
    sanitize_utf8(in, clean);
    std::string_view s = clean;
    std::size_t i = 0;
    while (i < s.size()) {
      const std::size_t lt = s.find('<', i);
      const std::size_t text_end = lt == std::string_view::npos ? s.size() : lt;
      if (text_end > i) text(s.substr(i, text_end - i));
      if (lt == std::string_view::npos) break;
      i = markup(s, lt);
    }
    while (!open_.empty()) close_top();
    return std::move(result_);
  }

 private:
  const SanitizeOptions& options_;
  SanitizedHtml result_;
  std::vector<std::string> open_;  // elements written and not yet closed
  std::string skipping_;           // the element being dropped with its content
  std::size_t skip_depth_ = 0;     // its nesting while dropped
  std::size_t deep_ = 0;           // start tags past max_depth, not written

  std::string& out() { return result_.html; }

  void text(std::string_view t) {
    if (skip_depth_ == 0) append_text(out(), t);
  }

  void close_top() {
    out().append("</").append(open_.back()).append(">");
    open_.pop_back();
  }

  // Markup at s[lt] == '<'; returns where scanning goes on.
  std::size_t markup(std::string_view s, std::size_t lt) {
    const std::string_view rest = s.substr(lt);
    if (rest.substr(0, 4) == "<!--") {  // a comment, ended by "-->" or "--!>" (or nothing)
      if (rest.substr(4, 1) == ">") return lt + 5;   // "<!-->", HTML 5 §13.2.5.43
      if (rest.substr(4, 2) == "->") return lt + 6;  // "<!--->"
      const std::size_t end = s.find("-->", lt + 4);
      const std::size_t bang = s.find("--!>", lt + 4);
      if (bang != std::string_view::npos && (end == std::string_view::npos || bang < end))
        return bang + 4;
      return end == std::string_view::npos ? s.size() : end + 3;
    }
    if (istarts_with(rest, "<![CDATA[")) {  // dropped (text only in foreign content)
      const std::size_t end = s.find("]]>", lt);
      return end == std::string_view::npos ? s.size() : end + 3;
    }
    if (rest.size() >= 2 && (rest[1] == '!' || rest[1] == '?')) {  // doctype, bogus comment
      const std::size_t end = s.find('>', lt);
      return end == std::string_view::npos ? s.size() : end + 1;
    }
    const bool end_tag = rest.size() >= 2 && rest[1] == '/';
    const std::size_t name_at = lt + (end_tag ? 2 : 1);
    if (name_at >= s.size() || !is_alpha(s[name_at])) {
      if (end_tag) {  // "</>" or "</3": a bogus comment
        const std::size_t end = s.find('>', lt);
        return end == std::string_view::npos ? s.size() : end + 1;
      }
      text("<");
      return lt + 1;
    }
    std::size_t i = name_at;
    while (i < s.size() && !is_space(s[i]) && s[i] != '/' && s[i] != '>') ++i;
    const std::string name = lowered(s.substr(name_at, i - name_at));
    std::vector<std::pair<std::string, std::string>> attributes;
    bool self_closing = false;
    bool closed = false;
    while (i < s.size()) {  // attributes (HTML 5 §13.2.5.32 onwards)
      while (i < s.size() && (is_space(s[i]) || s[i] == '/')) {
        self_closing = s[i] == '/';
        ++i;
      }
      if (i >= s.size()) break;
      if (s[i] == '>') {
        closed = true;
        ++i;
        break;
      }
      self_closing = false;
      const std::size_t an = i;
      ++i;  // a name may start with '='
      while (i < s.size() && !is_space(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=') ++i;
      std::string attr = lowered(s.substr(an, i - an));
      while (i < s.size() && is_space(s[i])) ++i;
      std::string value;
      if (i < s.size() && s[i] == '=') {
        ++i;
        while (i < s.size() && is_space(s[i])) ++i;
        if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
          const char q = s[i];
          const std::size_t end = s.find(q, i + 1);
          if (end == std::string_view::npos) {
            i = s.size();
            break;
          }
          value = std::string(s.substr(i + 1, end - i - 1));
          i = end + 1;
        } else {
          const std::size_t vs = i;
          while (i < s.size() && !is_space(s[i]) && s[i] != '>') ++i;
          value = std::string(s.substr(vs, i - vs));
        }
      }
      const bool seen = std::any_of(attributes.begin(), attributes.end(),
                                    [&](const auto& a) { return a.first == attr; });
      if (!seen && attributes.size() < kMaxAttributes) {
        attributes.emplace_back(std::move(attr), std::move(value));
      } else {
        ++result_.removed_attributes;
      }
    }
    if (!closed) {  // the input ended inside the tag: a browser drops it
      ++result_.removed_elements;
      return s.size();
    }
    if (end_tag) {
      end_element(name);
      return i;
    }
    start_element(name, attributes, self_closing);
    if (raw_text(name) && !is_void(name)) {  // its content is text up to its end tag
      std::size_t end = s.size();
      if (name != "plaintext") {
        for (std::size_t at = i; (at = s.find("</", at)) != std::string_view::npos; at += 2) {
          if (istarts_with(s.substr(at + 2), name)) {
            const std::size_t after = at + 2 + name.size();
            if (after >= s.size() || is_space(s[after]) || s[after] == '/' || s[after] == '>') {
              end = at;
              break;
            }
          }
        }
      }
      const std::string_view content = s.substr(i, end - i);
      if (name == "style" && skip_depth_ == 0 && !open_.empty() && open_.back() == "style") {
        out() += style_sheet(content);
      }
      // Whether kept or dropped, the element ends here.
      if (end < s.size()) {
        std::size_t close = s.find('>', end);
        close = close == std::string_view::npos ? s.size() : close + 1;
        end_element(name);
        return close;
      }
      end_element(name);
      return s.size();
    }
    return i;
  }

  void start_element(const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& attributes,
                     bool self_closing) {
    if (skip_depth_ > 0) {
      if (name == skipping_ && !is_void(name) && !self_closing) ++skip_depth_;
      return;
    }
    if (dropped_with_content(name)) {
      ++result_.removed_elements;
      if (!is_void(name) && !(self_closing && (name == "svg" || name == "math"))) {
        skipping_ = name;
        skip_depth_ = 1;
      }
      return;
    }
    if (!kept_element(name)) {  // html, body, head, form, font faces...: content kept
      if (!one_of(name, {"html", "body", "head", "tbody"})) ++result_.removed_elements;
      return;
    }
    if (open_.size() >= options_.max_depth) {
      if (!is_void(name)) ++deep_;
      ++result_.removed_elements;
      return;
    }
    std::string tag = "<" + name;
    bool link = false;
    for (const auto& [attr, raw_value] : attributes) {
      if (!kept_attribute(name, attr)) {
        ++result_.removed_attributes;
        continue;
      }
      std::string value = decode_entities(raw_value);
      if (attr == "style") {
        value = declarations(value);
        if (value.empty()) continue;
      } else if (attr == "href" || attr == "src" || attr == "cite" || attr == "background") {
        if (!url(name, attr, value)) {
          ++result_.removed_attributes;
          continue;
        }
        link = link || attr == "href";
      } else if (has_script_url(value)) {
        ++result_.removed_attributes;
        continue;
      }
      tag.append(" ").append(attr).append("=\"");
      append_attribute_value(tag, value);
      tag.append("\"");
    }
    if (link) tag += " target=\"_blank\" rel=\"noopener noreferrer\"";
    tag += ">";
    out() += tag;
    if (!is_void(name)) open_.push_back(name);
  }

  void end_element(const std::string& name) {
    if (skip_depth_ > 0) {
      if (name == skipping_ && --skip_depth_ == 0) skipping_.clear();
      return;
    }
    if (deep_ > 0 && kept_element(name) && !is_void(name)) {
      --deep_;
      return;
    }
    const auto it = std::find(open_.rbegin(), open_.rend(), name);
    if (it == open_.rend()) return;  // nothing open to close: dropped
    const std::size_t keep = static_cast<std::size_t>(open_.rend() - it) - 1;
    while (open_.size() > keep) close_top();
  }

  // A URL attribute's value (decoded) checked and cleaned in place; false to drop it.
  bool url(const std::string& element, const std::string& attr, std::string& value) {
    value = url_text(value);
    const std::string scheme = url_scheme(value);
    const bool image = attr == "src" || attr == "background";
    if (has_script_url(value)) return false;
    if (scheme == "cid" && image) return cid(value);
    if (is_remote(value, scheme)) {
      if (image && !options_.allow_remote) {
        ++result_.remote_blocked;
        return false;
      }
      if (value[0] == '\\') return false;
      return true;
    }
    if (attr == "href") {
      if (scheme == "mailto") return true;
      return scheme.empty() && !value.empty() && value[0] == '#';
    }
    if (image && element == "img" && scheme == "data")
      return istarts_with(value, "data:image/") && !has_script_url(value);
    return false;
  }

  bool cid(std::string& value) {
    if (!options_.cid_url) return true;
    value = options_.cid_url(std::string_view(value).substr(4));
    return !value.empty();
  }

  // One url(...) argument checked: its replacement ("" to keep it).
  bool css_url_ok(std::string& target) {
    std::string u = url_text(target);
    if (u.size() >= 2 && (u.front() == '"' || u.front() == '\'') && u.back() == u.front())
      u = u.substr(1, u.size() - 2);
    const std::string scheme = url_scheme(u);
    if (scheme == "cid") {
      if (!cid(u)) return false;
      target = "\"" + u + "\"";
      return u.find_first_of("\"\\\n") == std::string::npos;
    }
    if (is_remote(u, scheme)) {
      if (!options_.allow_remote) {
        ++result_.remote_blocked;
        return false;
      }
      return u[0] != '\\';
    }
    return scheme == "data" && istarts_with(u, "data:image/") && !has_script_url(u);
  }

  // CSS with its comments gone and escapes (CSS Syntax §4.3.7) undone; false
  // when what is left could be read another way (a backslash or "<" left).
  static bool plain_css(std::string_view in, std::string& out) {
    std::string uncommented;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '/' && i + 1 < in.size() && in[i + 1] == '*') {
        const std::size_t end = in.find("*/", i + 2);
        if (end == std::string_view::npos) break;
        i = end + 1;  // gone without a trace, so "ex/**/pression" is seen for what it is
        continue;
      }
      uncommented.push_back(in[i]);
    }
    out.clear();
    for (std::size_t i = 0; i < uncommented.size(); ++i) {
      if (uncommented[i] != '\\') {
        out.push_back(uncommented[i]);
        continue;
      }
      std::size_t j = i + 1;
      std::uint32_t code = 0;
      while (j < uncommented.size() && j - i <= 6 && std::isxdigit(static_cast<unsigned char>(uncommented[j]))) {
        const char c = ascii_lower(uncommented[j]);
        code = code * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
        ++j;
      }
      if (j > i + 1) {
        if (j < uncommented.size() && is_space(uncommented[j])) ++j;
        append_code_point(out, code);
      } else if (j < uncommented.size() && uncommented[j] != '\n') {
        out.push_back(uncommented[j++]);
      }
      i = j - 1;
    }
    for (char c : out)
      if (c == '\\' || c == '<' || c == '\0') return false;
    return out.find("/*") == std::string::npos && out.find("*/") == std::string::npos;
  }

  static bool dangerous_css(const std::string& lower) {
    return lower.find("expression") != std::string::npos ||
           lower.find("behavior") != std::string::npos ||
           lower.find("binding") != std::string::npos || has_script_url(lower) ||
           lower.find("image-set(") != std::string::npos ||
           lower.find("@import") != std::string::npos;
  }

  // url(...) in `css` checked: a bad one becomes "none". False when one
  // cannot be read (no closing parenthesis).
  bool urls(std::string& css) {
    std::string out;
    const std::string lower = lowered(css);
    std::size_t i = 0;
    for (std::size_t at; (at = lower.find("url(", i)) != std::string::npos;) {
      const std::size_t close = css.find(')', at + 4);
      if (close == std::string::npos) return false;
      std::string target = css.substr(at + 4, close - at - 4);
      out.append(css, i, at - i);
      if (css_url_ok(target)) {
        out.append("url(").append(target).append(")");
      } else {
        out.append("none");
      }
      i = close + 1;
    }
    out.append(css, i);
    css = std::move(out);
    return true;
  }

  // An inline style: each declaration kept when safe; "" when none is.
  std::string declarations(const std::string& value) {
    std::string out;
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(';', start);
      if (end == std::string::npos) end = value.size();
      std::string plain;
      const std::string_view d = trim(std::string_view(value).substr(start, end - start));
      start = end + 1;
      if (d.empty()) continue;
      if (!plain_css(d, plain) || dangerous_css(lowered(plain)) || !urls(plain) ||
          trim(plain).empty()) {
        ++result_.removed_attributes;
        continue;
      }
      if (!out.empty()) out += "; ";
      out += trim(plain);
    }
    return out;
  }

  // A <style> element's sheet: @import rules of remote sheets kept only when
  // remote content is; one that cannot be made safe is emptied.
  std::string style_sheet(std::string_view sheet) {
    std::string plain;
    if (!plain_css(sheet, plain)) {
      ++result_.removed_elements;
      return "";
    }
    // @import rules: kept with remote content allowed when they load an
    // http(s) sheet, else removed; set aside while the rest is checked.
    std::string lower = lowered(plain);
    std::string imports;
    for (std::size_t at; (at = lower.find("@import")) != std::string::npos;) {
      const std::size_t end = lower.find(';', at);
      const std::size_t length = end == std::string::npos ? std::string::npos : end - at + 1;
      const std::string rule = lower.substr(at, length);
      const bool remote = rule.find("http:") != std::string::npos ||
                          rule.find("https:") != std::string::npos ||
                          rule.find("//") != std::string::npos;
      if (remote && options_.allow_remote && end != std::string::npos &&
          !has_script_url(rule) && rule.find("data:") == std::string::npos &&
          rule.find_first_of("{}") == std::string::npos) {
        imports.append(plain, at, length);
      } else {
        if (remote) ++result_.remote_blocked;
        ++result_.removed_attributes;
      }
      plain.erase(at, length);
      lower = lowered(plain);
    }
    if (dangerous_css(lower) || !urls(plain)) {
      ++result_.removed_elements;
      return "";
    }
    return imports + plain;
  }
};

}  // namespace

SanitizedHtml sanitize_html(std::string_view html, const SanitizeOptions& options) {
  return Sanitizer(options).run(html);
}

std::string decode_html_entities(std::string_view text) { return decode_entities(text); }

}  // namespace mailroom::mime
