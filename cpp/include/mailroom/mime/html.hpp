// HTML as mail carries it: its text for snippets and quotes, and text made
// safe to put inside HTML.
#pragma once

#include <string>
#include <string_view>

namespace mailroom::mime {

// The text of HTML: tags dropped, and what <style>, <script> and <head> hold.
std::string html_to_text(std::string_view html);

// `text` with &, <, >, " and ' written as character references (HTML 5
// §13.1.4), so it is text wherever it is put, attribute values included.
std::string html_escape(std::string_view text);

}  // namespace mailroom::mime
