"""mqttsim.check and mqttsim.conform: the CLI subcommands, run as the `mqttsim` executable.

They mirror the CLI's options and exit codes (0 pass, 1 failed, 2 usage, 3 not built) rather
than re-implementing anything: a subcommand that is not built raises NotBuiltError with the
executable's own message. The executable is found via MQTTSIM_BIN, next to the package (the
build tree or an install prefix), or on PATH.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from .errors import CliError, NotBuiltError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_BUILT = 0, 1, 2, 3


def find_executable():
    """The `mqttsim` executable's path, or FileNotFoundError saying where it was looked for."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ.get("MQTTSIM_BIN")
    if env:
        if os.access(env, os.X_OK):
            return env
        raise FileNotFoundError(f"MQTTSIM_BIN={env} is not an executable file")
    candidates = [
        os.path.join(here, "..", "..", "cli", "mqttsim"),  # build tree: build/<preset>/bindings
        os.path.join(sys.prefix, "bin", "mqttsim"),  # `cmake --install` into a virtualenv
    ]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.normpath(path)
    on_path = shutil.which("mqttsim")
    if on_path:
        return on_path
    raise FileNotFoundError(
        "the mqttsim executable was not found: set MQTTSIM_BIN, build the `mqttsim` target next "
        "to this package (cmake --build build/release --target mqttsim), or put it on PATH")


class CliRun:
    """A finished `mqttsim` subcommand: returncode, stdout, stderr, out_dir, report (its
    report.json as a dict when one was written), passed (exit code 0)."""

    def __init__(self, args, completed, out_dir):
        self.args = args
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.out_dir = out_dir
        self.report = None
        report_path = os.path.join(out_dir, "report.json") if out_dir else None
        if report_path and os.path.isfile(report_path):
            with open(report_path, encoding="utf-8") as f:
                self.report = json.load(f)

    @property
    def passed(self):
        return self.returncode == EXIT_OK

    def __repr__(self):
        return f"<CliRun {' '.join(self.args[1:3])} exit {self.returncode} out {self.out_dir}>"


def _run_cli(subcommand, args, out_dir, timeout):
    command = [find_executable(), subcommand] + args
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                   check=False)
    except subprocess.TimeoutExpired as e:
        raise CliError(f"mqttsim {subcommand} did not finish within {timeout} s") from e
    message = completed.stderr.strip()
    if completed.returncode == EXIT_NOT_BUILT:
        raise NotBuiltError(message or f"mqttsim {subcommand}: not built yet")
    if completed.returncode == EXIT_USAGE:
        raise ValueError(message or f"mqttsim {subcommand}: bad arguments")
    if completed.returncode not in (EXIT_OK, EXIT_FAILED):
        raise CliError(f"mqttsim {subcommand} exited with {completed.returncode}: {message}",
                       completed.returncode, completed.stderr)
    return CliRun(command, completed, out_dir)


def _add(args, flag, value, kind=str):
    if value is None:
        return
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{flag} must be an int, not {type(value).__name__}")
    if kind is str and not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{flag} must be a string, not {type(value).__name__}")
    args += [flag, os.fspath(value) if kind is str else str(value)]


def check(runs=None, seed=None, max_clients=None, mutant=None, out=None, timeout=None):
    """`mqttsim check [--runs N] [--seed S] [--max-clients K] [--mutant NAME] [--out DIR]`:
    property-based QoS exploration. Returns a CliRun (passed: no invariant broken). Raises
    NotBuiltError while this version's executable does not have it."""
    args = []
    _add(args, "--runs", runs, int)
    _add(args, "--seed", seed, int)
    _add(args, "--max-clients", max_clients, int)
    _add(args, "--mutant", mutant)
    _add(args, "--out", out)
    return _run_cli("check", args, os.fspath(out) if out is not None else None, timeout)


def conform(url, mqtt=None, profile=None, user=None, password=None, only=None, jobs=None,
            out=None, cafile=None, cert=None, key=None, insecure=False, response_ms=None,
            silence_ms=None, timeout=None):
    """`mqttsim conform URL ...`: the conformance suite against a broker at tcp://HOST:PORT or
    tls://HOST:PORT. out defaults to a new temporary directory (the CLI's default is
    ./conformance-report). Returns a CliRun whose report is report.json (passed: no case
    failed)."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a string, not {type(url).__name__}")
    out_dir = os.fspath(out) if out is not None else tempfile.mkdtemp(prefix="mqttsim-conform-")
    args = [url]
    _add(args, "--mqtt", mqtt)
    _add(args, "--profile", profile)
    _add(args, "--user", user)
    _add(args, "--password", password)
    _add(args, "--only", only)
    _add(args, "--jobs", jobs, int)
    _add(args, "--out", out_dir)
    _add(args, "--cafile", cafile)
    _add(args, "--cert", cert)
    _add(args, "--key", key)
    _add(args, "--response-ms", response_ms, int)
    _add(args, "--silence-ms", silence_ms, int)
    if insecure:
        args.append("--insecure")
    return _run_cli("conform", args, out_dir, timeout)
