// HTML as mail carries it: its text for snippets and quotes, text made safe
// to put inside HTML, and HTML made safe to show (the sanitizer).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace mailroom::mime {

// The text of HTML: tags dropped, and what <style>, <script> and <head> hold.
std::string html_to_text(std::string_view html);

// Text with its character references decoded: numeric ones and the named
// ones mail uses to hide URLs (&amp; &nbsp; &colon; ...); others kept.
std::string decode_html_entities(std::string_view text);

// `text` with &, <, >, " and ' written as character references (HTML 5
// §13.1.4), so it is text wherever it is put, attribute values included.
std::string html_escape(std::string_view text);

struct SanitizeOptions {
  // Remote images, backgrounds, fonts and style sheets (http:, https:, "//")
  // kept; else removed and counted in remote_blocked.
  bool allow_remote = false;
  // The URL a "cid:" reference (RFC 2392) becomes, given the Content-ID
  // without "cid:"; "" drops the reference. Unset: "cid:" URLs are kept.
  std::function<std::string(std::string_view content_id)> cid_url;
  std::size_t max_depth = 256;  // open elements; deeper tags are dropped, their text kept
};

struct SanitizedHtml {
  std::string html;
  std::size_t removed_elements = 0;    // tags dropped (with or without their content)
  std::size_t removed_attributes = 0;  // attributes and CSS declarations dropped
  std::size_t remote_blocked = 0;      // remote references removed (allow_remote off)
};

// HTML from a message made safe to show: a tolerant tokenizer (unclosed tags,
// comments, CDATA, raw text of <script> and <style>, entities, any case,
// unquoted attributes) and an allow-list of elements and attributes; the
// result written anew, well formed: lower-case names, every attribute quoted
// and escaped, every element closed. Never kept: script, style sheets that
// could run code, event handlers (on*), forms and their controls, iframe,
// frame, object, embed, applet, base, link, meta, svg and math (with their
// content), javascript:/vbscript: or data: URLs (data:image/* stays in
// img src). URLs are read after entity decoding with tabs, newlines and
// controls removed, as browsers read them; links get target="_blank" and
// rel="noopener noreferrer". Inline style and <style> lose expression(),
// behavior, -moz-binding and javascript:, and, unless allow_remote, remote
// url(), image-set() and @import. Sanitizing the result again changes
// nothing (with cid_url unset). Invalid UTF-8 becomes U+FFFD.
SanitizedHtml sanitize_html(std::string_view html, const SanitizeOptions& options = {});

}  // namespace mailroom::mime
