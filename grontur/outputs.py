"""Output sets: a run's files appear together or not at all, one run per folder at a time.

How a set is switched
---------------------
Everything a run writes goes to a staging folder ``.DIR.grontur-staging-<pid>-<random>`` beside
the target ``DIR`` (same parent, so the same filesystem). When every file is complete, the files
of the previous set that this run neither rewrote nor retired (``replaces``) are hard-linked into
the staging folder (copied where links are impossible), and then the whole set is switched in one
step: on Linux the staging folder and ``DIR`` are exchanged with ``renameat2(RENAME_EXCHANGE)``,
so ``DIR`` always names either the complete previous set or the complete new one; the previous
set, now under the staging name, is deleted. Where the exchange is unavailable (another system,
a filesystem without it) ``DIR`` is renamed aside and the staging folder renamed into place; a run
killed between those two renames leaves no ``DIR``, and the next run renames the previous set
back before anything else. A failure before the switch deletes the staging folder and leaves
``DIR`` untouched.

A target that is a mount point (a container volume given as ``--out /out``) cannot be renamed,
and its parent is another filesystem ("Invalid cross-device link"). Then the set is staged inside
the mount point and ``DIR/current`` is a symbolic link to the set's folder
(``DIR/.grontur-staging-...``), switched by renaming a new link over it: the outputs are read
from ``DIR/current/`` (:func:`output_folder` says where, and the command line prints it).

A symbolic link given as the target is resolved: the set is switched where it points, the link
stays (the command line says where the files went).

Locks and leftovers
-------------------
A run holds ``fcntl.flock`` on ``.DIR.grontur-lock`` beside the target (inside it for a mount
point) from before its first output to the end; a second run on the same target is refused with
one line naming the process that holds it. The lock file holds that process id and is removed
when the lock is released. Each staging folder has a marker file beside it
(``.DIR.grontur-staging-....marker``); a run killed part-way leaves both, and the next run on the
same target, holding the lock, deletes staging folders that have a marker and nothing else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import json
import os
import secrets
import shutil
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from grontur._formulas import defuse_csv_frame
from grontur.errors import OutputError

#: The link naming the current set inside a target that is a mount point.
CURRENT = "current"
_LOCK = ".grontur-lock"
_STAGING = ".grontur-staging-"
_MARKER = ".marker"
_ASIDE = "-previous"
#: Locks this process holds: resolved target -> (file descriptor, depth), so nested runs on the
#: same target (a network run writing its overview) take it once.
_HELD: dict[Path, list[int]] = {}


def resolve_target(target: str | Path) -> Path:
    """The folder a set for ``target`` is switched in: the path with symbolic links resolved."""
    return _resolved(target)


def _resolved(path: str | Path) -> Path:
    """``path`` with symbolic links resolved; a loop of links is the user's to fix (one line)."""
    try:
        return Path(path).expanduser().resolve()
    except RuntimeError as error:  # pathlib's "Symlink loop"
        msg = f"{path}: the symbolic links here point at each other in a loop; give a real file or folder."
        raise OutputError(msg) from error


def output_folder(target: str | Path) -> Path:
    """Where the files of a set written to ``target`` are read: the resolved folder, or its
    ``current`` link when the folder is a mount point."""
    folder = resolve_target(target)
    return folder / CURRENT if _is_mount_point(folder) else folder


def refuse_inputs_inside(target: str | Path, inputs: Iterable[str | Path | None]) -> None:
    """Raise :class:`OutputError` when an input file or folder is inside ``target`` (or is it):
    switching the output set there would replace or remove it."""
    folder = resolve_target(target)
    for given in inputs:
        if given is None:
            continue
        path = _resolved(given)
        if path == folder or folder in path.parents:
            msg = (f"{given}: this input is inside the output folder {target}, which a run replaces whole; "
                   "give another folder with --out.")
            raise OutputError(msg)


@contextmanager
def output_lock(target: str | Path) -> Iterator[Path]:
    """Hold the lock of the output set at ``target`` (resolved); yield the resolved target.

    Raises :class:`OutputError` naming the other process when another run holds it.
    """
    folder = resolve_target(target)
    held = _HELD.get(folder)
    if held is not None:
        held[1] += 1
        try:
            yield folder
        finally:
            held[1] -= 1
        return
    lock = _lock_path(folder)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(lock, folder)
    except OSError as error:
        raise unwritable(folder, error) from None
    _HELD[folder] = [fd, 1]
    try:
        yield folder
    finally:
        del _HELD[folder]
        try:
            lock.unlink()
        except OSError:
            pass
        os.close(fd)


@contextmanager
def staged_folder(target: str | Path, *, replaces: Collection[str] = ()) -> Iterator[Path]:
    """Yield a staging folder; on success switch it in as the whole output set at ``target``.

    Files of the previous set are kept unless this run writes a file of that name or the name is
    in ``replaces`` (outputs an earlier run wrote that this one retires). See the module
    docstring for how the switch is made and what a killed run leaves.
    """
    with output_lock(target) as folder:
        mount = _is_mount_point(folder)
        home = folder if mount else folder.parent
        prefix = _STAGING if mount else f".{folder.name}{_STAGING}"
        try:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(20, "a file of that name is in the way", str(folder))
            home.mkdir(parents=True, exist_ok=True)
            _clean_leftovers(folder, home, prefix, mount)
            staging = home / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
            marker = staging.with_name(staging.name + _MARKER)
            marker.write_text(f"{os.getpid()}\n", encoding="utf-8")
            staging.mkdir()
        except OSError as error:
            raise unwritable(folder, error) from None
        try:
            yield staging
            try:
                previous = _current_set(folder) if mount else folder
                if previous is not None and previous.is_dir():
                    _carry_over(previous, staging, replaces)
                if mount:
                    _switch_link(folder, staging)
                else:
                    _switch_folder(folder, staging)
            except OSError as error:
                raise unwritable(folder, error) from None
        finally:
            if not (mount and _current_set(folder) == staging):
                shutil.rmtree(staging, ignore_errors=True)
            marker.unlink(missing_ok=True)


