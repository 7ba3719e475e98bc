// The simulator as `mqttsim._core` exposes it: check a scenario (YAML text + overrides), run it
// with the GIL released, and hand back the run report (JSON/HTML text, the CLI's writers) and
// the delivery ledger as NumPy structured arrays. The Python package wraps these in its API.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/sim_module.hpp"
#include "reports/run_report.hpp"
#include "sim/scenario/load.hpp"
#include "sim/scenario/pcap_capture.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/world.hpp"
#include "sim/trace.hpp"

namespace py = pybind11;
namespace scn = mqttsim::sim::scenario;
namespace nodes = mqttsim::sim::nodes;
using mqttsim::sim::TimeNs;

namespace mqttsim::bindings {
namespace {

// One row per delivery in the ledger, in the order they happened.
struct DeliveryRow {
  std::int64_t time_ns;
  std::int64_t published_ns;
  std::int64_t latency_ns;  // time_ns − published_ns
  std::uint64_t message;    // the ledger's message key (1, 2, ...)
  std::uint32_t subscriber;
  std::uint32_t publisher;
  std::uint32_t topic;
  std::int8_t qos;            // as delivered
  std::int8_t published_qos;  // as the message was published
  bool dup;
  bool retain;
};

// One row per message a virtual client published (Wills included, flagged).
struct MessageRow {
  std::uint64_t message;
  std::int64_t published_ns;
  std::int64_t acked_ns;  // -1: never acknowledged
  std::uint32_t publisher;
  std::uint32_t topic;
  std::uint32_t payload_size_bytes;
  std::uint32_t deliveries;
  std::uint16_t packet_id;
  std::int8_t qos;
  std::uint8_t ack_reason;
  bool acked;
  bool retain;
  bool refused;
  bool will;
};

// Thrown from the progress callback when Python has a pending signal (Ctrl-C): unwinds out of
// World::run between kernel steps, where nothing is half done.
struct Interrupted {};

// NumPy is imported on first use of an array, not when the module loads (the codec needs none).
void register_dtypes() {
  static bool registered = false;  // guarded by the GIL, which every caller holds
  if (registered) return;
  PYBIND11_NUMPY_DTYPE(DeliveryRow, time_ns, published_ns, latency_ns, message, subscriber,
                       publisher, topic, qos, published_qos, dup, retain);
  PYBIND11_NUMPY_DTYPE(MessageRow, message, published_ns, acked_ns, publisher, topic,
                       payload_size_bytes, deliveries, packet_id, qos, ack_reason, acked, retain,
                       refused, will);
  registered = true;
}

std::string hex16(std::uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

// A finished run: the World (for ledger queries) and its report. Immutable once built.
class NativeRun {
 public:
  NativeRun(std::unique_ptr<scn::World> world, reports::RunReport report)
      : world_(std::move(world)), report_(std::move(report)) {}

  std::string json() const { return write(reports::write_run_json); }
  std::string html() const { return write(reports::write_run_html); }
  std::string summary() const { return write(reports::write_run_summary); }
  bool passed() const { return report_.passed(); }
  std::string trace_digest() const { return report_.trace_digest; }
  std::uint64_t seed() const { return report_.seed; }

  // Publish → first delivery per expected pair, over messages published before the report's
  // cutoff (the last `measure.settle` of the run is left out, as in report.json).
  py::array_t<std::int64_t> latencies_ns(int qos) const {
    if (qos < 0 || qos > 2) throw py::value_error("qos must be 0, 1 or 2");
    std::vector<TimeNs> samples;
    {
      py::gil_scoped_release release;
      samples = world_->ledger().latency_samples_ns(static_cast<protocol::QoS>(qos), cutoff_ns());
    }
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(samples.size()));
    std::copy(samples.begin(), samples.end(), out.mutable_data());
    return out;
  }

  py::array deliveries() const {
    register_dtypes();
    const nodes::DeliveryLedger& ledger = world_->ledger();
    py::array_t<DeliveryRow> out(static_cast<py::ssize_t>(ledger.deliveries().size()));
    DeliveryRow* row = out.mutable_data();
    for (const nodes::DeliveryRecord& d : ledger.deliveries()) {
      const nodes::MessageRecord* m = d.message ? &ledger.message(d.message) : nullptr;
      *row++ = DeliveryRow{d.time_ns,
                           m ? m->published_ns : -1,
                           m ? d.time_ns - m->published_ns : -1,
                           d.message,
                           d.subscriber,
                           m ? m->publisher : UINT32_MAX,
                           d.topic,
                           static_cast<std::int8_t>(d.qos),
                           static_cast<std::int8_t>(m ? m->level() : -1),
                           d.dup,
                           d.retain};
    }
    return out;
  }

  py::array messages() const {
    register_dtypes();
    const nodes::DeliveryLedger& ledger = world_->ledger();
    py::array_t<MessageRow> out(static_cast<py::ssize_t>(ledger.message_count()));
    MessageRow* row = out.mutable_data();
    for (nodes::MessageKey key = 1; key <= ledger.message_count(); ++key) {
      const nodes::MessageRecord& m = ledger.message(key);
      std::uint32_t count = 0;
      for (std::uint32_t i = m.first_delivery; i != nodes::kNoDelivery;
           i = ledger.deliveries()[i].next_of_message) {
        ++count;
      }
      *row++ = MessageRow{key,          m.published_ns, m.acked_ns,
                          m.publisher,  m.topic,        m.payload_size_bytes,
                          count,        m.packet_id,    static_cast<std::int8_t>(m.level()),
                          m.ack_reason, m.acked(),      m.retain,
                          m.refused,    m.will};
    }
    return out;
  }

  std::vector<std::string> client_names() const {
    std::vector<std::string> names;
    const nodes::DeliveryLedger& ledger = world_->ledger();
    for (std::size_t c = 0; c < ledger.client_count(); ++c) {
      names.push_back(ledger.client_name(static_cast<nodes::LedgerClient>(c)));
    }
    return names;
  }

  std::string topic_name(std::uint32_t id) const { return world_->ledger().topic_name(id); }

 private:
  TimeNs cutoff_ns() const {
    const scn::ScenarioSpec& spec = world_->spec();
    return spec.duration_ns - spec.settle_ns();
  }
  std::string write(void (*writer)(const reports::RunReport&, std::ostream&)) const {
    std::ostringstream out;
    writer(report_, out);
    return out.str();
  }

  std::unique_ptr<scn::World> world_;
  reports::RunReport report_;
};

// {"errors": [...]} or {"errors": [], "name", "digest", "seed", "duration_ns", ...}.
py::dict load(const std::string& text, const std::string& name,
              const std::vector<std::string>& overrides) {
  scn::LoadResult loaded;
  {
    py::gil_scoped_release release;
    loaded = scn::parse_scenario(text, name, overrides);
  }
  py::dict out;
  out["errors"] = loaded.errors;
  if (!loaded.spec) return out;
  const scn::ScenarioSpec& spec = *loaded.spec;
  out["name"] = spec.name;
  out["digest"] = hex16(spec.digest);
  out["seed"] = spec.seed;
  out["duration_ns"] = spec.duration_ns;
  out["trace"] = spec.measure.trace;
  out["pcap"] = spec.measure.pcap;
  out["canonical_yaml"] = spec.canonical_yaml;
  return out;
}

// Every message of a scenario that does not load (or cannot be built), as the CLI prints them.
struct ScenarioLoadError {
  std::vector<std::string> errors;
};

// Builds and runs the World; call with the GIL released. Null when Python asked to stop (a
// signal such as Ctrl-C is pending; the caller raises it).
std::unique_ptr<NativeRun> run_world(const scn::ScenarioSpec& spec, const std::string& name,
                                     std::optional<std::uint64_t> seed,
                                     const std::optional<std::string>& trace_path,
                                     const std::optional<std::string>& pcap_path) {
  const auto start = std::chrono::steady_clock::now();
  std::ofstream trace_file;
  std::optional<sim::JsonlTraceSink> sink;
  if (trace_path) {
    trace_file.open(*trace_path);
    if (!trace_file) throw std::invalid_argument("cannot write the trace to " + *trace_path);
    sink.emplace(trace_file);
  }
  std::unique_ptr<scn::World> world;
  try {
    world = std::make_unique<scn::World>(spec, seed, sink ? &*sink : nullptr);
  } catch (const scn::WorldError& e) {
    throw ScenarioLoadError{{name + ": " + e.what()}};
  }
  std::ofstream pcap_file;
  std::optional<scn::PcapCapture> capture;
  if (pcap_path) {
    pcap_file.open(*pcap_path, std::ios::binary);
    if (!pcap_file) throw std::invalid_argument("cannot write the capture to " + *pcap_path);
    capture.emplace(pcap_file);
    world->set_capture(&*capture);
  }
  try {
    world->run([](const scn::Progress&) {
      py::gil_scoped_acquire hold;
      if (PyErr_CheckSignals() != 0) throw Interrupted{};
    });
  } catch (const Interrupted&) {
    return nullptr;
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  reports::RunReport report =
      scn::make_run_report(*world, wall_s, std::string("mqttsim ") + MQTTSIM_VERSION);
  return std::make_unique<NativeRun>(std::move(world), std::move(report));
}

std::unique_ptr<NativeRun> simulate(const std::string& text, const std::string& name,
                                    const std::vector<std::string>& overrides,
                                    std::optional<std::uint64_t> seed,
                                    const std::optional<std::string>& trace_path,
                                    const std::optional<std::string>& pcap_path) {
  scn::LoadResult loaded;
  {
    py::gil_scoped_release release;
    loaded = scn::parse_scenario(text, name, overrides);
  }
  if (!loaded.spec) throw ScenarioLoadError{loaded.errors};
  std::unique_ptr<NativeRun> result;
  {
    py::gil_scoped_release release;
    result = run_world(*loaded.spec, name, seed, trace_path, pcap_path);
  }
  if (!result) throw py::error_already_set();
  return result;
}

}  // namespace

void add_sim_bindings(py::module_& m) {
  py::class_<NativeRun>(m, "NativeRun", "A finished simulation (see mqttsim.Result).")
      .def("json", &NativeRun::json, "report.json's text")
      .def("html", &NativeRun::html, "report.html's text")
      .def("summary", &NativeRun::summary, "the table `mqttsim run` prints")
      .def_property_readonly("passed", &NativeRun::passed)
      .def_property_readonly("trace_digest", &NativeRun::trace_digest)
      .def_property_readonly("seed", &NativeRun::seed)
      .def("latencies_ns", &NativeRun::latencies_ns, py::arg("qos"))
      .def("deliveries", &NativeRun::deliveries)
      .def("messages", &NativeRun::messages)
      .def("client_names", &NativeRun::client_names)
      .def("topic_name", &NativeRun::topic_name, py::arg("id"));
  m.def("load", &load, py::arg("text"), py::arg("name"), py::arg("overrides"),
        "Check a scenario: {'errors': [...]} plus its name, digest, seed, ... when it loads.");
  m.def("simulate", &simulate, py::arg("text"), py::arg("name"), py::arg("overrides"),
        py::arg("seed") = py::none(), py::arg("trace_path") = py::none(),
        py::arg("pcap_path") = py::none(),
        "Load and run a scenario with the GIL released; returns a NativeRun.");
  m.attr("version") = MQTTSIM_VERSION;
  // Scenario problems become mqttsim.ScenarioError (a ValueError) carrying every message.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ScenarioLoadError& e) {
      py::object type = py::module_::import("mqttsim.errors").attr("ScenarioError");
      py::object error = type(py::cast(e.errors));
      PyErr_SetObject(type.ptr(), error.ptr());
    }
  });
}

}  // namespace mqttsim::bindings
