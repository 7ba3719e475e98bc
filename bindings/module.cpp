// pybind11 module `mqttsim._core`: the codec (decode/encode packets as dicts, exactly what
// `mqttsim decode` prints) here, and the simulator (sim_module.cpp). The Python package `mqttsim`
// builds its API on top.
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>

#include "bindings/sim_module.hpp"
#include "protocol/codec.hpp"
#include "protocol/packet_json.hpp"

namespace py = pybind11;
using namespace mqttsim::protocol;

namespace {

Version version_arg(const std::string& text) {
  const auto v = parse_version(text);
  if (!v) throw py::value_error("version must be '3.1', '3.1.1' or '5.0', not '" + text + "'");
  return *v;
}

Sender sender_arg(const std::string& text) {
  if (text == "client") return Sender::client;
  if (text == "server") return Sender::server;
  throw py::value_error("sender must be 'client' or 'server', not '" + text + "'");
}

py::object from_json(const nlohmann::ordered_json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

// Decodes a byte stream; returns {"packets": [...], "error": {...} or None}.
py::object py_decode(py::bytes data, const std::string& version, const std::string& sender) {
  const std::string bytes = data;
  StreamOptions options;
  options.sender = sender_arg(sender);
  options.version = version_arg(version);
  nlohmann::ordered_json out = {{"packets", nlohmann::ordered_json::array()}, {"error", nullptr}};
  {
    py::gil_scoped_release release;
    StreamDecoder decoder(options);
    decoder.feed(ByteView::of(bytes));
    Packet packet;
    StreamDecoder::Status status;
    while ((status = decoder.next(packet)) == StreamDecoder::Status::packet) {
      out["packets"].push_back(to_json(packet, *decoder.version()));
    }
    if (status == StreamDecoder::Status::malformed) out["error"] = to_json(decoder.error());
    if (status == StreamDecoder::Status::need_more && decoder.buffered_bytes() > 0) {
      out["error"] = {{"reason", "incomplete packet at the end of the input"}};
    }
  }
  return from_json(out);
}

py::bytes py_encode(py::object packet, const std::string& version, const std::string& sender) {
  const std::string text = py::str(py::module_::import("json").attr("dumps")(packet));
  TextStore store;
  auto parsed = packet_from_json(nlohmann::ordered_json::parse(text), version_arg(version), store);
  if (auto* error = std::get_if<std::string>(&parsed)) throw py::value_error(*error);
  std::vector<std::uint8_t> out;
  if (auto error =
          encode(std::get<Packet>(parsed), version_arg(version), sender_arg(sender), out)) {
    throw py::value_error(error->reason + " [" + std::string(error->spec_ref) + "]");
  }
  return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "mqttsim native core";
  m.def("decode", &py_decode, py::arg("data"), py::arg("version") = "3.1.1",
        py::arg("sender") = "client", "Decode an MQTT byte stream into packet dicts.");
  m.def("encode", &py_encode, py::arg("packet"), py::arg("version") = "3.1.1",
        py::arg("sender") = "client", "Encode one packet dict (decode's format) to bytes.");
  mqttsim::bindings::add_sim_bindings(m);
}
