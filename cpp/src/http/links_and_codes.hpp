// What testers of sign-up and login flows look for in a message: the links
// (http and https URLs in the text, href attributes in the HTML, URLs written
// as text in the HTML) and the one-time codes (a standalone run of 4 to 8
// digits outside URLs, as in "Your code is 123456"), each once. Codes are
// read from the subject, the text and the HTML's text (inline elements
// joined: "Code <b>987</b>654" is 987654, as are table cells of one digit
// each); those next to a word like code, PIN, OTP, passcode, verification,
// one-time (código, code de vérification, ...) come first, then the others,
// each in order of appearance; a year (19xx, 20xx) is left out when it is a
// date's or a copyright line's, or when other numbers are there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::http {

std::vector<std::string> message_links(const mime::ParsedMessage& p);
std::vector<std::string> message_codes(const mime::ParsedMessage& p);

// The same over plain text and HTML (for tests).
std::vector<std::string> links_in(std::string_view text, std::string_view html);
std::vector<std::string> codes_in(std::string_view text);
// The text of HTML as one reads it: inline elements joined, other elements
// separate lines, character references decoded; what <script>, <style>,
// <head> and <title> hold left out.
std::string code_reading_text(std::string_view html);

}  // namespace mailroom::http
