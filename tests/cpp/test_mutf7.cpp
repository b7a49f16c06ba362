// Modified UTF-7 (RFC 3501 §5.1.3): the RFC's example, round trips, and the
// malformed forms a strict decoder refuses.
#include <string>

#include "conversation.hpp"
#include "mailroom/mutf7.hpp"

using namespace mailroom;

namespace {

bool refused(const std::string& s) {
  try {
    (void)from_modified_utf7(s);
  } catch (const InvalidModifiedUtf7&) {
    return true;
  }
  return false;
}

TEST(the_rfc_example_and_ampersand) {
  // RFC 3501 §5.1.3: "~peter/mail/台北/日本語"
  const std::string utf8 = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
  CHECK_EQ(to_modified_utf7(utf8), std::string("~peter/mail/&U,BTFw-/&ZeVnLIqe-"));
  CHECK_EQ(from_modified_utf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), utf8);
  CHECK_EQ(to_modified_utf7("Q&A"), std::string("Q&-A"));
  CHECK_EQ(from_modified_utf7("Q&-A"), std::string("Q&A"));
  CHECK_EQ(to_modified_utf7("Entw\xc3\xbc" "rfe"), std::string("Entw&APw-rfe"));
  CHECK_EQ(to_modified_utf7("plain"), std::string("plain"));
}

TEST(round_trips_of_every_plane) {
  for (const std::string& s : {std::string("caf\xc3\xa9"), std::string("\xf0\x9f\x93\xac mail"),
                              std::string("a\xe2\x82\xac" "b\xe2\x82\xac"), std::string("\t tab"),
                              std::string("&&\xc3\xa9&")}) {
    CHECK_EQ(from_modified_utf7(to_modified_utf7(s)), s);
  }
}

TEST(malformed_input_is_refused) {
  CHECK(refused("&AGE"));          // not closed
  CHECK(refused("&A-"));           // leftover bits, no whole unit
  CHECK(refused("&AGEx-"));        // nonzero leftover bits
  CHECK(refused("&AEE-"));         // 'A' inside a shift must stand for itself
  CHECK(refused("&2D0-"));         // a lone high surrogate
  CHECK(refused("&3AA-"));         // a lone low surrogate
  CHECK(refused("&AG/-"));         // '/' is not in the modified alphabet
  CHECK(refused("caf\xc3\xa9"));   // 8-bit bytes
  bool bad_utf8 = false;
  try {
    (void)to_modified_utf7("caf\xff");
  } catch (const InvalidModifiedUtf7&) {
    bad_utf8 = true;
  }
  CHECK(bad_utf8);
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
