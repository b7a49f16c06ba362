// mailroom._core codec functions: base64, quoted-printable, charsets and
// header encodings. Arguments are converted first, then the GIL is released.
#include <string>

#include "bytes_arg.hpp"
#include "mailroom/mime/codecs.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace mime = mailroom::mime;

namespace mailroom::bindings {
namespace {

std::string str_arg(py::handle obj, const char* func, const char* arg) {
  if (!PyUnicode_Check(obj.ptr()) && !PyBytes_Check(obj.ptr()) && !PyByteArray_Check(obj.ptr()) &&
      !PyMemoryView_Check(obj.ptr()))
    throw py::type_error(std::string(func) + "(): " + arg + " must be str or bytes, not " +
                         Py_TYPE(obj.ptr())->tp_name);
  return std::string(ByteArg(obj, func, arg, true).view());
}

[[noreturn]] void raise_strict(const char* what, const mime::CodecIssue& issue) {
  throw py::value_error(std::string("invalid ") + what + " at offset " +
                        std::to_string(issue.offset) + ": " + issue.reason);
}

}  // namespace

void register_codecs(py::module_& m) {
  py::module_ mime_ = m.def_submodule("mime");
  mime_.def(
      "b64encode",
      [](py::handle data, std::size_t wrap) {
        ByteArg in(data, "b64encode", "data", false);
        std::string out;
        {
          py::gil_scoped_release nogil;
          out = mime::base64_encode(in.view(), wrap);
        }
        return to_bytes(out);
      },
      py::arg("data"), py::arg("wrap") = 76,
      "base64; with wrap > 0 every line (the last too) ends in CRLF and holds at most "
      "`wrap` characters.");

  mime_.def(
      "b64decode",
      [](py::handle data, bool strict) {
        ByteArg in(data, "b64decode", "data", true);
        mime::CodecIssue issue;
        std::string out;
        {
          py::gil_scoped_release nogil;
          out = mime::base64_decode(in.view(), issue);
        }
        if (strict) {
          if (issue.bad) raise_strict("base64", issue);
          if (issue.unpadded) {
            issue.offset = in.view().size();
            issue.reason = "missing '=' padding";
            raise_strict("base64", issue);
          }
        }
        return to_bytes(out);
      },
      py::arg("data"), py::arg("strict") = false,
      "Decodes base64, skipping line ends and white space. Lenient by default; with "
      "strict=True anything else outside the alphabet, bad padding or a cut-off input "
      "raises ValueError.");

  mime_.def(
      "qp_encode",
      [](py::handle data, std::size_t max_line) {
        ByteArg in(data, "qp_encode", "data", false);
        if (max_line < 4) throw py::value_error("qp_encode(): max_line must be at least 4");
        std::string out;
        {
          py::gil_scoped_release nogil;
          out = mime::qp_encode(in.view(), max_line);
        }
        return to_bytes(out);
      },
      py::arg("data"), py::arg("max_line") = 76,
      "Quoted-printable for bodies: CRLF line ends, soft breaks so no line exceeds "
      "max_line.");

  mime_.def(
      "qp_decode",
      [](py::handle data, bool strict) {
        ByteArg in(data, "qp_decode", "data", true);
        mime::CodecIssue issue;
        std::string out;
        {
          py::gil_scoped_release nogil;
          out = mime::qp_decode(in.view(), issue);
        }
        if (strict && issue.bad) raise_strict("quoted-printable", issue);
        return to_bytes(out);
      },
      py::arg("data"), py::arg("strict") = false,
      "Decodes quoted-printable; a malformed '=' is kept (or raises ValueError when "
      "strict).");

  mime_.def(
      "decode_header",
      [](py::handle raw) {
        const std::string in = str_arg(raw, "decode_header", "raw");
        py::gil_scoped_release nogil;
        return mime::decode_header(in);
      },
      py::arg("raw"), "Unfolds a header value and decodes its RFC 2047 encoded-words.");

  mime_.def(
      "encode_header",
      [](const std::string& value, std::size_t name_len) {
        py::gil_scoped_release nogil;
        return mime::encode_header(value, name_len);
      },
      py::arg("value"), py::arg("name_len") = 0,
      "Encodes and folds a header value for a field name of name_len octets.");

  mime_.def(
      "encode_phrase",
      [](const std::string& name) {
        py::gil_scoped_release nogil;
        return mime::encode_phrase(name);
      },
      py::arg("name"), "A display name as atoms, a quoted-string or encoded-words.");

  mime_.def(
      "encode_param",
      [](const std::string& name, const std::string& value) {
        py::gil_scoped_release nogil;
        return mime::encode_param(name, value);
      },
      py::arg("name"), py::arg("value"),
      "One MIME parameter, RFC 2231-encoded (with continuations) when needed.");

  mime_.def(
      "rfc2231_decode",
      [](const std::string& value) {
        py::gil_scoped_release nogil;
        return mime::rfc2231_decode(value);
      },
      py::arg("value"), "Decodes an RFC 2231 extended value charset'lang'%XX...");

  mime_.def(
      "to_utf8",
      [](py::handle data, const std::string& charset) {
        ByteArg in(data, "to_utf8", "data", false);
        std::string out;
        bool known = false;
        {
          py::gil_scoped_release nogil;
          known = mime::to_utf8(in.view(), charset, out);
        }
        if (!known) {
          PyErr_SetString(PyExc_LookupError, ("unknown charset: " + charset).c_str());
          throw py::error_already_set();
        }
        return out;
      },
      py::arg("data"), py::arg("charset"),
      "Decodes data in a MIME charset to str; undecodable bytes become U+FFFD.");

  mime_.def("canonical_charset", &mime::canonical_charset, py::arg("label"),
        "The iconv name for a MIME charset label.");
}

}  // namespace mailroom::bindings
