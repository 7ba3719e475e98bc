#!/usr/bin/env python3
"""Tests of `mqttsim fuzz` over real sockets.

1. A deliberately faulty target: `mqttsim broker --test-fault stop-on-qos3-publish` (and
   stall-on-qos3-publish). The fuzzer must report a crash (a hang), save it as a replay file, and
   `--replay` must reproduce it on a fresh faulty broker and not on a healthy one.
2. Minimisation: with restart-on-qos3-publish (a crash the broker comes back from), the crash is
   minimised against the live broker; the minimised input is smaller and still replays.
3. Reproducibility: two runs with one seed against a fresh `mqttsim broker` write the same
   cases.log (a digest of every case's bytes); another seed writes another.
4. When mosquitto is installed: short runs per MQTT version and two seeds exit 0 with
   --known profiles/mosquitto.fuzz.known (every finding is a hand-checked deviation, never a crash
   or hang); two 400-case runs with one seed give the same cases.log; and a short run over TLS
   (a throwaway CA made with openssl) completes the same way.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
import real_brokers  # noqa: E402

MQTTSIM = os.environ["MQTTSIM_BIN"]
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


free_port = real_brokers.free_port


def wait_port(port, proc):
    if not real_brokers.wait_for_port(port, 5, [proc]):
        proc.kill()
        raise SystemExit(f"nothing listens on {port}")


def start_broker(fault=None):
    port = free_port()
    cmd = [MQTTSIM, "broker", "--listen", f"127.0.0.1:{port}"]
    if fault:
        cmd += ["--test-fault", fault]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fuzz(port, out, *extra, url=None):
    cmd = [MQTTSIM, "fuzz", url or f"tcp://127.0.0.1:{port}", "--out", str(out), *extra]
    if "--seed" not in extra:
        cmd += ["--seed", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def replay(port, path):
    cmd = [MQTTSIM, "fuzz", "--replay", str(path), f"tcp://127.0.0.1:{port}", "--probe-ms", "500"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def faulty_target(work, fault, kind):
    proc, port = start_broker(fault)
    try:
        out = work / fault
        run = fuzz(port, out, "--time", "10", "--probe-ms", "500", "--minimise-s", "0")
    finally:
        stop(proc)
    check(run.returncode == 1, f"{fault}: fuzz exits 1 on a finding (got {run.returncode})")
    report = json.loads((out / "report.json").read_text())
    failed = [c for c in report["cases"] if c["verdict"] == "fail"]
    check(len(failed) == 1 and failed[0]["id"].startswith(f"fuzz.{kind}."),
          f"{fault}: report.json has exactly one {kind} finding: {[c['id'] for c in failed]}")
    check((out / "report.html").exists(), f"{fault}: report.html is written")
    files = sorted((out / "findings").glob("*.json"))
    check(len(files) == 1, f"{fault}: one replay file saved: {[f.name for f in files]}")
    if not files:
        return
    saved = json.loads(files[0].read_text())
    check("MQTT-3.3.1-4" in saved["signature"],
          f"{fault}: the finding names the QoS 3 PUBLISH that triggers the fault: {saved['signature']}")
    proc, port = start_broker(fault)
    try:
        again = replay(port, files[0])
    finally:
        stop(proc)
    check(again.returncode == 1 and f"reproduced: {kind}" in again.stdout,
          f"{fault}: --replay reproduces it on a fresh faulty broker: {again.stdout.strip()}")
    proc, port = start_broker()
    try:
        healthy = replay(port, files[0])
    finally:
        stop(proc)
    check(healthy.returncode == 0,
          f"{fault}: --replay finds nothing on a healthy broker: {healthy.stdout.strip()}")


def minimised_crash(work):
    fault = "restart-on-qos3-publish"
    proc, port = start_broker(fault)
    try:
        out = work / fault
        run = fuzz(port, out, "--time", "6", "--probe-ms", "500", "--minimise-s", "30")
    finally:
        stop(proc)
    check(run.returncode == 1, f"{fault}: fuzz exits 1 on the crash (got {run.returncode})")
    original = sorted((out / "findings").glob("*-crash.json"))
    smaller = sorted((out / "findings").glob("*-crash.min.json"))
    check(len(original) == 1 and len(smaller) == 1,
          f"{fault}: the original and the minimised input are saved: {original} {smaller}")
    if not (original and smaller):
        print(run.stdout, run.stderr)
        return
    size = lambda path: (len(json.loads(path.read_text())["steps"]),
                         sum(len(s["hex"]) // 2 for s in json.loads(path.read_text())["steps"]))
    check(size(smaller[0]) < size(original[0]),
          f"{fault}: minimised {size(original[0])} -> {size(smaller[0])} (steps, bytes)")
    report = json.loads((out / "report.json").read_text())
    failed = [c for c in report["cases"] if c["verdict"] == "fail"]
    check(failed and "minimised from" in failed[0]["reason"],
          f"{fault}: the report shows the minimised finding: {failed[0]['reason'] if failed else ''}")
    proc, port = start_broker(fault)
    try:
        again = replay(port, smaller[0])
    finally:
        stop(proc)
    check(again.returncode == 1 and "reproduced: crash" in again.stdout,
          f"{fault}: the minimised input replays: {again.stdout.strip()}")


def case_log(out):
    return (out / "cases.log").read_text().splitlines()[1:]


def same_seed_same_cases(work):
    for version in ("3.1.1", "5"):
        logs = {}
        for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
            proc, port = start_broker()
            try:
                out = work / f"repeat-{version}-{name}"
                fuzz(port, out, "--mqtt", version, "--seed", seed, "--cases", "300", "--time", "120")
            finally:
                stop(proc)
            logs[name] = case_log(out)
        check(len(logs["a"]) == 301 and logs["a"] == logs["b"],
              f"MQTT {version}: seed 1 twice gives the same 300 case digests: {logs['a'][-1]}")
        check(logs["a"] != logs["c"], f"MQTT {version}: seed 2 gives others: {logs['c'][-1]}")


def start_mosquitto(work, tls=False):
    """mosquitto from real_brokers, over TLS with make_certificates' files in `work`."""
    files = tuple(str(work / f) for f in ("ca.crt", "server.crt", "server.key")) if tls else None
    broker = real_brokers.start_mosquitto(work, files)
    return broker, broker.port


