// The links and one-time codes in a message (GET /api/mailroom/message/{ID}/
// links and /codes), sans-IO: the text and the HTML in, the lists out.
#include <string>
#include <vector>

#include "../../cpp/src/http/links_and_codes.hpp"
#include "conversation.hpp"

using namespace mailroom;

namespace {

using List = std::vector<std::string>;

std::string show(const List& l) {
  std::string out = "[";
  for (const auto& s : l) out += (out.size() > 1 ? ", '" : "'") + s + "'";
  return out + "]";
}

List html_codes(const std::string& html) { return http::codes_in(http::code_reading_text(html)); }

TEST(inline_elements_are_joined_blocks_are_not) {
  CHECK_EQ(show(html_codes("<p>Code <b>987</b>654</p>")), show(List{"987654"}));
  CHECK_EQ(show(html_codes("<p>Code <b>9</b><b>87654</b></p>")), show(List{"987654"}));
  CHECK_EQ(show(html_codes("Code <span>4</span><span>8</span><span>2</span><span>9</span>"
                           "<span>1</span><span>3</span>")),
           show(List{"482913"}));
  CHECK_EQ(show(html_codes("<p>Your code</p><table><tr><td>4</td><td>8</td> <td>2</td>"
                           "<td>9</td><td>1</td><td>3</td></tr></table>")),
           show(List{"482913"}));
  // Paragraphs and cells of more than one character stay apart.
  CHECK_EQ(show(html_codes("<p>1234</p><p>5678</p>")), show(List{"1234", "5678"}));
  CHECK_EQ(show(html_codes("<td>12</td><td>34</td>")), show(List{}));
  CHECK_EQ(show(html_codes("<p>Code&nbsp;<b>11</b>&#50;233</p><style>p{x:123456}</style>")),
           show(List{"112233"}));
}

TEST(codes_next_to_a_code_word_come_first_and_years_are_dropped) {
  CHECK_EQ(show(http::codes_in("On 1 Dec 2026 at 10:00 we got your sign-in: your code is 123456")),
           show(List{"123456"}));
  CHECK_EQ(show(http::codes_in("Order 4521 shipped. Your verification code: 778899")),
           show(List{"778899", "4521"}));
  CHECK_EQ(show(http::codes_in("Tu código es 5566")), show(List{"5566"}));
  CHECK_EQ(show(http::codes_in("Votre code de vérification : 246810")), show(List{"246810"}));
  CHECK_EQ(show(http::codes_in("Ihr Bestätigungscode lautet 1357")), show(List{"1357"}));
  CHECK_EQ(show(http::codes_in("Enter PIN 8642 at the door, shopping list 1111")),
           show(List{"8642", "1111"}));
  // A year alone, or beside other numbers, or in a date or copyright line.
  CHECK_EQ(show(http::codes_in("Ticket 2019")), show(List{"2019"}));
  CHECK_EQ(show(http::codes_in("Room 4410, built 2019")), show(List{"4410"}));
  CHECK_EQ(show(http::codes_in("December 2026")), show(List{}));
  CHECK_EQ(show(http::codes_in("\xc2\xa9 2026 Example Inc.")), show(List{}));
  // As before: no codes in URLs, times, dates, versions or long numbers.
  CHECK_EQ(show(http::codes_in("Your code is 482913. It expires at 12:30 on 2026-12-01.\n"
                               "https://x.test/v?t=123456 Order 12345678901, call 555-1234, "
                               "version 1.2345.")),
           show(List{"482913"}));
}

TEST(script_and_style_end_at_their_closing_tag_in_any_case) {
  CHECK_EQ(show(html_codes("<STYLE>p{x:111111}</sTyLe><p>Code 482913</p>"
                           "<script>var n = 222222;</SCRIPT>")),
           show(List{"482913"}));
  // Unclosed: the rest is theirs.
  CHECK_EQ(show(html_codes("<p>Code 482913</p><style>p{x:333333}")), show(List{"482913"}));
  // Many of them, each read once (nothing copied per tag).
  std::string many;
  for (int k = 0; k < 2000; ++k) many += "<style>p{x:444444}</STYLE>";
  CHECK_EQ(show(html_codes(many + "<p>Code 482913</p>")), show(List{"482913"}));
}

TEST(bare_urls_in_html_are_links) {
  CHECK_EQ(show(http::links_in("", "<p>Open https://app.example.test/a?x=1&amp;y=2.</p>"
                                   "<a href=\"https://app.example.test/b\">https://app.example.test/b</a>")),
           show(List{"https://app.example.test/b", "https://app.example.test/a?x=1&y=2"}));
  CHECK_EQ(show(http::links_in("see http://t.test/x", "")), show(List{"http://t.test/x"}));
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
