#!/usr/bin/env python3
"""Tests of `mqttsim fuzz` over real sockets.

1. A deliberately faulty target: `mqttsim broker --test-fault stop-on-qos3-publish` (and
   stall-on-qos3-publish). The fuzzer must report a crash (a hang), save it as a replay file, and
   `--replay` must reproduce it on a fresh faulty broker and not on a healthy one.
2. When mosquitto is installed: a short run per MQTT version reports no crash or hang, and every
   other finding is one of mosquitto's deviations checked by hand (profiles/mosquitto.fuzz.known).
"""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent.parent
MQTTSIM = os.environ["MQTTSIM_BIN"]
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        FAILURES.append(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
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


def fuzz(port, out, *extra):
    cmd = [MQTTSIM, "fuzz", f"tcp://127.0.0.1:{port}", "--out", str(out), "--seed", "1", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def replay(port, path):
    cmd = [MQTTSIM, "fuzz", "--replay", str(path), f"tcp://127.0.0.1:{port}", "--probe-ms", "500"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def faulty_target(work, fault, kind):
    proc, port = start_broker(fault)
    try:
        out = work / fault
        run = fuzz(port, out, "--time", "10", "--probe-ms", "500")
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


def known_mosquitto():
    known = set()
    for line in (HERE / "profiles" / "mosquitto.fuzz.known").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, rule = line.split(None, 1)
            known.add((kind, rule.strip()))
    return known


def start_mosquitto(work):
    port = free_port()
    conf = work / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, port


def mosquitto_short_runs(work):
    known = known_mosquitto()
    for version in ("3.1.1", "5"):
        proc, port = start_mosquitto(work)
        try:
            out = work / f"mosquitto-{version}"
            run = fuzz(port, out, "--mqtt", version, "--time", "10")
        finally:
            stop(proc)
        check(run.returncode in (0, 1), f"mosquitto {version}: the run completes ({run.returncode})")
        report = json.loads((out / "report.json").read_text())
        cases = [c for c in report["cases"] if c["verdict"] == "fail"]
        for c in cases:
            signature = c["reason"].split(":", 1)[0]
            m = re.match(r"(\S+) .*\[(.*)\]$", signature)
            key = (m.group(1), m.group(2)) if m else (signature, "")
            check(key in known, f"mosquitto {version}: known deviation {key}")
        kinds = {c["id"].split(".")[1] for c in cases}
        check(not kinds & {"crash", "hang"}, f"mosquitto {version}: no crash or hang: {kinds}")
        figures = dict(report["capabilities"][0]["values"])
        check(int(figures["cases"]) > 100, f"mosquitto {version}: {figures['cases']} cases ran")


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="mqttsim-fuzz-"))
    try:
        faulty_target(work, "stop-on-qos3-publish", "crash")
        faulty_target(work, "stall-on-qos3-publish", "hang")
        if shutil.which("mosquitto"):
            mosquitto_short_runs(work)
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
