// DeflateStream: the raw DEFLATE stream of COMPRESS=DEFLATE (RFC 4978), both
// ways, checked against zlib itself as the peer.
#include <zlib.h>

#include <string>

#include "conversation.hpp"
#include "mailroom/deflate_stream.hpp"

using mailroom::DeflateError;
using mailroom::DeflateStream;

namespace {

// What a peer's raw inflater makes of `wire`.
std::string peer_inflate(const std::string& wire) {
  z_stream s{};
  inflateInit2(&s, -15);
  std::string out(wire.size() * 20 + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(wire.data()));
  s.avail_in = static_cast<uInt>(wire.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  inflate(&s, Z_SYNC_FLUSH);
  out.resize(out.size() - s.avail_out);
  inflateEnd(&s);
  return out;
}

// A peer's raw deflater: `text` compressed and sync-flushed.
std::string peer_deflate(const std::string& text) {
  z_stream s{};
  deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, text.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  s.avail_in = static_cast<uInt>(text.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_SYNC_FLUSH);
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
  return out;
}

std::string drain(DeflateStream& z, std::size_t piece) {
  std::string all, p;
  while (true) {
    p.clear();
    const std::size_t n = z.decompress(p, piece);
    CHECK(n <= piece);
    CHECK_EQ(n, p.size());
    if (n == 0) break;
    all += p;
  }
  CHECK(!z.pending());
  return all;
}

}  // namespace

TEST(each_flush_is_readable_by_the_peer_at_once) {
  DeflateStream z;
  std::string wire;
  z.compress("* OK [CAPABILITY IMAP4rev1]\r\n", false, wire);
  z.compress("a1 OK DEFLATE active\r\n", true, wire);
  // A sync flush ends in the empty stored block 00 00 ff ff.
  CHECK(wire.size() > 4 && wire.compare(wire.size() - 4, 4, std::string("\0\0\xff\xff", 4)) == 0);
  CHECK_EQ(peer_inflate(wire), std::string("* OK [CAPABILITY IMAP4rev1]\r\na1 OK DEFLATE active\r\n"));
  // The dictionary carries on: a second flush continues the same stream.
  const std::size_t first = wire.size();
  z.compress("a2 OK DEFLATE active\r\n", true, wire);
  CHECK(wire.size() - first < 22);  // repeated text costs less than itself
  CHECK_EQ(z.sent_in(), std::size_t(73));
  CHECK_EQ(z.sent_out(), wire.size());
}

TEST(input_comes_back_in_bounded_pieces_in_any_split) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "a" + std::to_string(i) + " NOOP\r\n";
  const std::string wire = peer_deflate(text);
  for (std::size_t split : {std::size_t(1), std::size_t(7), std::size_t(4096), wire.size()}) {
    DeflateStream z;
    std::string got;
    for (std::size_t i = 0; i < wire.size(); i += split) {
      z.receive(std::string_view(wire).substr(i, split));
      got += drain(z, 1000);
    }
    CHECK_EQ(got, text);
    CHECK_EQ(z.compressed_in(), wire.size());
    CHECK_EQ(z.decompressed_out(), text.size());
  }
}

TEST(a_small_input_that_expands_a_lot_is_read_a_piece_at_a_time) {
  const std::string wire = peer_deflate(std::string(8 << 20, 'x'));
  CHECK(wire.size() < 16 * 1024);
  DeflateStream z;
  z.receive(wire);
  std::string p;
  CHECK_EQ(z.decompress(p, 65536), std::size_t(65536));
  CHECK(z.pending());
  CHECK_EQ(drain(z, 65536).size(), std::size_t((8 << 20) - 65536));
}

TEST(round_trip_between_two_streams) {
  DeflateStream server, client;
  std::string wire;
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "Subject: message " + std::to_string(i) + "\r\n";
  server.compress(big, true, wire);
  client.receive(wire);
  CHECK_EQ(drain(client, 4096), big);
  wire.clear();
  client.compress("", true, wire);  // only a flush: still a valid stream
  server.receive(wire);
  CHECK_EQ(drain(server, 4096), std::string());
}

TEST(corrupt_or_ended_input_is_refused) {
  {
    DeflateStream z;
    z.receive(std::string("\xff\xff\xff\xff garbage", 12));
    std::string p;
    bool refused = false;
    try {
      z.decompress(p, 4096);
    } catch (const DeflateError&) {
      refused = true;
    }
    CHECK(refused);
  }
  {
    // A final block (BFINAL), as Dovecot sends before it closes: its text
    // is the last input; octets after it are refused.
    z_stream s{};
    deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    std::string text = "a1 NOOP\r\n", out(256, '\0');
    s.next_in = reinterpret_cast<Bytef*>(text.data());
    s.avail_in = static_cast<uInt>(text.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(out.size() - s.avail_out);
    deflateEnd(&s);
    DeflateStream z;
    z.receive(out);
    std::string p;
    while (z.decompress(p, 4096) > 0) {
    }
    CHECK(p == text);
    CHECK(z.ended());
    z.receive("x");
    bool refused = false;
    try {
      z.decompress(p, 4096);
    } catch (const DeflateError&) {
      refused = true;
    }
    CHECK(refused);
  }
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
