// MX lookup: DNS responses built octet by octet (RFC 1035 §4.1) and parsed,
// then a live call through the system resolver that must only return.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/queue/mx.hpp"

using namespace mailroom::queue;
using Status = MxAnswer::Status;

namespace {

// A DNS message under construction.
struct Dns {
  std::vector<unsigned char> b;

  Dns& u16(unsigned v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v & 0xFF));
    return *this;
  }
  Dns& u32(unsigned long v) { return u16((v >> 16) & 0xFFFF).u16(v & 0xFFFF); }
  // Labels; a name ending in '@' ends in a pointer to `pointer` instead of the root.
  Dns& name(std::string_view dotted, int pointer = -1) {
    while (!dotted.empty()) {
      const std::size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      b.push_back(static_cast<unsigned char>(label.size()));
      b.insert(b.end(), label.begin(), label.end());
      dotted.remove_prefix(dot == std::string_view::npos ? dotted.size() : dot + 1);
    }
    if (pointer >= 0)
      u16(0xC000u | static_cast<unsigned>(pointer));
    else
      b.push_back(0);
    return *this;
  }
  // Header: a response (QR, RD, RA) with `rcode`, one question.
  static Dns response(unsigned answers, unsigned rcode = 0,
                      std::string_view q = "example.com") {
    Dns d;
    d.u16(0x1234).u16(0x8180 | rcode).u16(1).u16(answers).u16(0).u16(0);
    d.name(q).u16(15).u16(1);  // QTYPE MX, QCLASS IN
    return d;
  }
  // An MX record with uncompressed names.
  Dns& mx(std::string_view owner, unsigned preference, std::string_view exchange) {
    name(owner).u16(15).u16(1).u32(3600);
    const std::size_t length_at = b.size();
    u16(0).u16(preference).name(exchange);
    const std::size_t rdlength = b.size() - length_at - 2;
    b[length_at] = static_cast<unsigned char>(rdlength >> 8);
    b[length_at + 1] = static_cast<unsigned char>(rdlength & 0xFF);
    return *this;
  }
  MxAnswer parse(const std::string& domain = "example.com") const {
    return parse_mx_response(b.data(), b.size(), domain);
  }
};

std::string hosts(const MxAnswer& a) {
  std::string s;
  for (const MxHost& h : a.hosts) {
    if (!s.empty()) s += ' ';
    s += std::to_string(h.preference);
    s += ':';
    s += h.host;
  }
  return s;
}

}  // namespace

TEST(two_mx_sorted_by_preference) {
  const MxAnswer a = Dns::response(2)
                         .mx("example.com", 20, "backup.example.net")
                         .mx("example.com", 10, "mx1.example.com")
                         .parse();
  CHECK(a.status == Status::Ok);
  CHECK_EQ(hosts(a), std::string("10:mx1.example.com 20:backup.example.net"));
  CHECK(a.error.empty());
  // An absolute name and another case ask for the same domain.
  CHECK_EQ(hosts(Dns::response(1)
                     .mx("EXAMPLE.com", 5, "mx.example.com")
                     .parse("example.com.")),
           std::string("5:mx.example.com"));
}

TEST(compressed_names) {
  // The question name starts at offset 12; the owner is a pointer to it, the
  // exchange "mx" followed by a pointer to it; the second exchange points to the first.
  Dns d = Dns::response(2);
  const std::size_t first_rdata = d.b.size() + 2 + 10;
  d.u16(0xC00C).u16(15).u16(1).u32(300).u16(2 + 3 + 2).u16(10).name("mx", 12);
  d.u16(0xC00C).u16(15).u16(1).u32(300).u16(2 + 7 + 2).u16(20).name(
      "backup", static_cast<int>(first_rdata + 2));
  const MxAnswer a = d.parse();
  CHECK(a.status == Status::Ok);
  CHECK_EQ(hosts(a), std::string("10:mx.example.com 20:backup.mx.example.com"));
}

TEST(pointer_loops_and_forward_pointers_fail) {
  Dns self = Dns::response(1);
  const std::size_t at = self.b.size();
  self.u16(0xC000u | static_cast<unsigned>(at))
      .u16(15)
      .u16(1)
      .u32(0)
      .u16(3)
      .u16(0)
      .u16(0);
  CHECK(self.parse().status == Status::TempFail);
  Dns forward = Dns::response(1);
  forward.u16(0xC000u | static_cast<unsigned>(forward.b.size() + 2))
      .name("example.com");
  CHECK(forward.parse().status == Status::TempFail);
}

TEST(null_mx) {
  const MxAnswer a = Dns::response(1).mx("example.com", 0, "").parse();
  CHECK(a.status == Status::NullMx);
  CHECK(a.hosts.empty());
  CHECK(a.error.find("does not accept mail") != std::string::npos);
  // Next to a real MX, the null MX names no host and is skipped.
  const MxAnswer b = Dns::response(2)
                         .mx("example.com", 0, "")
                         .mx("example.com", 10, "mx.example.com")
                         .parse();
  CHECK(b.status == Status::Ok);
  CHECK_EQ(hosts(b), std::string("10:mx.example.com"));
}

TEST(nxdomain) {
  const MxAnswer a = Dns::response(0, 3).parse("nowhere.example");
  CHECK(a.status == Status::NoSuchDomain);
  CHECK(a.hosts.empty());
  CHECK(a.error.find("nowhere.example") != std::string::npos);
}

TEST(servfail_and_other_errors) {
  CHECK(Dns::response(0, 2).parse().status == Status::TempFail);
  CHECK(Dns::response(0, 5).parse().status == Status::TempFail);  // REFUSED
  const MxAnswer a = Dns::response(0, 2).parse();
  CHECK(a.error.find("SERVFAIL") != std::string::npos);
  // A query (QR clear) is no response.
  Dns q = Dns::response(1).mx("example.com", 10, "mx.example.com");
  q.b[2] &= 0x7F;
  CHECK(q.parse().status == Status::TempFail);
}

