// MX lookup through the system resolver (libresolv) and a bounds-checked
// parser of the DNS response (RFC 1035 §4.1).
#include "mailroom/queue/mx.hpp"

#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/text.hpp"

namespace mailroom::queue {
namespace {

constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeMx = 15;
constexpr std::uint16_t kClassIn = 1;
constexpr int kMaxCnameHops = 8;

bool host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// One trailing dot (an absolute name) removed.
std::string_view without_root(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Why `name` is no domain name we look up, or "" when it is one: RFC 1035 §2.3.4
// sizes, and the letters, digits and hyphens of RFC 5321 §4.1.2 (underscores are
// tolerated).
std::string domain_problem(std::string_view name) {
  name = without_root(name);
  if (name.empty()) return "it is empty";
  if (name.size() > 253) return "it is longer than 253 octets";
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0) return "it has an empty label";
      if (label > 63) return "it has a label longer than 63 octets";
      label = 0;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (!host_char(c)) {
      if (c <= ' ' || c == 127) return "it contains white space or control characters";
      if (c >= 128) return "it contains 8-bit characters (not an IDNA A-label)";
      return "it contains characters other than letters, digits, '-' and '_'";
    }
    ++label;
  }
  return "";
}

// The name for messages: printable ASCII only, bounded.
std::string printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 300))
    out.push_back(c > ' ' && c < 127 ? static_cast<char>(c) : '?');
  return out;
}

std::uint16_t u16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Reads the (possibly compressed, RFC 1035 §4.1.4) name at `pos`, advancing
// `pos` past it. `plain` is false when a label holds octets other than letters,
// digits, '-' and '_' (such a name is neither a host nor our domain). false for
// a malformed name: out of bounds, a pointer loop, over 255 octets.
bool read_name(const unsigned char* m, std::size_t n, std::size_t& pos,
               std::string& out, bool& plain) {
  out.clear();
  plain = true;
  std::size_t p = pos, wire_length = 1;
  bool jumped = false;
  for (int hops = 0;;) {
    if (p >= n) return false;
    const unsigned len = m[p];
    if ((len & 0xC0) == 0xC0) {
      if (p + 1 >= n) return false;
      const std::size_t target = ((len & 0x3F) << 8) | m[p + 1];
      // Pointers lead backwards; the hop bound ends loops made of pointers and
      // labels alike (RFC 9267 §2).
      if (target >= p || ++hops > 64) return false;
      if (!jumped) pos = p + 2;
      jumped = true;
      p = target;
      continue;
    }
    if (len & 0xC0) return false;  // extended label types (RFC 6891 §5) are not names
    if (len == 0) {
      if (!jumped) pos = p + 1;
      return true;
    }
    if (p + 1 + len > n) return false;
    wire_length += len + 1;
    if (wire_length > 255) return false;
    if (!out.empty()) out.push_back('.');
    for (std::size_t i = p + 1; i < p + 1 + len; ++i) {
      plain = plain && host_char(m[i]);
      out.push_back(static_cast<char>(m[i]));
    }
    p += 1 + len;
  }
}

struct Record {
  std::string owner;
  bool owner_plain = true;
  std::uint16_t type = 0;
  int preference = 0;
  std::string target;  // MX exchange or CNAME target
  bool target_plain = true;
};

MxAnswer failure(MxAnswer::Status status, std::string error) {
  MxAnswer a;
  a.status = status;
  a.error = std::move(error);
  return a;
}

MxAnswer temp_fail(std::string_view domain, std::string_view why) {
  std::string e = "DNS lookup of the MX records of ";
  e.append(printable(domain)).append(" failed: ").append(why);
  return failure(MxAnswer::Status::TempFail, e);
}

bool in(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return iequals(n, name); });
}

std::mt19937& random_engine() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return engine;
}

}  // namespace

