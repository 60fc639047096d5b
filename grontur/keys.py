"""The secret pseudonym key: made once at random, kept where the next wave of the survey finds it.

Respondent ids and panel codes are replaced by keyed hashes (:func:`grontur.privacy.pseudonymise`).
The key must be secret, or anyone who knows a panel code or a submission id could recompute its
pseudonym, and it must stay the same for every wave of one survey, or panel codes would not pair.
A ``salt`` written in the project's ``grontur.yaml`` is used as it is. Otherwise a random key
(:func:`secrets.token_hex`, 256 bits) is made the first time it is needed and kept:

* for a project folder in ``<project>/.grontur/secret.key``, with a ``.gitignore`` beside it so
  the folder is never committed. The file is written when the project's first outputs are (by
  :meth:`grontur.releases.Clearance.record`): a run that fails leaves the project folder as it was;
* without a project (``grontur analyse --kommune``, ``grontur import``) in the user's data folder,
  one key per municipality: ``<data>/<number>/secret.key``, and ``<data>/secret.key`` for a file
  with several municipalities. ``<data>`` is ``$GRONTUR_DATA_DIR``, else ``$XDG_DATA_HOME/grontur``,
  else ``~/.local/share/grontur``.

Key files are readable by their owner only (mode 0600). No key is ever derived from public values
(a municipality number, a folder name). The release log (:mod:`grontur.releases`) lives beside the
key, in the same private folder.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grontur.errors import ConfigError, GronturError, OutputError

DATA_DIR_ENV = "GRONTUR_DATA_DIR"
PROJECT_FOLDER = ".grontur"
KEY_NAME = "secret.key"
_KEY_TEXT = re.compile(r"^[0-9a-f]{32,}$")
_GITIGNORE = "# grontur's secret pseudonym key and release log: never commit or share them.\n*\n"


@dataclass(frozen=True)
class PseudonymKey:
    """A pseudonym key and the file it is kept in (``None`` for a ``salt`` from grontur.yaml)."""

    value: str
    path: Path | None = None
    created: bool = False


def data_home() -> Path:
    """The user's grontur data folder: ``$GRONTUR_DATA_DIR``, ``$XDG_DATA_HOME/grontur`` or ``~/.local/share/grontur``."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "grontur"


def private_folder(project_root: Path | None, number: str | None) -> Path:
    """The folder that holds the key and the release log: the project's ``.grontur``, or the user's
    data folder for one municipality (the top of it when ``number`` is ``None``)."""
    if project_root is not None:
        return Path(project_root) / PROJECT_FOLDER
    home = data_home()
    return home / number if number else home


def ensure_private_folder(folder: Path) -> Path:
    """Create ``folder`` (owner only); a project's ``.grontur`` also gets a ``.gitignore`` of everything."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.name == PROJECT_FOLDER and not (folder / ".gitignore").exists():
            (folder / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    except OSError as error:
        msg = (f"{folder}: cannot create grontur's private folder ({error.strerror or error}); make the folder "
               f"writable, or set {DATA_DIR_ENV} to a folder of yours.")
        raise OutputError(msg) from None
    return folder


def read_or_create(path: Path) -> PseudonymKey:
    """The key kept in ``path``; a new random one (written owner-only, never replaced) when there is none."""
    path = Path(path)
    if not path.exists():
        ensure_private_folder(path.parent)
        value = secrets.token_hex(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return read_or_create(path)  # made at the same moment by another process: use that one
        except OSError as error:
            msg = f"{path}: cannot write the pseudonym key ({error.strerror or error}); check the folder's permissions."
            raise OutputError(msg) from None
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
        return PseudonymKey(value, path, created=True)
    try:
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        msg = f"{path}: cannot read the pseudonym key ({error}); check the file's permissions."
        raise OutputError(msg) from None
    if not _KEY_TEXT.match(value):
        msg = (f"{path}: the pseudonym key file is damaged (it should hold one line of hexadecimal digits); restore "
               "it from a backup, since the repeat survey needs the same key for panel codes to pair.")
        raise ConfigError(msg)
    return PseudonymKey(value, path)


#: Keys made for projects in this process and not yet written (key file -> key).
_UNSAVED: dict[Path, str] = {}


def project_key(root: Path) -> PseudonymKey:
    """The key of a project folder, ``<root>/.grontur/secret.key``.

    A project without one gets a new random key (the same for every call in this process), which
    :func:`save_key` writes once outputs made with it are published.
    """
    path = private_folder(Path(root), None) / KEY_NAME
    if path.exists():
        return read_or_create(path)
    return PseudonymKey(_UNSAVED.setdefault(path.resolve(), secrets.token_hex(32)), path, created=True)


def save_key(key: PseudonymKey) -> None:
    """Write a key made for this run to its file, unless the file is there already with that key."""
    if key.path is None:
        return
    if not key.path.exists():
        ensure_private_folder(key.path.parent)
        try:
            descriptor = os.open(key.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # written at the same moment by another run: checked below
        except OSError as error:
            msg = f"{key.path}: cannot write the pseudonym key ({error.strerror or error}); check the folder's permissions."
            raise OutputError(msg) from None
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(key.value + "\n")
            return
    if read_or_create(key.path).value != key.value:
        msg = (f"{key.path}: another run of this project made a different pseudonym key at the same time; "
               "run this analysis again so that it uses the key now in the file.")
        raise OutputError(msg)


def user_key(number: str | None) -> PseudonymKey:
    """The key for a municipality without a project, in the user's data folder (made on first use)."""
    return read_or_create(private_folder(None, number) / KEY_NAME)


def user_key_for(municipality: str | None) -> PseudonymKey:
    """:func:`user_key` for a municipality given by name or number; the shared key when it is unknown."""
    number = None
    if municipality:
        from grontur.municipalities import lookup

        try:
            number = lookup(str(municipality)).number
        except GronturError:
            number = None  # the import names the unknown municipality itself
    return user_key(number)


def key_for(project: Any) -> PseudonymKey:
    """The key a project's respondents are pseudonymised with: its ``salt``, its key file, or the
    user's key for its municipality."""
    if project.salt:
        return PseudonymKey(project.salt, getattr(project, "key_file", None))
    if project.root is not None:
        return project_key(project.root)
    return user_key(project.number)
