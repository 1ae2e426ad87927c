"""Running one Terraform command: :class:`Terraform` (the executable and how to run it), non-interactive,
in a given directory, with a timeout, captured output, and variables through a private var file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhi_toolkit.terraform.errors import TerraformError
from nhi_toolkit.terraform.masking import mask as _mask
from nhi_toolkit.terraform.masking import summary as _summary
from nhi_toolkit.terraform.targets import target_option

__all__ = [
    "DEFAULT_TIMEOUT",
    "EMBEDDED",
    "ENV_VAR",
    "PlanResult",
    "RunResult",
    "Terraform",
    "Variables",
    "child_environment",
]

#: Value of ``explicit`` / ``NHI_TERRAFORM_BIN`` that forces the embedded Terraform.
EMBEDDED = "embedded"
#: Environment variable with the same meaning as ``find_terraform(explicit=...)``.
ENV_VAR = "NHI_TERRAFORM_BIN"
#: Seconds a single Terraform command may run before it is interrupted.
DEFAULT_TIMEOUT = 900.0
# After an interrupt Terraform tries to stop cleanly (and release the state lock); give it this long.
_GRACE = 15.0
_EXIT_CHANGES = 2  # -detailed-exitcode: success with changes present
_EXIT_UNFORMATTED = 3  # fmt -check: some files need formatting
_UNDECLARED = re.compile(r"Values? for undeclared variables?")
_UNDECLARED_NAME = re.compile(r'variable named "([^"]+)"')

#: Values for ``-var-file``: strings as for ``-var``; lists, maps, numbers and booleans for variables
#: of those types (a var file is JSON, so a complex value is given as itself, not as HCL text).
Variables = Mapping[str, Any]


_CONFIG_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")


def _refuse_unreadable_config(workdir: Path) -> None:
    """Terraform reads every configuration and variables file in its folder: one that is a FIFO,
    socket or device would block it forever. Refuse it first, naming it (an input error, exit 2)."""
    from nhi_toolkit.errors import InputError
    from nhi_toolkit.loaders.common import file_kind

    try:
        entries = list(os.scandir(workdir))
    except OSError:
        return  # Terraform reports a folder it cannot list
    for entry in entries:
        if not entry.name.endswith(_CONFIG_SUFFIXES):
            continue
        try:
            mode = os.stat(entry.path).st_mode
        except OSError:
            continue  # a dangling link: Terraform names it and stops
        kind = file_kind(mode)
        if kind is not None and kind != "is a directory":
            raise InputError(entry.path, f"{kind}, not a regular file: Terraform would wait on it")

@dataclass(frozen=True)
class RunResult:
    """One finished Terraform command: its arguments (after the executable) and captured output."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class PlanResult:
    """The outcome of ``plan``: whether anything would change, and the saved plan file if one was asked."""

    directory: Path
    has_changes: bool
    planfile: Path | None
    stdout: str
    stderr: str


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every Terraform child process gets.

    Non-interactive and quiet (``TF_IN_AUTOMATION``, ``TF_INPUT=0``, no version check over the
    network). ``TF_CLI_CONFIG_FILE`` is dropped when it names a file that does not exist, because
    Terraform would otherwise print a warning on every command.
    """
    env = dict(os.environ if base is None else base)
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"
    for name in ("TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG"):
        path = env.get(name)
        if path is not None and not Path(path).expanduser().is_file():
            del env[name]
    return env


@dataclass(frozen=True)
class Terraform:
    """A Terraform executable and how to run it.

    ``command`` is the argv prefix: the binary's path, or the Python interpreter running the embedded
    Terraform in a child process. ``flavor`` is ``terraform``, ``tofu`` or ``embedded``.
    """

    command: tuple[str, ...]
    flavor: str
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        """How messages name this executable: ``terraform`` (also for the embedded one) or ``tofu``."""
        return "tofu" if self.flavor == "tofu" else "terraform"

    @property
    def embedded(self) -> bool:
        """True for the embedded Terraform."""
        return self.flavor == EMBEDDED

    # -- running ---------------------------------------------------------------------------

    def run(
        self,
        args: Sequence[str],
        directory: str | os.PathLike[str] = ".",
        *,
        ok_codes: Sequence[int] = (0,),
        variables: Variables | None = None,
        timeout: float | None = None,
        private: bool = False,
    ) -> RunResult:
        """Run one command in ``directory``; raise :class:`TerraformError` unless its exit code is ok.

        ``args`` starts with the sub-command (``["plan", "-out=x"]``). ``variables`` are passed through
        a private var file and masked in the captured output. ``private`` runs the command with umask
        077, so every file it creates (a saved plan holds prior state) is readable by the owner only.
        """
        variables = dict(variables or {})
        workdir = Path(directory)
        label, where = self._label(args, workdir)
        if not workdir.is_dir():
            raise TerraformError(f"{label} failed in {where}: no such directory")
        _refuse_unreadable_config(workdir)
        with _var_file(variables) as var_args:
            argv = [*self.command, args[0], *var_args, *args[1:]]
            returncode, stdout, stderr = self._spawn(argv, workdir, f"{label} in {where}", timeout, private)
        stdout, stderr = _mask(stdout, variables), _mask(stderr, variables)
        if returncode not in ok_codes:
            summary = _summary(stderr, stdout)
            message = _mask(f"{label} failed in {where}: {summary} (exit {returncode})", variables)
            raise TerraformError(message, returncode, stderr, stdout)
        if variables and _UNDECLARED.search(stdout + stderr):
            # From a var file Terraform only warns; a gate such as nhi_now that the configuration does
            # not declare would silently change nothing, so treat it as the error -var would give.
            named = set(_UNDECLARED_NAME.findall(stdout + stderr)) & set(variables)
            raise TerraformError(
                f"{label} failed in {where}: the configuration declares no variable "
                f"{', '.join(sorted(named or variables))}",
                returncode,
                stderr,
                stdout,
            )
        return RunResult(tuple(args), returncode, stdout, stderr)

    def _label(self, args: Sequence[str], workdir: Path) -> tuple[str, str]:
        """(``terraform plan``, ``infra/``) for messages."""
        sub = " ".join(a for a in args[:2] if not a.startswith("-"))
        shown = os.fspath(workdir)
        with contextlib.suppress(ValueError):
            shown = os.fspath(workdir.resolve().relative_to(Path.cwd().resolve())) or "."
        if not shown.endswith(os.sep):
            shown += os.sep
        suffix = " (embedded)" if self.embedded else ""
        return f"{self.name}{suffix} {sub}", shown

    def _spawn(
        self, argv: list[str], workdir: Path, label: str, timeout: float | None, private: bool = False
    ) -> tuple[int, str, str]:
        env = child_environment(self.env)
        if self.embedded:
            # Let the child import this package even when it is not installed.
            root = os.fspath(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        limit = self.timeout if timeout is None else timeout
        try:
            # A process group of its own, so that an interrupt reaches Terraform and every plugin it
            # started, and none of them is left holding the output pipes.
            proc = subprocess.Popen(
                argv,
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                umask=0o077 if private else -1,
            )
        except OSError as exc:
            raise TerraformError(f"{label} could not start: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            out, err = _stop(proc)
            raise TerraformError(
                f"{label} timed out after {limit:g}s", None, err.decode("utf-8", "replace"),
                out.decode("utf-8", "replace"),
            ) from None
        except BaseException:  # Ctrl-C included: stop Terraform cleanly, then let it propagate
            _stop(proc)
            raise
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    # -- commands --------------------------------------------------------------------------

    def version(self) -> str:
        """The Terraform version, e.g. ``1.11.4``."""
        result = self.run(["version", "-json"], ".", timeout=60)
        try:
            return str(json.loads(result.stdout)["terraform_version"])
        except (ValueError, KeyError, TypeError):
            label, _ = self._label(["version"], Path("."))
            raise TerraformError(f"{label} printed no version", 0, result.stderr) from None

    def init(self, directory: str | os.PathLike[str], *, backend: bool = True) -> RunResult:
        """``init``; ``backend=False`` skips backend setup (enough for validate and test)."""
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        return self.run(args, directory)

    def validate(self, directory: str | os.PathLike[str]) -> dict[str, Any]:
        """``validate -json``: the parsed report; an invalid configuration is a result, not an error."""
        result = self.run(["validate", "-json", "-no-color"], directory, ok_codes=(0, 1))
        return self._json(result, directory, "validate")

    def plan(
        self,
        directory: str | os.PathLike[str],
        out: str | os.PathLike[str] | None = None,
        variables: Variables | None = None,
        destroy: bool = False,
        targets: Sequence[str] = (),
        refresh_only: bool = False,
    ) -> PlanResult:
        """``plan -detailed-exitcode``; ``out`` (relative to ``directory``) saves the plan for ``apply``,
        written private (0600): it holds the prior state.

        ``targets`` are resource/instance/module addresses as Terraform writes them.
        """
        if destroy and refresh_only:
            raise ValueError("a plan cannot be both destroy and refresh-only")
        workdir = Path(directory)
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode"]
        planfile = None if out is None else (workdir / out).resolve()
        with tempfile.TemporaryDirectory(prefix="nhi-plan-") as scratch:
            # -detailed-exitcode is unreliable for refresh-only plans (Terraform reports changes when
            # there are none, OpenTofu never does), so those are judged from the saved plan.
            saved = planfile or (Path(scratch) / "refresh.tfplan" if refresh_only else None)
            if saved is not None:
                args.append(f"-out={saved}")
            if destroy:
                args.append("-destroy")
            if refresh_only:
                args.append("-refresh-only")
            args.extend(target_option(t) for t in targets)
            result = self.run(args, workdir, ok_codes=(0, _EXIT_CHANGES), variables=variables,
                              private=saved is not None)
            if planfile is not None and planfile.exists():
                os.chmod(planfile, 0o600)  # it holds prior state, so secrets
            has_changes = result.returncode == _EXIT_CHANGES
            if refresh_only and saved is not None:
                has_changes = _refresh_changes(self.show_json(workdir, saved))
        return PlanResult(
            directory=workdir,
            has_changes=has_changes,
            planfile=planfile,
            stdout=result.stdout,
            stderr=result.stderr,
        )

    def show_json(
        self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]
    ) -> dict[str, Any]:
        """``show -json <planfile>``: the machine-readable plan."""
        path = Path(directory) / planfile
        result = self.run(["show", "-json", "-no-color", os.fspath(path.resolve())], directory)
        return self._json(result, directory, "show")

    def show_state_json(self, directory: str | os.PathLike[str]) -> dict[str, Any]:
        """``show -json`` of the current state (``{"format_version": ...}`` alone when it is empty)."""
        result = self.run(["show", "-json", "-no-color"], directory)
        return self._json(result, directory, "show")

    def state_pull(self, directory: str | os.PathLike[str]) -> dict[str, Any]:
        """``state pull``: the raw state document, or ``{}`` when there is no state yet."""
        result = self.run(["state", "pull"], directory)
        if not result.stdout.strip():
            return {}
        return self._json(result, directory, "state pull")

    def apply(self, directory: str | os.PathLike[str], planfile: str | os.PathLike[str]) -> RunResult:
        """``apply`` a saved plan (no approval prompt: a saved plan is the approval)."""
        path = (Path(directory) / planfile).resolve()
        return self.run(["apply", "-input=false", "-no-color", os.fspath(path)], directory)

    def fmt_check(self, directory: str | os.PathLike[str], *, recursive: bool = True) -> list[str]:
        """Files (relative to ``directory``) that ``fmt`` would change; empty when all are formatted."""
        args = ["fmt", "-check", "-list=true", "-no-color"]
        if recursive:
            args.append("-recursive")
        result = self.run(args, directory, ok_codes=(0, _EXIT_UNFORMATTED))
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

    def test(
        self,
        directory: str | os.PathLike[str],
        *,
        filters: Sequence[str] = (),
        variables: Variables | None = None,
    ) -> RunResult:
        """``test``: run the ``.tftest.hcl`` files; a failing run raises :class:`TerraformError`."""
        args = ["test", "-no-color", *(f"-filter={f}" for f in filters)]
        return self.run(args, directory, variables=variables)

    def _json(self, result: RunResult, directory: str | os.PathLike[str], sub: str) -> dict[str, Any]:
        label, where = self._label(sub.split(), Path(directory))
        try:
            value = json.loads(result.stdout)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise TerraformError(
                f"{label} in {where} printed no JSON object", result.returncode, result.stderr
            )
        return value


def _refresh_changes(plan: Mapping[str, Any]) -> bool:
    """A refresh-only plan changes something when a resource drifted or an output would change."""
    if plan.get("resource_drift"):
        return True
    outputs = plan.get("output_changes") or {}
    return any(change.get("actions") != ["no-op"] for change in outputs.values())


@contextlib.contextmanager
def _var_file(variables: Variables) -> Iterator[list[str]]:
    if not variables:
        yield []
        return
    folder = tempfile.mkdtemp(prefix="nhi-tfvars-")  # mode 0700: the values stay private
    path = Path(folder) / "nhi.auto.tfvars.json"
    try:
        try:
            text = json.dumps(dict(variables), indent=2, ensure_ascii=False)
        except (TypeError, ValueError):
            raise TypeError("variable values must be strings or JSON values") from None
        path.write_text(text, encoding="utf-8")
        yield [f"-var-file={path}"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Interrupt Terraform as Ctrl-C would (it then releases its state lock); kill it if it lingers."""
    _signal_group(proc, signal.SIGINT)
    try:
        return proc.communicate(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        return proc.communicate()


