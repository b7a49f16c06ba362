// A compressed byte stream both ways, as IMAP's COMPRESS=DEFLATE (RFC 4978)
// uses it: raw DEFLATE (RFC 1951, no zlib or gzip framing) with zlib, one
// compressor for what is sent and one decompressor for what is received,
// each keeping its dictionary for the life of the connection. No I/O: bytes
// in, bytes out; a server connection and a client use it alike.
//
//   DeflateStream z;
//   std::string wire;
//   z.compress("a1 OK done\r\n", /*flush=*/true, wire);  // send `wire`
//   z.receive(bytes_read);
//   std::string text;
//   while (z.decompress(text, 64 * 1024) > 0) { consume(text); text.clear(); }
//
// Memory: the compressor holds about 2^(window_bits+2) + 2^(mem_level+9)
// octets (zlib's formula), 128 KiB with the defaults; the decompressor
// 32 KiB of window (it must accept any window the peer chose) and about
// 7 KiB of state; plus received input not yet decompressed (one read's worth
// when the caller drains it before reading more).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mailroom {

class DeflateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DeflateStream {
 public:
  struct Options {
    int level = 6;         // 1 (fast) to 9 (small)
    int window_bits = 14;  // of the compressor: 9 to 15 (a 512 octet to 32 KiB window)
    int mem_level = 7;     // of the compressor: 1 to 9
  };
  DeflateStream();
  explicit DeflateStream(const Options& options);
  ~DeflateStream();
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Compresses `data` onto `out`. `flush`: end with a sync flush (an empty
  // stored block, RFC 4978 §4), so that the peer can decompress everything
  // sent so far without waiting for more.
  void compress(std::string_view data, bool flush, std::string& out);

  // Compressed octets from the peer, kept until decompress() has read them.
  void receive(std::string_view compressed);
  // Appends up to `max` decompressed octets to `out` and returns how many;
  // 0 when what was received so far gives no more. Throws DeflateError for
  // octets that are not a DEFLATE stream, or that follow its end (a peer
  // may end its stream just before it closes the connection; ended()).
  std::size_t decompress(std::string& out, std::size_t max);
  // Whether decompress() may give more without more input.
  bool pending() const;
  bool ended() const;  // the peer's final block was decompressed

  std::size_t compressed_in() const;    // octets received
  std::size_t decompressed_out() const;  // octets they gave
  std::size_t sent_in() const;           // octets given to compress()
  std::size_t sent_out() const;          // octets compress() produced

 private:
  struct Streams;
  std::unique_ptr<Streams> z_;
};

}  // namespace mailroom
