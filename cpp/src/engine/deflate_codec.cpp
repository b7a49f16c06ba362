// net::StreamCodec over the sans-IO DeflateStream, for a session that asks
// for compression (IMAP COMPRESS DEFLATE).
#include "mailroom/deflate_stream.hpp"
#include "services.hpp"

namespace mailroom::engine {

namespace {

class DeflateCodec final : public net::StreamCodec {
 public:
  void received(std::string_view wire) override { z_.receive(wire); }
  std::size_t decoded(std::string& out, std::size_t max) override {
    return z_.decompress(out, max);
  }
  bool pending() const override { return z_.pending(); }
  void encode(std::string_view data, bool flush, std::string& wire) override {
    z_.compress(data, flush, wire);
  }

 private:
  DeflateStream z_;
};

}  // namespace

std::shared_ptr<net::StreamCodec> deflate_codec() { return std::make_shared<DeflateCodec>(); }

}  // namespace mailroom::engine
