"""What retire writes and holds on disk: private files replaced atomically, the private copy of every
plan it verifies and applies, output paths it may overwrite, and the one-run-per-directory lock."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhi_toolkit.errors import InputError
from nhi_toolkit.retire.manifest import MANIFEST_FORMAT

if TYPE_CHECKING:
    from nhi_toolkit.retire.run import Settings

__all__ = ["sha256_file", "write_private"]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def write_private(path: str | os.PathLike[str], text: str) -> None:
    """Write a file atomically (a new 0600 file in the same folder, then rename). A file that cannot
    be written is an :class:`InputError` naming it (exit 2)."""
    _replace_private(path, lambda fh: fh.write(text.encode("utf-8")))


def _replace_private(path: str | os.PathLike[str], write: Callable[[Any], Any]) -> None:
    target = Path(path).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise InputError(os.fspath(path), f"cannot write ({exc.strerror or type(exc).__name__})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(os.fspath(path), f"cannot write ({exc.strerror or type(exc).__name__})") from None
        raise


@contextlib.contextmanager
def _private_plan(source: str | None = None) -> Iterator[str]:
    """A plan file path in a new private (0700) folder, removed afterwards; with ``source``, a copy
    of that file's bytes.

    Every plan retire verifies and applies is this private file: whoever can write the folder of
    ``--plan-out`` (or plant a link there) can neither receive the plan, which holds the prior state
    and so secrets, nor put another plan in place of the verified one between check and apply.
    """
    folder = tempfile.mkdtemp(prefix="nhi-retire-")
    try:
        path = os.path.join(folder, "retire.tfplan")
        if source is not None:
            with open(source, "rb") as src, open(path, "xb") as dst:
                shutil.copyfileobj(src, dst)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _publish_plan(private: str, plan_out: str) -> None:
    """Copy the verified plan to ``plan_out``: a new 0600 file renamed over it, so a link planted
    there is replaced, never written through."""
    with open(private, "rb") as src:
        _replace_private(plan_out, lambda dst: shutil.copyfileobj(src, dst))


def _is_own_output(path: str, kind: str) -> bool:
    """True when the existing file at ``path`` is one retire writes as ``kind`` (so may replace)."""
    try:
        if kind == "plan":
            with zipfile.ZipFile(path) as zf:
                return "tfplan" in zf.namelist()
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        if kind == "summary":
            return head.startswith(b"Retirement as of ")
        doc = json.loads(head.decode("utf-8"))
        return isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def _check_outputs(settings: Settings) -> None:
    """Refuse (exit 2) an output path that names an existing file retire did not write: a slip such
    as ``--manifest terraform.tfstate`` or ``--plan-out main.tf`` must not replace the state or the
    configuration. A link there is replaced, not followed, so it is left to the writer."""
    for option, path, kind in (("--manifest", settings.manifest_path, "manifest"),
                               ("--summary", settings.summary_path, "summary"),
                               ("--plan-out", settings.plan_out, "plan")):
        if (path and os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path)
                and not _is_own_output(path, kind)):  # an empty file (mktemp) holds nothing to lose
            raise InputError(path, f"{option}: this file exists and is not a retirement {kind} "
                                   "written by nhi retire; refusing to overwrite it (choose another "
                                   "path, or remove it first)")


@contextlib.contextmanager
def _directory_lock(directory: str | None) -> Iterator[None]:
    """One retirement at a time per root module: a second run refuses (exit 3) at once instead of
    racing the first for the state. Terraform's own state lock still guards against everything else."""
    if directory is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: Terraform's state lock alone
        yield
        return
    from nhi_toolkit.errors import RetireRefused

    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RetireRefused(directory, "refused: another nhi retire is running in this directory; "
                                           "nothing was destroyed (run again when it has finished)") from None
        yield
    finally:
        os.close(fd)
