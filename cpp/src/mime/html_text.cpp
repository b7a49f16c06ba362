// The text of HTML, and text escaped for HTML.
#include "mailroom/mime/html.hpp"

#include "mailroom/text.hpp"

namespace mailroom::mime {

std::string html_to_text(std::string_view html) {
  std::string out;
  bool in_tag = false;
  std::size_t skip_until = std::string_view::npos;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (skip_until != std::string_view::npos) {
      if (i < skip_until) continue;
      skip_until = std::string_view::npos;
    }
    const char c = html[i];
    if (c == '<') {
      // The text of <style> and <script> is no snippet.
      for (std::string_view t : {"<style", "<script", "<head"}) {
        if (istarts_with(html.substr(i), t)) {
          const std::string close = "</" + std::string(t.substr(1));
          const auto at = ifind(html, close, i);
          skip_until = at == std::string_view::npos ? html.size() : at;
        }
      }
      in_tag = true;
      out.push_back(' ');
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      out.push_back(c);
    }
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace mailroom::mime
