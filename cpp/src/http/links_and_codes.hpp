// What testers of sign-up and login flows look for in a message: the links
// (http and https URLs in the text, href attributes in the HTML) and the
// one-time codes (a standalone run of 4 to 8 digits, as in "Your code is
// 123456", outside URLs), each once, in order of appearance.
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

}  // namespace mailroom::http
