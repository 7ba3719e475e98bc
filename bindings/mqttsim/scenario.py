"""Scenario: YAML text, the name its messages use, and `key.path=value` overrides.

A Scenario is plain data (it pickles as text + overrides, so sweeps can ship it to any worker);
it is checked by the C++ loader whenever one is made, so a bad one fails early with
ScenarioError carrying the loader's `file:line:col` messages.
"""
import json
import math
import os
import re

from . import _core
from .errors import ScenarioError

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _plain_value(value, where):
    """Python value → JSON-compatible plain data (NumPy scalars and tuples included)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a finite number")
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "dtype") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _plain_value(value.item(), where)  # a NumPy scalar, e.g. from np.linspace
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"{where}: keys must be strings, not {type(key).__name__}")
            out[str(key)] = _plain_value(item, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain_value(item, f"{where}.{i}") for i, item in enumerate(value)]
    raise TypeError(f"{where}: cannot put a {type(value).__name__} in a scenario")


def to_yaml_flow(value, where="value"):
    """One value as YAML flow text (JSON is YAML): what an override's right-hand side holds."""
    return json.dumps(_plain_value(value, where), ensure_ascii=False)


def _scalar(value):
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _block(value, indent):
    """Block-style YAML lines for plain data (dicts and lists nest; scalars via _scalar)."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_scalar(key)}:")
                lines.extend(_block(item, indent + 1))
            else:
                lines.append(f"{pad}{_scalar(key)}: {_inline(item)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _block(item, indent + 1)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_inline(item)}")
    return lines


def _inline(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml_block(data):
    """A dict as readable block-style YAML text."""
    return "\n".join(_block(data, 0)) + "\n"


class Scenario:
    """A checked scenario. Make one with from_yaml or from_dict; with_overrides derives others.

    Attributes: text (the YAML), source (the name in error messages: the file path, '<string>'
    or '<dict>'), overrides (tuple of 'key.path=value', applied in order), and from the loader:
    name, digest (of the scenario after overrides, as report.json names it), seed, duration_ns.
    """

    def __init__(self, text, source="<string>", overrides=()):
        if not isinstance(text, str):
            raise TypeError(f"scenario text must be str, not {type(text).__name__}")
        if not isinstance(source, str):
            raise TypeError(f"source must be str, not {type(source).__name__}")
        overrides = tuple(overrides)
        for item in overrides:
            if not isinstance(item, str) or "=" not in item:
                raise TypeError(f"an override is a 'key.path=value' string, not {item!r}")
        self.text = text
        self.source = source
        self.overrides = overrides
        info = _core.load(text, source, list(overrides))
        if info["errors"]:
            raise ScenarioError(info["errors"])
        self.name = info["name"]
        self.digest = info["digest"]
        self.seed = info["seed"]
        self.duration_ns = info["duration_ns"]
        self.canonical_yaml = info["canonical_yaml"]
        self._measure = {"trace": info["trace"], "pcap": info["pcap"]}

    @classmethod
    def from_yaml(cls, path_or_text):
        """A scenario file (str path ending .yaml/.yml or naming a file, or a PathLike), or YAML
        text. Messages name the file as given, exactly as `mqttsim run PATH` does."""
        if isinstance(path_or_text, bytes):
            path_or_text = path_or_text.decode("utf-8")
        if isinstance(path_or_text, os.PathLike):
            path = os.fspath(path_or_text)
        elif isinstance(path_or_text, str):
            looks_like_path = "\n" not in path_or_text and (
                path_or_text.endswith((".yaml", ".yml")) or os.path.isfile(path_or_text))
            path = path_or_text if looks_like_path else None
        else:
            raise TypeError("from_yaml takes a path or YAML text, not "
                            f"{type(path_or_text).__name__}")
        if path is None:
            return cls(path_or_text, "<string>")
        with open(path, encoding="utf-8") as f:
            return cls(f.read(), path)

    @classmethod
    def from_dict(cls, data, source="<dict>"):
        """A scenario from plain data (the YAML file's structure as dicts and lists)."""
        if not isinstance(data, dict):
            raise TypeError(f"from_dict takes a dict, not {type(data).__name__}")
        return cls(to_yaml_block(_plain_value(data, "scenario")), source)

    def with_overrides(self, overrides):
        """A new Scenario with {'key.path': value} applied after this one's overrides, like
        `mqttsim run --set key.path=value` (values are rendered as YAML; numeric parts of the
        path index lists)."""
        if not isinstance(overrides, dict):
            raise TypeError(f"with_overrides takes a dict, not {type(overrides).__name__}")
        added = []
        for key, value in overrides.items():
            if not isinstance(key, str):
                raise TypeError(f"override keys are 'key.path' strings, not {key!r}")
            if not key or "=" in key or key.startswith(".") or key.endswith("."):
                raise ValueError(f"bad override key {key!r}: expected key.path")
            added.append(f"{key}={to_yaml_flow(value, key)}")
        return Scenario(self.text, self.source, self.overrides + tuple(added))

    def to_yaml(self):
        """The scenario's YAML after overrides (the loader's canonical text)."""
        return self.canonical_yaml

    def __getstate__(self):
        return {"text": self.text, "source": self.source, "overrides": self.overrides}

    def __setstate__(self, state):
        self.__init__(state["text"], state["source"], state["overrides"])

    def __eq__(self, other):
        if not isinstance(other, Scenario):
            return NotImplemented
        return (self.text, self.source, self.overrides) == (other.text, other.source,
                                                            other.overrides)

    def __hash__(self):
        return hash((self.text, self.source, self.overrides))

    def __repr__(self):
        extra = f", {len(self.overrides)} overrides" if self.overrides else ""
        return f"<Scenario {self.name!r} from {self.source}{extra}, digest {self.digest}>"
