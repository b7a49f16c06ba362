// libFuzzer target for the HTTP API's readers of what a user or a message
// gives: Mailpit's search syntax (parse_search) and the links and one-time
// codes of a message (code_reading_text, codes_in, links_in). The first byte
// picks which; the rest is the query, or the HTML (after a NUL, the text).
// Whatever goes in: a query is terms or std::invalid_argument, each term of
// a known field with its value lower-cased; the HTML's reading text stays
// within twice the input; every code is 4 to 8 digits and every link an
// http(s) URL (the scheme in any case), each listed once.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../src/http/links_and_codes.hpp"
#include "../src/http/search.hpp"
#include "fuzz_support.hpp"

using namespace mailroom::http;

namespace {

bool known_field(const std::string& f) {
  static const char* const kFields[] = {"",        "from",   "to",      "cc",     "bcc",
                                        "reply-to", "subject", "message-id", "tag", "addressed",
                                        "is",      "has",    "after",   "before", "larger",
                                        "smaller"};
  return std::any_of(std::begin(kFields), std::end(kFields), [&](const char* k) { return f == k; });
}

template <typename Each>
void listed_once(const std::vector<std::string>& list, Each each) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    each(list[i]);
    REQUIRE(std::find(list.begin() + static_cast<std::ptrdiff_t>(i) + 1, list.end(), list[i]) ==
            list.end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    try {
      for (const auto& t : parse_search(in)) {
        REQUIRE(known_field(t.field));
        REQUIRE(std::none_of(t.value.begin(), t.value.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
      }
    } catch (const std::invalid_argument&) {
    }
    return 0;
  }
  const auto nul = in.find('\0');
  const std::string_view html = in.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  const std::string reading = code_reading_text(html);
  REQUIRE(reading.size() <= 2 * html.size() + 2);
  listed_once(codes_in(std::string(text) + "\n" + reading), [](const std::string& code) {
    REQUIRE(code.size() >= 4 && code.size() <= 8);
    REQUIRE(std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }));
  });
  listed_once(links_in(text, html), [](const std::string& url) {
    std::string scheme = url.substr(0, 8);  // any case (RFC 3986 §3.1)
    for (char& c : scheme)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    REQUIRE(scheme.rfind("http://", 0) == 0 || scheme.rfind("https://", 0) == 0);
  });
  return 0;
}
