"""The special answers a prompt can give besides a value (shared by the prompt modules)."""

from __future__ import annotations

SKIP = "__skip__"
BACK = "__back__"
#: ``default=`` value of ``Asker.select`` for "nothing chosen until the user moves".
NOTHING = "__nothing__"