MxAnswer parse_mx_response(const unsigned char* m, std::size_t n,
                           const std::string& domain_arg) {
  const std::string_view domain = without_root(domain_arg);
  if (m == nullptr || n < 12) return temp_fail(domain, "malformed DNS response");
  const bool response = (m[2] & 0x80) != 0;
  const bool truncated = (m[2] & 0x02) != 0;
  const int rcode = m[3] & 0x0F;
  if (!response) return temp_fail(domain, "malformed DNS response");
  if (rcode == 3) {  // NXDOMAIN (RFC 1035 §4.1.1)
    std::string e = "Host or domain name not found: ";
    e.append(printable(domain)).append(" does not exist (NXDOMAIN)");
    return failure(MxAnswer::Status::NoSuchDomain, e);
  }
  if (rcode == 2) return temp_fail(domain, "name server failure (SERVFAIL)");
  if (rcode != 0) {
    std::string why = "name server error (rcode ";
    why.append(std::to_string(rcode)).append(")");
    return temp_fail(domain, why);
  }

  const unsigned questions = u16(m + 4), answers = u16(m + 6);
  std::size_t pos = 12;
  std::string name;
  bool plain = true;
  for (unsigned i = 0; i < questions; ++i) {
    if (!read_name(m, n, pos, name, plain) || pos + 4 > n)
      return temp_fail(domain, "malformed DNS response");
    pos += 4;
  }
  std::vector<Record> records;
  for (unsigned i = 0; i < answers; ++i) {
    Record r;
    if (!read_name(m, n, pos, r.owner, r.owner_plain) || pos + 10 > n)
      return temp_fail(domain, "malformed DNS response");
    r.type = u16(m + pos);
    const std::uint16_t cls = u16(m + pos + 2);
    const std::size_t rdlength = u16(m + pos + 8);
    pos += 10;
    const std::size_t rdata_end = pos + rdlength;
    if (rdata_end > n) return temp_fail(domain, "malformed DNS response");
    if (cls == kClassIn && (r.type == kTypeMx || r.type == kTypeCname)) {
      std::size_t p = pos;
      if (r.type == kTypeMx) {
        if (rdlength < 3) return temp_fail(domain, "malformed DNS response");
        r.preference = u16(m + p);
        p += 2;
      }
      // The name may point outside the RDATA, but its own octets end inside.
      if (!read_name(m, n, p, r.target, r.target_plain) || p > rdata_end)
        return temp_fail(domain, "malformed DNS response");
      records.push_back(std::move(r));
    }
    pos = rdata_end;
  }

  // The names that stand for `domain`: itself and where its CNAMEs lead
  // (RFC 5321 §5.1: an MX query to an alias answers for the canonical name).
  std::vector<std::string> names{std::string(domain)};
  for (int hop = 0; hop < kMaxCnameHops; ++hop) {
    bool grew = false;
    for (const Record& r : records) {
      if (r.type == kTypeCname && r.owner_plain && r.target_plain &&
          in(names, r.owner) && !in(names, r.target)) {
        names.push_back(r.target);
        grew = true;
      }
    }
    if (!grew) break;
  }

  std::vector<const Record*> mx;
  for (const Record& r : records)
    if (r.type == kTypeMx && r.owner_plain && in(names, r.owner)) mx.push_back(&r);

  MxAnswer answer;
  if (mx.empty()) {
    // A truncated message may have lost its records; otherwise the domain
    // exists without MX records: the implicit MX (RFC 5321 §5.1).
    if (truncated) return temp_fail(domain, "truncated DNS response");
    answer.hosts.push_back(MxHost{std::string(domain), 0});
    return answer;
  }
  // RFC 7505 §3: a null MX is the only MX record of its domain, with an empty
  // exchange (the root). Next to other MX records it names no host: skipped.
  if (mx.size() == 1 && mx[0]->target.empty() && mx[0]->target_plain) {
    std::string e = "Domain ";
    e.append(printable(domain)).append(" does not accept mail (null MX, RFC 7505)");
    return failure(MxAnswer::Status::NullMx, e);
  }
  for (const Record* r : mx) {
    if (!r->target_plain || !domain_problem(r->target).empty()) continue;
    auto same =
        std::find_if(answer.hosts.begin(), answer.hosts.end(),
                     [&](const MxHost& h) { return iequals(h.host, r->target); });
    if (same == answer.hosts.end())
      answer.hosts.push_back(MxHost{r->target, r->preference});
    else
      same->preference = std::min(same->preference, r->preference);
  }
  if (answer.hosts.empty())
    return temp_fail(domain, "its MX records name no valid host");
  // Lowest preference first; hosts of equal preference in a random order
  // (RFC 5321 §5.1), so the load spreads over them.
  std::shuffle(answer.hosts.begin(), answer.hosts.end(), random_engine());
  std::stable_sort(
      answer.hosts.begin(), answer.hosts.end(),
      [](const MxHost& a, const MxHost& b) { return a.preference < b.preference; });
  if (answer.hosts.size() > kMaxMxHosts) answer.hosts.resize(kMaxMxHosts);
  return answer;
}

MxAnswer lookup_mx(const std::string& domain_arg) {
  const std::string domain(without_root(domain_arg));
  if (std::string problem = domain_problem(domain_arg); !problem.empty()) {
    std::string e = "Invalid domain name \"";
    e.append(printable(domain_arg)).append("\": ").append(problem);
    return failure(MxAnswer::Status::NoSuchDomain, e);
  }
  // A resolver state of our own: res_n* calls are thread-safe on it.
  struct __res_state state;
  std::memset(&state, 0, sizeof state);
  if (res_ninit(&state) != 0) return temp_fail(domain, "no resolver configured");
  unsigned char query[NS_PACKETSZ];
  const int query_length =
      res_nmkquery(&state, ns_o_query, domain.c_str(), ns_c_in, ns_t_mx, nullptr, 0,
                   nullptr, query, sizeof query);
  if (query_length < 0) {
    res_nclose(&state);
    return temp_fail(domain, "the query could not be built");
  }
  // res_nsend, unlike res_nquery, hands back the response whatever its rcode,
  // so NXDOMAIN and a domain without MX records are told apart by the parser.
  // A truncated UDP answer is retried over TCP, hence room for 64 KiB.
  std::vector<unsigned char> response(65536);
  const int length = res_nsend(&state, query, query_length, response.data(),
                               static_cast<int>(response.size()));
  res_nclose(&state);
  if (length < 0) return temp_fail(domain, "no answer from the name servers");
  return parse_mx_response(response.data(),
                           std::min(static_cast<std::size_t>(length), response.size()),
                           domain);
}

}  // namespace mailroom::queue
