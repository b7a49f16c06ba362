// Reading bytes-like Python arguments into C++ views that stay valid while the
// GIL is released.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

namespace mailroom::bindings {

// Holds the octets of a bytes-like argument (bytes, bytearray, memoryview or
// any C-contiguous buffer; optionally str, taken as UTF-8). Immutable bytes are
// viewed in place; mutable buffers are copied, since other threads may change
// them once the GIL is released.
class ByteArg {
 public:
  ByteArg(pybind11::handle obj, const char* func, const char* arg, bool allow_str) {
    namespace py = pybind11;
    if (PyBytes_Check(obj.ptr())) {
      keep_ = py::reinterpret_borrow<py::object>(obj);
      view_ = std::string_view(PyBytes_AS_STRING(obj.ptr()),
                               static_cast<std::size_t>(PyBytes_GET_SIZE(obj.ptr())));
      return;
    }
    if (allow_str && PyUnicode_Check(obj.ptr())) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
      if (data == nullptr) throw py::error_already_set();
      keep_ = py::reinterpret_borrow<py::object>(obj);  // the UTF-8 form is cached on it
      view_ = std::string_view(data, static_cast<std::size_t>(size));
      return;
    }
    if (PyObject_CheckBuffer(obj.ptr())) {
      Py_buffer buf;
      if (PyObject_GetBuffer(obj.ptr(), &buf, PyBUF_C_CONTIGUOUS) != 0) throw py::error_already_set();
      copy_.assign(static_cast<const char*>(buf.buf), static_cast<std::size_t>(buf.len));
      PyBuffer_Release(&buf);
      view_ = copy_;
      return;
    }
    throw py::type_error(std::string(func) + "(): " + arg + " must be " +
                         (allow_str ? "bytes-like or str" : "a bytes-like object") +
                         ", not " + Py_TYPE(obj.ptr())->tp_name);
  }
  std::string_view view() const { return view_; }

 private:
  pybind11::object keep_;
  std::string copy_;
  std::string_view view_;
};

inline pybind11::bytes to_bytes(const std::string& s) {
  return pybind11::bytes(s.data(), s.size());
}

}  // namespace mailroom::bindings
