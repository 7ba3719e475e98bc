"""Starts and stops the real MQTT brokers that install on this machine kind (see
../shared/reference/real-brokers.md), each bound to 127.0.0.1 on a free port with private state
in a scratch folder, and stopped by process id. Used by conformance/run-real-broker.py and by
the ctests that run the suite against a real broker."""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout_s, procs=()):
    """True once something accepts on 127.0.0.1:port; False on timeout or a child's exit."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            if any(p.poll() is not None for p in procs):
                return False
            time.sleep(0.05)
    return False


class Broker:
    """A started broker: `port` to connect to, and the processes to stop (by pid)."""

    def __init__(self, name, port, procs, versions, profile=None):
        self.name, self.port, self.procs, self.versions = name, port, procs, versions
        self.profile = profile  # file name under conformance/profiles/, or None

    def stop(self):
        # Each process was started in its own session: its group holds its children (beam's
        # helpers), so signalling the group by the leader's pid reaches only what we started.
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)


def _spawn(args, log, **kw):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            **kw)


def make_certificates(work):
    """A CA and a server certificate for localhost, readable by mosquitto's own user."""
    w = pathlib.Path(work)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=work)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
        "ca.crt", "-days", "2", "-subj", "/CN=mqttsim-test-ca")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
        "server.csr", "-subj", "/CN=localhost")
    (w / "ext.cnf").write_text("subjectAltName=DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    os.chmod(work, 0o755)
    for f in w.iterdir():
        os.chmod(f, 0o644)
    return w / "ca.crt"


def start_mosquitto(work, tls_files=None):
    """mosquitto 2.0 (Debian); tls_files: (cafile, certfile, keyfile) for a TLS listener."""
    port = free_port()
    conf = pathlib.Path(work) / "mosquitto.conf"
    text = f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
    if tls_files:
        text += "".join(f"{k} {v}\n" for k, v in zip(("cafile", "certfile", "keyfile"), tls_files))
    conf.write_text(text)
    program = shutil.which("mosquitto", path="/usr/sbin:/usr/bin") or "mosquitto"
    proc = _spawn([program, "-c", str(conf)], open(pathlib.Path(work) / "mosquitto.log", "w"))
    if not wait_for_port(port, 5, [proc]):
        Broker("mosquitto", port, [proc], []).stop()
        raise RuntimeError("mosquitto did not start; see mosquitto.log in " + str(work))
    return Broker("mosquitto", port, [proc], ["3.1.1", "5"], "mosquitto.yaml")


AEDES_SERVER = """import { Aedes } from 'aedes'
import net from 'node:net'
const port = Number(process.argv[2])
const broker = await Aedes.createBroker()
net.createServer(broker.handle).listen(port, '127.0.0.1')
"""


def find_aedes():
    """A folder whose node_modules holds aedes: $AEDES_DIR, or none (install: npm install aedes)."""
    for d in (os.environ.get("AEDES_DIR"), "/tmp/aedes"):
        if d and (pathlib.Path(d) / "node_modules" / "aedes").is_dir():
            return pathlib.Path(d)
    return None


def start_aedes(work):
    """aedes 1.x on Node.js (3.1.1 only)."""
    home = find_aedes()
    if home is None:
        raise RuntimeError("aedes not found: `npm install aedes` in a folder, then AEDES_DIR=it")
    # The script lives in our scratch folder and finds aedes through a link to its node_modules,
    # so the install folder is only read.
    work = pathlib.Path(work)
    (work / "node_modules").symlink_to(home / "node_modules", target_is_directory=True)
    script = work / "aedes-server.mjs"
    script.write_text(AEDES_SERVER)
    port = free_port()
    proc = _spawn(["node", str(script), str(port)], open(pathlib.Path(work) / "aedes.log", "w"))
    if not wait_for_port(port, 10, [proc]):
        Broker("aedes", port, [proc], []).stop()
        raise RuntimeError("aedes did not start; see aedes.log in " + str(work))
    return Broker("aedes", port, [proc], ["3.1.1"], "aedes.yaml")


def start_rabbitmq(work):
    """RabbitMQ 3.10 with rabbitmq_mqtt (3.1.1 only), its own epmd on a free loopback port,
    private mnesia/log/cookie folders; ready in about 10 s."""
    work = pathlib.Path(work)
    port, epmd_port, dist_port = free_port(), free_port(), free_port()
    (work / "rabbitmq.conf").write_text(
        "listeners.tcp = none\n"
        f"mqtt.listeners.tcp.default = 127.0.0.1:{port}\n"
        "mqtt.allow_anonymous = true\n"
        "distribution.listener.interface = 127.0.0.1\n"
        f"distribution.listener.port_range.min = {dist_port}\n"
        f"distribution.listener.port_range.max = {dist_port}\n")
    (work / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
    env = dict(os.environ, HOME=str(work), RABBITMQ_NODENAME=f"mqttsim{port}@localhost",
               RABBITMQ_NODE_IP_ADDRESS="127.0.0.1", RABBITMQ_DIST_PORT=str(dist_port),
               RABBITMQ_CONFIG_FILE=str(work / "rabbitmq.conf"),
               RABBITMQ_ENABLED_PLUGINS_FILE=str(work / "enabled_plugins"),
               RABBITMQ_MNESIA_BASE=str(work / "mnesia"), RABBITMQ_LOG_BASE=str(work / "log"),
               ERL_EPMD_ADDRESS="127.0.0.1", ERL_EPMD_PORT=str(epmd_port))
    log = open(work / "rabbitmq.log", "w")
    # Our own epmd in the foreground: its pid is ours to stop (a daemonized one would not be).
    epmd = _spawn(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"], log, env=env)
    if not wait_for_port(epmd_port, 5, [epmd]):
        Broker("epmd", epmd_port, [epmd], []).stop()
        raise RuntimeError("epmd did not start")
    server = _spawn(["/usr/lib/rabbitmq/bin/rabbitmq-server"], log, env=env)
    broker = Broker("rabbitmq", port, [epmd, server], ["3.1.1"], "rabbitmq.yaml")
    if not wait_for_port(port, 60, [server]):
        broker.stop()
        raise RuntimeError("RabbitMQ did not start; see rabbitmq.log and log/ in " + str(work))
    return broker


def start_ejabberd(work):
    """ejabberd 23.01 mod_mqtt (3.1.1 and 5.0) with anonymous login, own config and spool,
    its distribution and epmd on loopback; never the packaged config (all interfaces)."""
    work = pathlib.Path(work)
    port, epmd_port = free_port(), free_port()
    # As root, ejabberdctl would switch to the ejabberd user through su, whose child leaves our
    # process group (and outlives a stop). So the node runs as that user from the start.
    as_user = {"user": "ejabberd", "group": "ejabberd"} if os.geteuid() == 0 else {}
    for sub in ("spool", "logs"):
        (work / sub).mkdir(exist_ok=True)
        if as_user:
            shutil.chown(work / sub, "ejabberd", "ejabberd")
    (work / "ejabberd.yml").write_text(
        "hosts: [localhost]\n"
        "loglevel: warning\n"
        "auth_method: [anonymous]\n"
        "anonymous_protocol: login_anon\n"
        "allow_multiple_connections: true\n"
        f"listen:\n  - {{port: {port}, ip: \"127.0.0.1\", module: mod_mqtt}}\n"
        "acl: {}\n"
        "access_rules: {}\n"
        "modules:\n  mod_mqtt: {}\n")
    (work / "ejabberdctl.cfg").write_text(
        "INET_DIST_INTERFACE=127.0.0.1\nERL_EPMD_ADDRESS=127.0.0.1\n"
        f"ERL_EPMD_PORT={epmd_port}\n")
    env = dict(os.environ, HOME=str(work / "spool"), ERL_EPMD_ADDRESS="127.0.0.1",
               ERL_EPMD_PORT=str(epmd_port), EJABBERD_CONFIG_PATH=str(work / "ejabberd.yml"))
    log = open(work / "ejabberd.log", "w")
    epmd = _spawn(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"], log, env=env)
    if not wait_for_port(epmd_port, 5, [epmd]):
        Broker("epmd", epmd_port, [epmd], []).stop()
        raise RuntimeError("epmd did not start")
    server = _spawn(["ejabberdctl", "--config-dir", str(work), "--config",
                     str(work / "ejabberd.yml"), "--ctl-config", str(work / "ejabberdctl.cfg"),
                     "--spool", str(work / "spool"), "--logs", str(work / "logs"),
                     "--node", f"mqttsim{port}@localhost", "foreground"], log, env=env,
                    cwd=str(work / "spool"), **as_user)
    broker = Broker("ejabberd", port, [epmd, server], ["3.1.1", "5"], "ejabberd.yaml")
    if not wait_for_port(port, 30, [server]):
        broker.stop()
        raise RuntimeError("ejabberd did not start; see ejabberd.log in " + str(work))
    return broker


STARTERS = {"mosquitto": start_mosquitto, "aedes": start_aedes, "rabbitmq": start_rabbitmq,
            "ejabberd": start_ejabberd}
