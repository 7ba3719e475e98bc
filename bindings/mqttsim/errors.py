"""Exceptions of the mqttsim package.

ScenarioError is raised (also from C++) with every message the loader produced, in the
`file:line:col: path: message` form `mqttsim run` prints.
"""


class ScenarioError(ValueError):
    """A scenario that does not load: `.errors` holds every message, as the CLI prints them."""

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        count = len(self.errors)
        head = f"{count} error{'' if count == 1 else 's'} in the scenario"
        super().__init__(head + ":\n" + "\n".join(self.errors))

    def __reduce__(self):  # picklable, so errors cross process pools intact
        return (type(self), (self.errors,))


class NotBuiltError(NotImplementedError):
    """The `mqttsim` executable says a subcommand is not built yet (exit code 3)."""


class CliError(RuntimeError):
    """The `mqttsim` executable failed in a way that is not a verdict (crash, bad usage)."""

    def __init__(self, message, returncode=None, stderr=""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr
