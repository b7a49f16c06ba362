// mbox framing: each variant's quoting, Content-Length framing and its
// fallback, variant detection, offsets, and input fed one byte at a time.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "conversation.hpp"
#include "mailroom/mime/mbox.hpp"

using namespace mailroom::mime;

namespace {

std::vector<MboxMessage> read_all(std::string_view data, MboxVariant v, std::size_t chunk = 0,
                                  MboxVariant* detected = nullptr) {
  MboxReader r(v);
  if (chunk == 0) {
    r.feed(data);
  } else {
    for (std::size_t i = 0; i < data.size(); i += chunk) r.feed(data.substr(i, chunk));
  }
  r.finish();
  if (detected) *detected = r.variant();
  return r.take();
}

const std::string kBody =
    "From: a@example.org\nSubject: s\n\nFrom the start\n>From quoted\n>>From deeper\nend\n";

}  // namespace

TEST(mbox_frames_at_from_lines_and_drops_the_separating_empty_line) {
  const std::string data =
      "From a@example.org Mon Jan  5 09:15:00 2026\nSubject: one\n\nbody one\n\n"
      "From b@example.org Mon Jan  5 09:16:00 2026\r\nSubject: two\r\n\r\nbody two\r\n\n"
      "From c@example.org Mon Jan  5 09:17:00 2026\nSubject: three\n\nno blank line before\n"
      "From d@example.org Mon Jan  5 09:18:00 2026\nSubject: four\n\nlast\n\n";
  for (std::size_t chunk : {0, 1, 3, 64}) {
    auto ms = read_all(data, MboxVariant::mboxo, chunk);
    CHECK_EQ(ms.size(), std::size_t{4});
    CHECK_EQ(ms[0].envelope, std::string("a@example.org Mon Jan  5 09:15:00 2026"));
    CHECK_EQ(ms[0].data, std::string("Subject: one\n\nbody one\n"));
    CHECK_EQ(ms[1].envelope, std::string("b@example.org Mon Jan  5 09:16:00 2026"));
    CHECK_EQ(ms[1].data, std::string("Subject: two\r\n\r\nbody two\r\n"));
    CHECK_EQ(ms[2].data, std::string("Subject: three\n\nno blank line before\n"));
    CHECK_EQ(ms[3].data, std::string("Subject: four\n\nlast\n"));
    CHECK_EQ(ms[0].offset, std::uint64_t{0});
    CHECK_EQ(data.substr(ms[1].offset, 5), std::string("From "));
    CHECK_EQ(data.substr(ms[3].offset, 7), std::string("From d@"));
  }
}

TEST(mbox_quoting_per_variant_round_trips) {
  // mboxrd and mboxcl2 give back exactly what was written; mboxo and mboxcl
  // cannot tell an original ">From " from a quoted "From ".
  for (MboxVariant v : {MboxVariant::mboxrd, MboxVariant::mboxcl2}) {
    std::string out;
    append_mbox_entry(out, "a@example.org Mon Jan  5 09:15:00 2026", kBody, v);
    append_mbox_entry(out, "b@example.org Mon Jan  5 09:15:00 2026", kBody, v);
    for (MboxVariant reading : {v, MboxVariant::detect}) {
      MboxVariant detected{};
      auto ms = read_all(out, reading, 5, &detected);
      CHECK_EQ(ms.size(), std::size_t{2});
      CHECK_EQ(std::string(mbox_variant_name(detected)), std::string(mbox_variant_name(v)));
      std::string want = kBody;
      if (v == MboxVariant::mboxcl2) want.insert(want.find("\n\n") + 1, "Content-Length: 46\n");
      CHECK_EQ(ms[1].data, want);
    }
  }
  std::string out;
  append_mbox_entry(out, "a@example.org Mon Jan  5 09:15:00 2026", kBody, MboxVariant::mboxo);
  CHECK(out.find("\n>From the start\n>From quoted\n>>From deeper\n") != std::string::npos);
  auto ms = read_all(out, MboxVariant::mboxo);
  CHECK_EQ(ms[0].data,
           std::string("From: a@example.org\nSubject: s\n\nFrom the start\nFrom quoted\n"
                       ">>From deeper\nend\n"));
  out.clear();
  append_mbox_entry(out, "a@example.org Mon Jan  5 09:15:00 2026", kBody, MboxVariant::mboxrd);
  CHECK(out.find("\n>From the start\n>>From quoted\n>>>From deeper\n") != std::string::npos);
}

