// The vector scans of the MIME engine give what the byte-by-byte loops they
// replaced gave, on every input: the line-end check of the parser (16 and 32
// bytes a step, against the pairwise rule and against the defects the parser
// reports), the quoted-printable decoder's run copy (against the previous
// decoder, kept here as the reference, into a buffer of exactly the input's
// size followed by guard bytes), and the header value decoder's fast paths
// (unfolding, values with no encoded-word, 8-bit values).
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

// ---- quoted-printable -------------------------------------------------------

// The decoder as it was before its runs were copied sixteen bytes a step.
std::size_t qp_reference(std::string_view text, char* dest, CodecIssue* issue) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  auto note = [&](std::size_t offset, const char* reason) {
    if (issue == nullptr || issue->bad) return;
    issue->bad = true;
    issue->offset = offset;
    issue->reason = reason;
  };
  const char* in = text.data();
  const std::size_t n = text.size();
  char* o = dest;
  char* keep = dest;
  auto trim = [&] {
    while (o > keep && (o[-1] == ' ' || o[-1] == '\t')) --o;
  };
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j < n && in[j] != '=' && in[j] != '\r' && in[j] != '\n') ++j;
    std::memcpy(o, in + i, j - i);
    o += j - i;
    i = j;
    if (i == n) break;
    const char c = in[i];
    if (c == '=' && i + 2 < n) {
      std::size_t k = i;
      while (k + 2 < n && in[k] == '=') {
        const int hi = hex(in[k + 1]);
        const int lo = hex(in[k + 2]);
        if ((hi | lo) < 0) break;
        *o++ = static_cast<char>((hi << 4) | lo);
        k += 3;
      }
      if (k != i) {
        keep = o;
        i = k;
        continue;
      }
    }
    if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
      trim();
      const std::size_t len = c == '\r' ? 2 : 1;
      std::memcpy(o, in + i, len);
      o += len;
      i += len;
      keep = o;
      continue;
    }
    if (c == '\r') {
      *o++ = '\r';
      ++i;
      continue;
    }
    std::size_t k = i + 1;
    while (k < n && (in[k] == ' ' || in[k] == '\t')) ++k;
    if (k == n) {
      i = n;
      keep = o;
      continue;
    }
    if (in[k] == '\n' || (in[k] == '\r' && k + 1 < n && in[k + 1] == '\n')) {
      i = k + (in[k] == '\r' ? 2 : 1);
      keep = o;
      continue;
    }
    note(i, "'=' not followed by two hex digits or a line end");
    *o++ = '=';
    keep = o;
    ++i;
  }
  trim();
  return static_cast<std::size_t>(o - dest);
}

constexpr std::size_t kGuard = 32;
constexpr char kGuardByte = '\x5A';

void same_qp_decode(std::string_view text) {
  std::string want(text.size(), '\0');
  CodecIssue want_issue;
  want.resize(qp_reference(text, want.data(), &want_issue));
  std::vector<char> buf(text.size() + kGuard, kGuardByte);
  CodecIssue issue;
  const std::size_t n = qp_decode_to(text, buf.data(), &issue);
  CHECK_EQ(std::string(buf.data(), n), want);
  CHECK_EQ(issue.bad, want_issue.bad);
  CHECK_EQ(issue.offset, want_issue.offset);
  bool guard = true;
  for (std::size_t i = text.size(); i < buf.size(); ++i) guard = guard && buf[i] == kGuardByte;
  CHECK(guard);
  bool bad = false;
  CHECK_EQ(qp_decode(text, &bad), want);
  CHECK_EQ(bad, want_issue.bad);
}

TEST(qp_random_mixtures_of_escapes_breaks_and_junk) {
  std::mt19937 rng(45);
  const std::string alphabet = "aZ09=\r\n \t=FfGgx\x80\xff=3D=";
  for (int round = 0; round < 30000; ++round) {
    std::string s(rng() % 200, 'a');
    const std::size_t kinds = 1 + rng() % alphabet.size();
    for (char& c : s) c = alphabet[rng() % kinds];
    same_qp_decode(s);
  }
}

TEST(qp_encoded_text_and_one_stop_at_every_offset) {
  std::mt19937 rng(46);
  const std::string words[] = {"mail", "Zo\xc3\xab", "\xed\x9a\x8c\xec\x9d\x98", "a=b",
                               "the", "line  \r\n", "tab\t\n", std::string(30, 'x')};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::size_t count = rng() % 60;
    for (std::size_t k = 0; k < count; ++k) text += words[rng() % 8] + " ";
    const std::string qp = qp_encode(text);
    same_qp_decode(qp);
    std::string lf = qp;  // the same with bare LF line ends
    for (std::size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
    same_qp_decode(lf);
  }
  const std::string plain(100, 'p');
  for (std::size_t at = 0; at < plain.size(); ++at) {
    for (std::string_view stop : {"=", "=4", "=41", "\r", "\n", "\r\n", "=\r\n", "= \r\n", " \r\n"}) {
      std::string s = plain;
      s.insert(at, stop);
      same_qp_decode(s);
      same_qp_decode(std::string_view(s).substr(0, at + stop.size()));
    }
  }
}

// ---- header values ----------------------------------------------------------

std::string without_line_ends(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '\r' && c != '\n') out.push_back(c);
  return out;
}

TEST(header_values_unfold_and_read_plain_text_as_it_is) {
  std::mt19937 rng(47);
  const std::string pieces[] = {"Sender",  " ",   "\r\n ", "\r\n\t", "=",   "=?",
                                "?=",      "\n ", "\r",    "Zo\xc3\xab", "\xff", "x",
                                "=?utf-8?q?Zo=C3=AB?=", "=?iso-8859-1?b?Wm/r?=", "<a@b>"};
  for (int round = 0; round < 30000; ++round) {
    std::string v;
    const std::size_t count = rng() % 30;
    const std::size_t kinds = 1 + rng() % 15;
    for (std::size_t k = 0; k < count; ++k) v += pieces[rng() % kinds];
    bool bad = true, bad_unfolded = true;
    const std::string got = decode_header(v, &bad);
    const std::string unfolded = without_line_ends(v);
    CHECK_EQ(got, decode_header(unfolded, &bad_unfolded));
    CHECK_EQ(bad, bad_unfolded);
    if (unfolded.find("=?") == std::string::npos) {  // no encoded-word: the text, sanitized
      std::string clean;
      const bool valid = sanitize_utf8(unfolded, clean);
      CHECK_EQ(got, clean);
      CHECK_EQ(bad, !valid);
    }
  }
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
