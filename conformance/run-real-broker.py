#!/usr/bin/python3
"""Runs `mqttsim conform` against a real broker started here on a free loopback port, then
stops it (by process id). Brokers: mosquitto, aedes, rabbitmq, ejabberd (install them as in
../shared/reference/real-brokers.md). The broker's profile (conformance/profiles/NAME.yaml)
supplies capabilities, credentials and declared deviations, so the exit code is 0 when every
case passes, is skipped or inconclusive, or fails as declared.

  conformance/run-real-broker.py rabbitmq --out rabbitmq-report
  conformance/run-real-broker.py mosquitto --mqtt 5 -- --only 'malformed.*'
"""
import argparse
import json
import os
import re
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import real_brokers  # noqa: E402


def find_mqttsim(given):
    for candidate in (given, os.environ.get("MQTTSIM_BIN"),
                      HERE.parent / "build" / "release" / "cli" / "mqttsim",
                      HERE.parent / "build" / "debug" / "cli" / "mqttsim", shutil.which("mqttsim")):
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    sys.exit("mqttsim not found: build it (cmake --build build/debug --target mqttsim) or --mqttsim")


def suggest_deviations(report_paths):
    """YAML `deviations:` entries for every failure in the reports, to check by hand and then
    paste into the broker's profile (never paste them unchecked: a declaration is a claim)."""
    print("deviations:  # suggested from", ", ".join(str(p) for p in report_paths))
    by_case = {}
    for path in report_paths:
        for c in json.loads(pathlib.Path(path).read_text())["cases"]:
            if c["verdict"] == "fail":
                by_case.setdefault(c["id"], []).append(c)
    for case_id, results in by_case.items():
        print(f"  - case: {case_id}")
        if len(results) == 1:
            print(f"    mqtt: {results[0]['mqtt_version']}")
        first = results[0]
        observed = re.sub(r"\bmq[0-9a-z]{8,}: ", "", first["reason"])  # the run's client ids
        reason = (first.get("broken_statement", "") + ": " + observed).strip(": ")
        print(f"    reason: {json.dumps(reason, ensure_ascii=False)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("broker", choices=sorted(real_brokers.STARTERS))
    parser.add_argument("--mqtt", default="all", help="3.1.1, 5, or all the broker speaks")
    parser.add_argument("--out", default=None, help="report folder (one subfolder per version)")
    parser.add_argument("--mqttsim", default=None, help="the mqttsim binary")
    parser.add_argument("--no-profile", action="store_true", help="run without the profile")
    parser.add_argument("--suggest-deviations", action="store_true",
                        help="print YAML deviation entries for the failures, to check by hand")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.conform_args = extra  # after --: more `mqttsim conform` options
    mqttsim = find_mqttsim(args.mqttsim)
    out = pathlib.Path(args.out or f"conform-{args.broker}")
    worst = 0
    with tempfile.TemporaryDirectory(prefix=f"mqttsim-{args.broker}-") as work:
        os.chmod(work, 0o755)  # ejabberd runs as its own user and reads its config here
        started = time.monotonic()
        broker = real_brokers.STARTERS[args.broker](work)
        print(f"{args.broker} listening on 127.0.0.1:{broker.port} "
              f"(started in {time.monotonic() - started:.1f} s)", flush=True)
        try:
            versions = broker.versions if args.mqtt == "all" else [args.mqtt]
            for version in versions:
                command = [mqttsim, "conform", f"tcp://127.0.0.1:{broker.port}", "--mqtt",
                           version, "--out", str(out / f"mqtt-{version}"), "--quiet"]
                profile = HERE / "profiles" / (broker.profile or "")
                if broker.profile and profile.is_file() and not args.no_profile:
                    command += ["--profile", str(profile)]
                command += args.conform_args
                print("$", " ".join(command), flush=True)
                t0 = time.monotonic()
                code = subprocess.run(command).returncode
                print(f"exit {code} after {time.monotonic() - t0:.1f} s", flush=True)
                worst = max(worst, code)
        finally:
            broker.stop()
            print(f"{args.broker} stopped", flush=True)
    if args.suggest_deviations:
        suggest_deviations(sorted(out.glob("mqtt-*/report.json")))
    return worst


if __name__ == "__main__":
    sys.exit(main())