TEST(no_mx_means_implicit_mx) {
  const MxAnswer a = Dns::response(0).parse("example.com.");
  CHECK(a.status == Status::Ok);
  CHECK_EQ(hosts(a), std::string("0:example.com"));
  // Records of other types and other owners are no MX of this domain.
  Dns d = Dns::response(2).mx("other.example", 10, "mx.other.example");
  d.name("example.com").u16(1).u16(1).u32(60).u16(4).u32(0xC0000201);  // A 192.0.2.1
  CHECK_EQ(hosts(d.parse()), std::string("0:example.com"));
  // But a truncated response without answers may have lost them.
  Dns tc = Dns::response(0);
  tc.b[2] |= 0x02;
  CHECK(tc.parse().status == Status::TempFail);
}

TEST(cname_chain) {
  Dns d = Dns::response(3, 0, "alias.example.com");
  d.name("alias.example.com").u16(5).u16(1).u32(60);
  const std::string target = "real.example.com";
  d.u16(static_cast<unsigned>(target.size() + 2)).name(target);
  d.mx("real.example.com", 10, "mx.example.com");
  d.mx("unrelated.example", 1, "mx.unrelated.example");
  CHECK_EQ(hosts(d.parse("alias.example.com")), std::string("10:mx.example.com"));
}

TEST(truncated_and_garbage_messages) {
  const Dns full = Dns::response(2)
                       .mx("example.com", 20, "backup.example.net")
                       .mx("example.com", 10, "mx1.example.com");
  int temp_fails = 0;
  for (std::size_t cut = 0; cut < full.b.size(); ++cut) {
    const MxAnswer a = parse_mx_response(full.b.data(), cut, "example.com");
    temp_fails += a.status == Status::TempFail && a.hosts.empty() && !a.error.empty();
  }
  CHECK_EQ(temp_fails, static_cast<int>(full.b.size()));
  CHECK(parse_mx_response(nullptr, 0, "example.com").status == Status::TempFail);
  // Pseudo-random octets, and random octets after a valid header.
  std::uint32_t x = 7;
  std::vector<unsigned char> junk(600);
  for (int round = 0; round < 2000; ++round) {
    for (auto& c : junk) {
      x = x * 1103515245u + 12345u;
      c = static_cast<unsigned char>(x >> 16);
    }
    if (round % 2) std::copy(full.b.begin(), full.b.begin() + 12, junk.begin());
    const MxAnswer a =
        parse_mx_response(junk.data(), junk.size() - (x % 600), "example.com");
    CHECK(a.hosts.size() <= kMaxMxHosts);
    CHECK((a.status == Status::Ok) == !a.hosts.empty());
  }
}

TEST(invalid_exchange_names_skipped) {
  const MxAnswer a = Dns::response(2)
                         .mx("example.com", 5, "bad host.example.com")
                         .mx("example.com", 10, "mx.example.com")
                         .parse();
  CHECK_EQ(hosts(a), std::string("10:mx.example.com"));
  const MxAnswer b = Dns::response(1).mx("example.com", 5, "evil\r\nhost").parse();
  CHECK(b.status == Status::TempFail);
}

TEST(equal_preferences_in_random_order_and_bounded) {
  std::set<std::string> orders;
  for (int i = 0; i < 60; ++i) {
    const MxAnswer a = Dns::response(4)
                           .mx("example.com", 10, "a.example.com")
                           .mx("example.com", 10, "b.example.com")
                           .mx("example.com", 5, "first.example.com")
                           .mx("example.com", 10, "c.example.com")
                           .parse();
    CHECK_EQ(a.hosts.size(), std::size_t{4});
    if (a.hosts.size() != 4) return;
    CHECK_EQ(a.hosts[0].host, std::string("first.example.com"));
    orders.insert(hosts(a));
  }
  CHECK(orders.size() > 1);

  Dns many = Dns::response(40);
  for (int i = 0; i < 40; ++i)
    many.mx("example.com", static_cast<unsigned>(100 - i),
            "mx" + std::to_string(i) + ".example.com");
  const MxAnswer a = many.parse();
  CHECK_EQ(a.hosts.size(), kMaxMxHosts);
  CHECK_EQ(a.hosts.front().preference, 61);
  CHECK_EQ(a.hosts.back().preference, 76);
  // The same host twice is kept once, with its lower preference.
  CHECK_EQ(hosts(Dns::response(2)
                     .mx("example.com", 20, "mx.example.com")
                     .mx("example.com", 10, "MX.example.com")
                     .parse()),
           std::string("10:mx.example.com"));
}

TEST(invalid_domains_are_not_queried) {
  const std::string long_label(64, 'a');
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string("a..example"),
        std::string(".example"), long_label + ".example", long_name,
        std::string("exa mple.com"), std::string("example.com\r\nRCPT TO:<x>"),
        std::string("caf\xc3\xa9.example"), std::string("a@b.example")}) {
    const MxAnswer a = lookup_mx(bad);
    CHECK(a.status == Status::NoSuchDomain);
    CHECK(a.error.find("Invalid domain name") == 0);
    CHECK(a.error.find_first_of("\r\n") == std::string::npos);
  }
}

TEST(live_lookup_returns) {
  // Whatever the network: the call returns, and its answer is consistent.
  setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
  for (const char* name : {"localhost", "mailroom.invalid"}) {
    const MxAnswer a = lookup_mx(name);
    CHECK((a.status == Status::Ok) == !a.hosts.empty());
    CHECK(a.status == Status::Ok || !a.error.empty());
  }
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
