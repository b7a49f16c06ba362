#include "mailroom/deflate_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace mailroom {

struct DeflateStream::Streams {
  z_stream out{};  // compressor
  z_stream in{};   // decompressor
  std::string input;     // received, not yet decompressed (from input_at)
  std::size_t input_at = 0;
  bool more = false;     // the last decompress() filled all it was allowed
  bool ended = false;    // the peer's final block is in
  std::size_t received = 0, decompressed = 0, given = 0, produced = 0;
};

namespace {

uInt chunk(std::size_t n) { return static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX / 2)); }

}  // namespace

DeflateStream::DeflateStream() : DeflateStream(Options{}) {}

DeflateStream::DeflateStream(const Options& o) : z_(std::make_unique<Streams>()) {
  const int bits = std::clamp(o.window_bits, 9, 15);
  // Negative window bits: raw DEFLATE, no zlib header or checksum.
  if (deflateInit2(&z_->out, std::clamp(o.level, 1, 9), Z_DEFLATED, -bits,
                   std::clamp(o.mem_level, 1, 9), Z_DEFAULT_STRATEGY) != Z_OK)
    throw DeflateError("cannot start a DEFLATE compressor (out of memory?)");
  // RFC 4978 §4: the peer may use any window up to 32 KiB.
  if (inflateInit2(&z_->in, -15) != Z_OK) {
    deflateEnd(&z_->out);
    throw DeflateError("cannot start a DEFLATE decompressor (out of memory?)");
  }
}

DeflateStream::~DeflateStream() {
  deflateEnd(&z_->out);
  inflateEnd(&z_->in);
}

void DeflateStream::compress(std::string_view data, bool flush, std::string& out) {
  z_stream& s = z_->out;
  const char* p = data.data();
  std::size_t left = data.size();
  z_->given += data.size();
  for (;;) {
    const uInt take = chunk(left);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    s.avail_in = take;
    const bool last = take == left;
    const int mode = last && flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    do {
      const std::size_t before = out.size();
      const std::size_t room = std::max<std::size_t>(deflateBound(&s, s.avail_in) + 16, 4096);
      out.resize(before + room);
      s.next_out = reinterpret_cast<Bytef*>(out.data() + before);
      s.avail_out = static_cast<uInt>(room);
      const int r = deflate(&s, mode);
      out.resize(before + (room - s.avail_out));
      z_->produced += room - s.avail_out;
      if (r == Z_STREAM_ERROR) throw DeflateError("DEFLATE compressor failed");
      // Z_BUF_ERROR: nothing to do (no input, nothing to flush): done.
      if (r == Z_BUF_ERROR) break;
    } while (s.avail_out == 0 || s.avail_in > 0);
    p += take;
    left -= take;
    if (last) break;
  }
}

void DeflateStream::receive(std::string_view compressed) {
  if (z_->input_at == z_->input.size()) {
    z_->input.clear();
    z_->input_at = 0;
  }
  z_->input.append(compressed);
  z_->received += compressed.size();
}

std::size_t DeflateStream::decompress(std::string& out, std::size_t max) {
  z_stream& s = z_->in;
  const std::size_t left = z_->input.size() - z_->input_at;
  if (z_->ended && left > 0) throw DeflateError("octets after the end of the peer's DEFLATE stream");
  if (max == 0 || (left == 0 && !z_->more) || z_->ended) return 0;
  const std::size_t before = out.size();
  out.resize(before + max);
  s.next_in = reinterpret_cast<Bytef*>(z_->input.data() + z_->input_at);
  s.avail_in = chunk(left);
  s.next_out = reinterpret_cast<Bytef*>(out.data() + before);
  s.avail_out = chunk(max);
  const uInt room = s.avail_out;
  const int r = inflate(&s, Z_SYNC_FLUSH);
  const std::size_t got = room - s.avail_out;
  out.resize(before + got);
  z_->input_at += left - s.avail_in;
  z_->decompressed += got;
  z_->more = s.avail_out == 0;
  if (z_->input_at == z_->input.size()) {
    z_->input.clear();
    z_->input_at = 0;
  }
  // A peer that closes the connection may end its stream first (Dovecot
  // does after LOGOUT's OK): what the final block held is the last input.
  if (r == Z_STREAM_END) {
    z_->ended = true;
    z_->more = false;
    return got;
  }
  if (r == Z_DATA_ERROR || r == Z_NEED_DICT)
    throw DeflateError(std::string("not a DEFLATE stream: ") + (s.msg ? s.msg : "corrupt data"));
  if (r == Z_MEM_ERROR) throw DeflateError("DEFLATE decompressor out of memory");
  if (r == Z_BUF_ERROR) z_->more = false;  // no progress possible without more input
  return got;
}

bool DeflateStream::pending() const { return z_->more || z_->input_at < z_->input.size(); }
bool DeflateStream::ended() const { return z_->ended; }

std::size_t DeflateStream::compressed_in() const { return z_->received; }
std::size_t DeflateStream::decompressed_out() const { return z_->decompressed; }
std::size_t DeflateStream::sent_in() const { return z_->given; }
std::size_t DeflateStream::sent_out() const { return z_->produced; }

}  // namespace mailroom