def unwritable(path: Path, error: OSError) -> OutputError:
    """The error for an output folder or file that cannot be written, naming it and what to do."""
    reason = error.strerror or str(error)
    return OutputError(f"{path}: cannot write the output there ({reason}); give another folder with --out "
                       "or check its permissions.")


def _lock_path(folder: Path) -> Path:
    return folder / _LOCK if _is_mount_point(folder) else folder.with_name(f".{folder.name}{_LOCK}")


def _acquire(lock: Path, folder: Path) -> int:
    """Open and flock ``lock`` without waiting; retry when the file was replaced meanwhile."""
    import fcntl

    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            msg = (f"{folder}: another grontur run (process {holder}) is writing its outputs there; wait for "
                   "it to finish, or give another folder with --out.")
            raise OutputError(msg) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)  # the holder removed the file as we opened it: take the new one


def _clean_leftovers(folder: Path, home: Path, prefix: str, mount: bool) -> None:
    """Delete what killed runs left (staging folders with their marker); restore a set that was
    renamed aside and not replaced. Called with the target's lock held."""
    current = _current_set(folder) if mount else None
    for marker in sorted(home.glob(f"{glob.escape(prefix)}*{_MARKER}")):
        leftover = marker.with_name(marker.name[: -len(_MARKER)])
        if leftover == current:
            pass
        elif leftover.name.endswith(_ASIDE) and not folder.exists() and leftover.is_dir():
            os.rename(leftover, folder)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
        marker.unlink(missing_ok=True)
    if mount:
        for link in home.glob(f".{CURRENT}.*.new"):
            link.unlink(missing_ok=True)


def _carry_over(previous: Path, staging: Path, replaces: Collection[str]) -> None:
    """Hard-link into ``staging`` the files of ``previous`` it does not hold and that are not retired."""
    for root, dirs, files in os.walk(previous):
        relative = Path(root).relative_to(previous)
        if relative == Path("."):
            dirs[:] = [d for d in dirs if d not in replaces and not _ours(d)]
            files = [f for f in files if f not in replaces and not _ours(f)]
        (staging / relative).mkdir(parents=True, exist_ok=True)
        for name in [*files, *[d for d in dirs if os.path.islink(os.path.join(root, d))]]:
            source = Path(root) / name
            destination = staging / relative / name
            if destination.exists() or destination.is_symlink():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), destination)
                continue
            try:
                os.link(source, destination)
            except OSError:
                shutil.copy2(source, destination)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]


def _ours(name: str) -> bool:
    """Names of locks, staging folders and markers, which never belong to a set."""
    return _LOCK in name or _STAGING in name


def _switch_folder(folder: Path, staging: Path) -> None:
    """Make ``staging`` the folder ``folder`` in one step; the previous set goes to ``staging``'s name."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    if _exchange(staging, folder):
        shutil.rmtree(staging, ignore_errors=True)
        return
    aside = staging.with_name(staging.name + _ASIDE)
    aside.with_name(aside.name + _MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    os.rename(folder, aside)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(aside, folder)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    aside.with_name(aside.name + _MARKER).unlink(missing_ok=True)


def _switch_link(folder: Path, staging: Path) -> None:
    """Point ``folder/current`` at ``staging`` by renaming a new link over it; delete the previous set."""
    link = folder / CURRENT
    if link.exists() and not link.is_symlink():
        raise FileExistsError(17, f"{link} is not the link grontur keeps there; move it away", str(link))
    previous = _current_set(folder)
    if previous is not None:
        previous.with_name(previous.name + _MARKER).write_text(f"{os.getpid()}\n", encoding="utf-8")
    new = folder / f".{CURRENT}.{os.getpid()}.new"
    new.unlink(missing_ok=True)
    os.symlink(staging.name, new)
    os.replace(new, link)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
        previous.with_name(previous.name + _MARKER).unlink(missing_ok=True)


def _current_set(folder: Path) -> Path | None:
    """The folder ``folder/current`` points to (a mount point's current set), if any."""
    link = folder / CURRENT
    if not link.is_symlink():
        return None
    return folder / os.readlink(link)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2``); ``False`` where that is not available."""
    function = _renameat2()
    if function is None:
        return False
    result = function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _renameat2() -> Any:
    if not hasattr(_renameat2, "cached"):
        function = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            function = libc.renameat2
            function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            function.restype = ctypes.c_int
        except (OSError, AttributeError):
            function = None
        _renameat2.cached = function  # type: ignore[attr-defined]
    return _renameat2.cached  # type: ignore[attr-defined]


def _is_mount_point(folder: Path) -> bool:
    """Whether ``folder`` is a mount point (also a bind mount within one filesystem, on Linux)."""
    if not folder.is_dir():
        return False
    if os.path.ismount(folder):
        return True
    return str(folder) in _mount_points()


def _mount_points() -> set[str]:
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return set()
    points = set()
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:
            points.add(fields[4].encode("ascii", "backslashreplace").decode("unicode_escape"))
    return points


def write_json(data: Any, path: Path) -> Path:
    """Write JSON deterministically (sorted keys are not used: section order is meaningful)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV that opens cleanly in Excel (UTF-8 with BOM) and is byte-stable across runs.

    Every text cell a spreadsheet would run as a formula is defused, also where the formula follows
    a ``;`` (:func:`grontur._formulas.defuse_cell`).
    """
    defuse_csv_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path
