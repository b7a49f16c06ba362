// Span invariants of the MIME parser on inputs the fuzzer found: every span
// of a part lies inside the part, its preamble and epilogue inside its body.
#include <string>

#include "conversation.hpp"
#include "mailroom/mime/message.hpp"

using namespace mailroom::mime;

namespace {
bool inside(Span inner, Span outer) {
  return inner.begin <= inner.end && outer.begin <= inner.begin && inner.end <= outer.end;
}
}  // namespace

TEST(epilogue_of_a_nested_multipart_closed_right_before_its_parents_boundary) {
  // The CRLF after "--a--" belongs to the outer boundary (RFC 2046 §5.1.1):
  // the inner epilogue is empty and ends with the inner body.
  const std::string raw =
      "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
      "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n--o--\r\n";
  auto m = parse_message(raw);
  CHECK_EQ(m->parts.size(), std::size_t{3});
  const Part& inner = m->parts[1];
  CHECK(inner.is_multipart);
  CHECK(inside(inner.epilogue, inner.body));
  CHECK(inside(inner.preamble, inner.body));
  CHECK_EQ(inner.epilogue.size(), std::uint64_t{0});
  CHECK(m->bytes(inner.body).ends_with("--a--"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
