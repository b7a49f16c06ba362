// libFuzzer target for the HTML sanitizer: whatever goes in, what comes out
// (read with a checker of its own, not the sanitizer's tokenizer) has no
// <script, no on* attribute and no javascript:/vbscript: in any attribute
// value once its character references are decoded; every '<' starts a tag of
// the allow-list or an end tag; and sanitizing it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailroom/mime/html.hpp"

using namespace mailroom::mime;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// Character references decoded the way a browser would, enough for checking:
// numeric ones and the named ones that spell URL punctuation.
std::string decoded(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      out.push_back(v[i]);
      continue;
    }
    const std::size_t semi = v.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    const std::string_view name = v.substr(i + 1, semi - i - 1);
    if (name == "amp") out.push_back('&');
    else if (name == "quot") out.push_back('"');
    else if (name == "lt") out.push_back('<');
    else if (name == "gt") out.push_back('>');
    else if (name == "colon") out.push_back(':');
    else if (name == "Tab" || name == "NewLine") continue;
    else if (!name.empty() && name[0] == '#') {
      unsigned long code = 0;
      const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      for (char c : name.substr(hex ? 2 : 1)) {
        const int d = c >= '0' && c <= '9' ? c - '0'
                      : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0 || code > 0x10FFFF) break;
        code = code * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      }
      if (code < 0x80) out.push_back(static_cast<char>(code));
    } else {
      out.append(v.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string squeezed(std::string_view v) {
  std::string out;
  for (char c : lower(v))
    if (static_cast<unsigned char>(c) > 0x20) out.push_back(c);
  return out;
}

// The output's tags, read with the sanitizer's own writing rules: <name
// attr="value" ...> with values holding no '"'.
void check_output(std::string_view html) {
  REQUIRE(lower(html).find("<script") == std::string::npos);
  for (std::size_t lt = html.find('<'); lt != std::string_view::npos; lt = html.find('<', lt + 1)) {
    const std::size_t gt = html.find('>', lt);
    REQUIRE(gt != std::string_view::npos);
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    if (!tag.empty() && tag[0] == '/') continue;
    const std::size_t sp = tag.find(' ');
    const std::string name = lower(tag.substr(0, sp));
    REQUIRE(name != "script" && name != "iframe" && name != "object" && name != "embed" &&
            name != "svg" && name != "meta" && name != "base" && name != "link" &&
            name != "form" && name != "input" && name != "math");
    for (std::size_t i = sp; i != std::string_view::npos && i < tag.size();) {
      while (i < tag.size() && tag[i] == ' ') ++i;
      if (i >= tag.size()) break;
      const std::size_t eq = tag.find("=\"", i);
      REQUIRE(eq != std::string_view::npos);
      const std::string attr = lower(tag.substr(i, eq - i));
      REQUIRE(attr.size() < 2 || attr.compare(0, 2, "on") != 0);
      const std::size_t close = tag.find('"', eq + 2);
      REQUIRE(close != std::string_view::npos);
      const std::string value = squeezed(decoded(tag.substr(eq + 2, close - eq - 2)));
      REQUIRE(value.find("javascript:") == std::string::npos);
      REQUIRE(value.find("vbscript:") == std::string::npos);
      if (attr == "href" || attr == "src") REQUIRE(value.compare(0, 5, "data:") != 0 ||
                                                   value.compare(0, 11, "data:image/") == 0);
      i = close + 1;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (bool remote : {false, true}) {
    SanitizeOptions options;
    options.allow_remote = remote;
    options.max_depth = 32;
    const SanitizedHtml once = sanitize_html(input, options);
    check_output(once.html);
    REQUIRE(sanitize_html(once.html, options).html == once.html);
  }
  return 0;
}
