"""Make Office files (zip containers) byte-stable: fixed member timestamps and order."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def normalise_zip(path: Path, *, stamp: str | None = None) -> Path:
    """Rewrite ``path`` with every member dated 1980-01-01, keeping member order and content.

    ``stamp`` (ISO date) replaces the "last modified" time the writer put in ``docProps/core.xml``.
    """
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if stamp and info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>" + f"{stamp[:10]}T00:00:00Z".encode() + rb"\g<2>", data)
            member = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, data)
    os.replace(tmp, path)
    return path