TEST(mbox_content_length_frames_bodies_with_unquoted_from_lines) {
  const std::string data =
      "From a@example.org Mon Jan  5 09:15:00 2026\nSubject: one\nContent-Length: 22\n\n"
      "From me, unquoted\nend\n\n"
      "From b@example.org Mon Jan  5 09:15:00 2026\nSubject: two\nContent-Length: 3\n\nab\n";
  MboxVariant detected{};
  auto ms = read_all(data, MboxVariant::detect, 2, &detected);
  CHECK_EQ(ms.size(), std::size_t{2});
  CHECK_EQ(std::string(mbox_variant_name(detected)), std::string("mboxcl2"));
  CHECK_EQ(ms[0].data.substr(ms[0].data.find("\n\n") + 2), std::string("From me, unquoted\nend\n"));
  CHECK(ms[0].defects.empty() && ms[1].defects.empty());
}

TEST(mbox_bad_content_length_falls_back_to_from_lines) {
  const std::string data =
      "From a@example.org Mon Jan  5 09:15:00 2026\nSubject: one\nContent-Length: 9999\n\n"
      "short\n\n"
      "From b@example.org Mon Jan  5 09:15:00 2026\nSubject: two\nContent-Length: 1\n\n"
      "longer than one\n";
  auto ms = read_all(data, MboxVariant::mboxcl2, 7);
  CHECK_EQ(ms.size(), std::size_t{2});
  CHECK_EQ(ms[0].defects.size(), std::size_t{1});
  CHECK_EQ(ms[0].defects[0].kind, std::string("bad_content_length"));
  CHECK_EQ(ms[0].data, std::string("Subject: one\nContent-Length: 9999\n\nshort\n"));
  CHECK_EQ(ms[1].defects[0].kind, std::string("bad_content_length"));
  CHECK_EQ(ms[1].data, std::string("Subject: two\nContent-Length: 1\n\nlonger than one\n"));
}

TEST(mbox_garbage_partial_last_message_and_limits) {
  const std::string data =
      "garbage before\nmore\n"
      "From a@example.org Mon Jan  5 09:15:00 2026\nSubject: one\n\nbody\n\n"
      "From b@example.org Mon Jan  5 09:15:00 2026\nSubject: cut sh";
  MboxReader r;
  r.feed(data);
  r.finish();
  auto ms = r.take();
  CHECK_EQ(ms.size(), std::size_t{2});
  CHECK_EQ(r.defects().size(), std::size_t{1});
  CHECK_EQ(r.defects()[0].kind, std::string("garbage"));
  CHECK_EQ(ms[0].offset, std::uint64_t{20});
  CHECK_EQ(ms[1].data, std::string("Subject: cut sh"));

  MboxReader small(MboxVariant::mboxo, 100);
  std::string big = "From a@x Mon Jan  5 09:15:00 2026\n" + std::string(1000, 'x') + "\n\n" +
                    "From b@x Mon Jan  5 09:15:00 2026\nSubject: after\n\nok\n";
  for (std::size_t i = 0; i < big.size(); i += 10) small.feed(std::string_view(big).substr(i, 10));
  small.finish();
  auto got = small.take();
  CHECK_EQ(got.size(), std::size_t{2});
  CHECK_EQ(got[0].defects[0].kind, std::string("message_limit"));
  CHECK(got[0].data.size() <= 200);
  CHECK_EQ(got[1].data, std::string("Subject: after\n\nok\n"));
}

TEST(mbox_writer_refusals_and_own_envelope_line) {
  std::string out;
  bool threw = false;
  try {
    append_mbox_entry(out, "a@x\r\nInjected", "Subject: s\n\nx\n", MboxVariant::mboxrd);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    append_mbox_entry(out, "", "Subject: s\n\nx\n", MboxVariant::mboxrd);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  out.clear();
  append_mbox_entry(out, "", "From own@x Mon Jan  5 09:15:00 2026\nSubject: s\n\nno newline",
                    MboxVariant::mboxo);
  CHECK_EQ(out, std::string("From own@x Mon Jan  5 09:15:00 2026\nSubject: s\n\nno newline\n\n"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
