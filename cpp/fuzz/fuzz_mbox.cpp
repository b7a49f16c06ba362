// libFuzzer target for the mbox reader: the first byte picks the variant and
// the chunk size the rest is fed in; framed messages must lie inside the
// stream, in order, within the limit; what the reader gives back written as
// mboxrd (reversible quoting) must read back the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailroom/mime/mbox.hpp"

using namespace mailroom::mime;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const MboxVariant variants[] = {MboxVariant::detect, MboxVariant::mboxo, MboxVariant::mboxrd,
                                  MboxVariant::mboxcl, MboxVariant::mboxcl2};
  const MboxVariant v = variants[data[0] % 5];
  const std::size_t chunk = 1 + (data[0] >> 3) * 7;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::uint64_t kMax = 512;
  MboxReader r(v, kMax);
  for (std::size_t i = 0; i < in.size(); i += chunk) r.feed(in.substr(i, chunk));
  r.finish();
  const auto ms = r.take();
  check(r.consumed() == in.size());
  std::uint64_t last_end = 0;
  std::string rewritten;
  for (const MboxMessage& m : ms) {
    check(m.offset >= last_end && m.offset + m.size <= in.size());
    check(in.substr(m.offset, 5) == "From " || m.defects.size() > 0);
    check(m.data.size() <= m.size && m.data.size() <= kMax + 256);
    last_end = m.offset + m.size;
    if (m.envelope.empty() || m.envelope.find_first_of("\r\n") != std::string::npos) continue;
    if (m.data.substr(0, 5) == "From ") continue;  // would be taken as its own envelope line
    std::string one;
    append_mbox_entry(one, m.envelope, m.data, MboxVariant::mboxrd);
    MboxReader back(MboxVariant::mboxrd, 1 << 20);
    back.feed(one);
    back.finish();
    const auto again = back.take();
    check(again.size() == 1);
    std::string want = m.data;
    if (!want.empty() && want.back() != '\n') want.push_back('\n');
    check(again[0].data == want);
    check(again[0].envelope == m.envelope);
  }
  return 0;
}
