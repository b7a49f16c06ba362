// The vector scans of the MIME engine give what the byte-by-byte loops they
// replaced gave, on every input: the line-end check of the parser (16 and 32
// bytes a step, against the pairwise rule and against the defects the parser
// reports).
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../../cpp/src/mime/line_end_scan.hpp"
#include "conversation.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/message.hpp"

using namespace mailroom::mime;

namespace {

// ---- the line-end check ----------------------------------------------------

bool suspect_reference(std::string_view d) {
  for (std::size_t j = 0; j < d.size(); ++j) {
    if (d[j] == 0) return true;
    if (d[j] == '\r' && (j + 1 == d.size() || d[j + 1] != '\n')) return true;
    if (d[j] == '\n' && (j == 0 || d[j - 1] != '\r')) return true;
  }
  return false;
}

void same_line_end_verdict(std::string_view d) {
  const bool want = suspect_reference(d);
  CHECK_EQ(line_end_scan::suspect_16(d.data(), d.size()), want);
  if (line_end_scan::has_32()) CHECK_EQ(line_end_scan::suspect_32(d.data(), d.size()), want);
  CHECK_EQ(line_end_scan::suspect(d.data(), d.size()), want);
}

std::string clean_lines(std::mt19937& rng, std::size_t n) {
  std::string s;
  while (s.size() < n) {
    s.append(rng() % 40, 'a');
    s += "\r\n";
  }
  return s;
}

TEST(one_odd_byte_at_every_offset_of_every_length) {
  std::mt19937 rng(13);
  for (std::size_t n = 0; n < 140; ++n) {
    const std::string clean = clean_lines(rng, n).substr(0, n);
    same_line_end_verdict(clean);
    for (std::size_t at = 0; at < n; ++at) {
      for (char odd : {'\0', '\r', '\n'}) {
        std::string s = clean;
        s[at] = odd;
        same_line_end_verdict(s);
      }
    }
  }
}

TEST(random_mixtures_of_cr_lf_and_nul) {
  std::mt19937 rng(2026);
  const char alphabet[] = {'a', '\r', '\n', '\r', '\n', '-', '\0'};
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 300, 'a');
    const unsigned kinds = round % 2 ? 6 : 7;  // without NUL, then with
    for (char& c : s) c = alphabet[rng() % kinds];
    same_line_end_verdict(s);
    // Mostly clean text with CRLF pairs and one stray byte or none.
    std::string t = clean_lines(rng, 64 + rng() % 400);
    if (round % 3 == 0) t[rng() % t.size()] = alphabet[1 + rng() % 6];
    same_line_end_verdict(t);
  }
}

TEST(the_parser_reports_the_first_of_each_once) {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::string m = "From: a@example.org\r\nDate: Mon, 1 Dec 2026 10:00:00 +0000\r\n\r\n";
    const std::size_t header = m.size();
    m += clean_lines(rng, 1 + rng() % 500);
    std::size_t first_nul = std::string::npos, first_lf = std::string::npos,
                first_cr = std::string::npos;
    if (round % 2 == 0) {
      const std::size_t at = header + rng() % (m.size() - header);
      m[at] = "\0\r\n"[rng() % 3];
    }
    for (std::size_t j = 0; j < m.size(); ++j) {
      if (m[j] == 0 && first_nul == std::string::npos) first_nul = j;
      if (m[j] == '\n' && (j == 0 || m[j - 1] != '\r') && first_lf == std::string::npos)
        first_lf = j;
      if (m[j] == '\r' && (j + 1 == m.size() || m[j + 1] != '\n') &&
          first_cr == std::string::npos)
        first_cr = j;
    }
    auto parsed = parse_message(m);
    std::size_t nul = std::string::npos, lf = std::string::npos, cr = std::string::npos;
    int count = 0;
    for (const Defect& d : parsed->defects) {
      if (d.kind == "nul_byte") nul = d.offset, ++count;
      if (d.kind == "bare_lf") lf = d.offset, ++count;
      if (d.kind == "bare_cr") cr = d.offset, ++count;
    }
    CHECK_EQ(nul, first_nul);
    CHECK_EQ(lf, first_lf);
    CHECK_EQ(cr, first_cr);
    CHECK_EQ(count, int(first_nul != std::string::npos) + int(first_lf != std::string::npos) +
                        int(first_cr != std::string::npos));
  }
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