KNOWN = str(HERE / "profiles" / "mosquitto.fuzz.known")


def judge_mosquitto_run(name, run, out):
    check(run.returncode == 0,
          f"{name}: exit 0, every finding a known deviation ({run.returncode}): "
          + " | ".join(l for l in run.stdout.splitlines() if l.startswith("finding")
                       and "known deviation" not in l))
    report = json.loads((out / "report.json").read_text())
    kinds = {c["id"].split(".")[1] for c in report["cases"] if c["verdict"] == "fail"}
    check(not kinds & {"crash", "hang"}, f"{name}: no crash or hang: {kinds}")
    figures = dict(report["capabilities"][0]["values"])
    return int(figures["cases"])


def mosquitto_short_runs(work):
    for version in ("3.1.1", "5"):
        for seed in ("1", "2"):
            proc, port = start_mosquitto(work)
            try:
                out = work / f"mosquitto-{version}-{seed}"
                run = fuzz(port, out, "--mqtt", version, "--seed", seed, "--time", "8",
                           "--known", KNOWN, "--minimise-s", "0")
            finally:
                proc.stop()
            cases = judge_mosquitto_run(f"mosquitto {version} seed {seed}", run, out)
            check(cases > 100, f"mosquitto {version} seed {seed}: {cases} cases ran")


def mosquitto_same_seed_same_cases(work):
    logs = []
    for run in range(2):
        proc, port = start_mosquitto(work)
        try:
            out = work / f"mosquitto-repeat-{run}"
            fuzz(port, out, "--mqtt", "5", "--seed", "3", "--cases", "400", "--time", "120",
                 "--minimise-s", "0")
        finally:
            proc.stop()
        logs.append(case_log(out))
    check(len(logs[0]) == 401 and logs[0] == logs[1],
          f"mosquitto 5: seed 3 twice gives the same 400 case digests: {logs[0][-1]}")


def mosquitto_over_tls(work):
    ca = real_brokers.make_certificates(work)
    proc, port = start_mosquitto(work, tls=True)
    try:
        for version in ("3.1.1", "5"):
            out = work / f"tls-{version}"
            run = fuzz(port, out, "--mqtt", version, "--time", "5", "--known", KNOWN,
                       "--minimise-s", "0", "--cafile", str(ca), url=f"tls://localhost:{port}")
            cases = judge_mosquitto_run(f"mosquitto over TLS {version}", run, out)
            check(cases > 20, f"mosquitto over TLS {version}: {cases} cases ran")
        refused = fuzz(port, work / "tls-unverified", "--time", "2", url=f"tls://localhost:{port}")
        check(refused.returncode != 0, "over TLS without our CA the broker is not trusted")
    finally:
        proc.stop()


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="mqttsim-fuzz-"))
    try:
        faulty_target(work, "stop-on-qos3-publish", "crash")
        faulty_target(work, "stall-on-qos3-publish", "hang")
        minimised_crash(work)
        same_seed_same_cases(work)
        if shutil.which("mosquitto"):
            mosquitto_short_runs(work)
            mosquitto_same_seed_same_cases(work)
            mosquitto_over_tls(work)
        else:
            print("skip mosquitto: not installed")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
