// mbox framing (RFC 4155 and the variants mail programs write): a streaming,
// sans-IO reader that turns the bytes of an mbox file, fed in chunks of any
// size, into messages with their envelope line and offset, and the writer.
//
// The variants differ in how a body line starting with "From " is kept from
// looking like the next message's envelope line:
//   mboxo    ">From " quoting of "From " lines; reading removes the one '>' of
//            a ">From " line (ambiguous by design: an original ">From " reads
//            back as "From "). Python's mailbox.mbox writes this, byte for byte.
//   mboxrd   ">*From " lines get one more '>', reading removes one: reversible.
//   mboxcl   a Content-Length field gives each body's size; quoting as mboxo.
//   mboxcl2  Content-Length, no quoting at all.
// A message ends at the next line starting with "From " (one empty line before
// it is the separator, not part of the message), or, in the Content-Length
// variants, where its Content-Length says, when a "From " line or the end of
// the input is there; a Content-Length that does not land there is a defect
// and the message is framed by its "From " lines instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailroom::mime {

enum class MboxVariant : unsigned char { detect, mboxo, mboxrd, mboxcl, mboxcl2 };

// "mboxo", "mboxrd", "mboxcl", "mboxcl2" ("detect" for detect).
std::string_view mbox_variant_name(MboxVariant variant);
// The variant of a name above; throws std::invalid_argument naming the choices.
MboxVariant mbox_variant_from_name(std::string_view name);

// Kinds: garbage (bytes before the first envelope line), bad_content_length,
// missing_content_length (a Content-Length variant given, the field absent),
// message_limit (a message over max_message_bytes: the rest of it skipped),
// truncated (the input ended inside the envelope line).
struct MboxDefect {
  std::string kind;
  std::string detail;
  std::uint64_t offset = 0;  // in the (decompressed) stream
};

struct MboxMessage {
  std::string envelope;       // the envelope line after "From ", without its line end
  std::string data;           // the message, its From quoting undone
  std::uint64_t offset = 0;   // of the envelope line in the stream
  std::uint64_t size = 0;     // stream bytes from the envelope line to the message's end
  std::vector<MboxDefect> defects;
};

constexpr std::uint64_t kDefaultMaxMboxMessage = std::uint64_t{256} << 20;

class MboxReader {
 public:
  explicit MboxReader(MboxVariant variant = MboxVariant::detect,
                      std::uint64_t max_message_bytes = kDefaultMaxMboxMessage);

  // More of the stream. Memory stays bounded by the chunk plus the message
  // being framed (at most max_message_bytes): framed messages wait in take().
  void feed(std::string_view bytes);
  // The end of the stream: frames the last message.
  void finish();
  // The messages framed so far, in order; the reader forgets them.
  std::vector<MboxMessage> take();

  // The variant given, or the one the input showed so far (detect until then).
  MboxVariant variant() const { return variant_; }
  // Defects of the stream outside any message (garbage before the first).
  const std::vector<MboxDefect>& defects() const { return defects_; }
  std::uint64_t consumed() const { return base_ + head_; }

 private:
  void frame(bool at_end);
  bool frame_one(bool at_end);
  void emit(std::size_t data_begin, std::size_t data_end, std::size_t next,
            std::vector<MboxDefect> defects);
  std::size_t find_from_line(std::size_t from) const;
  void learn_variant(std::string_view data);

  MboxVariant given_;
  MboxVariant variant_;
  std::uint64_t max_message_;
  std::string buf_;
  std::size_t head_ = 0;       // buf_[head_] starts the current message (or garbage)
  std::uint64_t base_ = 0;     // stream offset of buf_[0]
  std::size_t scan_ = 0;       // where the search for the next "From " line goes on
  bool skipping_ = false;      // past max_message_bytes: dropping to the next "From " line
  std::uint64_t garbage_end_ = ~std::uint64_t{0};  // where the last run of garbage ended
  bool finished_ = false;
  bool content_length_family_ = false;  // detect: the input uses Content-Length
  std::vector<MboxMessage> ready_;
  std::vector<MboxDefect> defects_;
};

// One message as an mbox entry: "From <envelope>\n", the message quoted as the
// variant says (Content-Length set for mboxcl and mboxcl2), a line end added
// when it has none, then the empty line that separates entries. A message that
// starts with its own "From " line gives the envelope (as Python's mailbox
// does); with neither, `envelope` must not be empty. Throws
// std::invalid_argument for a CR or LF in the envelope or MboxVariant::detect.
void append_mbox_entry(std::string& out, std::string_view envelope, std::string_view message,
                       MboxVariant variant);

// The From quoting of `variant` undone on `data` (the reader's step, exposed
// for tests and for Maildir-to-mbox conversions).
std::string unquote_from_lines(std::string_view data, MboxVariant variant);

}  // namespace mailroom::mime
