"""Draw a report's pictures, and write its DOCX, in a second process while this one analyses.

A run that writes a report with pictures spends about a third of its time on matplotlib: loading
it and drawing the charts and the anchoring timeline. :class:`Renderer` forks a process at the
start of the run (the command line starts it before it loads pandas) that loads the drawing and
DOCX modules while the analysis runs here, draws the anchoring timeline as soon as the plan is
made (it shows no gated figure), then builds the report's document (charts, maps and all) from the
published results, writes ``report.docx`` when asked to and sends the document back; this process
meanwhile writes the data files and the spreadsheet. The document is the one
:func:`grontur.report.build.build_document` gives in this process, byte for byte, and so is the
DOCX.

Where a second process cannot be forked (no ``fork`` start method, a process that runs other
threads, such as a notebook's kernel, or a daemonic worker) or dies, the document is built (and
the DOCX written) here as before: the renderer only moves work, it never changes it.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Self

from grontur.report.model import Document

log = logging.getLogger(__name__)


def _serve(conn: Connection) -> None:
    """The renderer process: load the drawing and DOCX modules, draw the figures asked for ahead,
    then build one document on request (and write it as DOCX when asked to)."""
    try:
        # loaded while the parent analyses; the pipeline too: the figures drawn ahead and the
        # job's figures arrive as its drawers, whose unpickling would load it (pandas and all) late
        from grontur import pipeline  # noqa: F401
        from grontur.report import build, charts, docx  # noqa: F401

        ready: dict[str, bytes] = {}
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the run ended (or failed) without a report
                return
            if message[0] == "ahead":
                _, name, draw = message
                try:
                    figure = draw()
                    if figure is not None:
                        ready[name] = charts.render_png(figure)
                except Exception:  # drawn again with the document, which raises the error
                    log.debug("%s not drawn ahead", name, exc_info=True)
                continue
            _, results, lang, figures, docx_folder = message
            try:
                doc = document(results, lang=lang, figures=figures, ready=ready)
                written = write_docx_of(doc, results, docx_folder) if docx_folder is not None else None
            except Exception as error:  # noqa: BLE001  (any error is the parent's to raise, as its own)
                conn.send(("error", error))
            else:
                conn.send(("ok", doc, written))
            return
    except KeyboardInterrupt:  # Ctrl-C reaches both processes: the run's own process reports it
        return
    finally:
        conn.close()


def document(results: Mapping[str, Any], *, lang: str, figures: Mapping[str, Any] | None,
             ready: Mapping[str, bytes] | None = None) -> Document:
    """The report's document with every picture drawn: the external ``figures`` (rendered once and
    closed; those in ``ready`` were rendered ahead, as PNG) and the report's own charts."""
    from grontur.report import figures_to_png
    from grontur.report.build import build_document

    ready = dict(ready or {})
    if ready and figures is not None:  # (the truth of figures drawn when read would draw them)
        # figures drawn when read leave out the ready ones undrawn; others are given as they are
        rest = figures.without(ready) if hasattr(figures, "without") else \
            {name: figure for name, figure in figures.items() if name not in ready}
        pngs = {**figures_to_png(rest), **ready}
    else:
        pngs = figures_to_png(figures)
    return build_document(results, lang=lang, figures=pngs, charts=True)


def write_docx_of(doc: Document, results: Mapping[str, Any], folder: Path) -> Path:
    """Write ``doc`` (the document of ``results``) as ``report.docx`` in ``folder``."""
    from grontur.report import FILE_NAMES
    from grontur.report.docx import write_docx

    return write_docx(doc, Path(folder) / FILE_NAMES["docx"], generated=results.get("generated"))


class Renderer:
    """A process that builds one report document (:func:`document`) for this run.

    Use it as a context manager around the run: :meth:`submit` the published results once they
    exist, then :meth:`document` gives the document (and :attr:`docx` the DOCX written over
    there, if asked for). Leaving the block ends the process; a process never given a document to
    build is stopped at once, so that an early error does not wait for its imports.
    """

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._process: Any = None
        self._job: tuple[Mapping[str, Any], str, Mapping[str, Any] | None, Path | None] | None = None
        #: ``report.docx`` as written by the second process (None: not asked for, or not written there).
        self.docx: Path | None = None
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return  # a process with other threads (a notebook's kernel) is not forked
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        try:
            process = context.Process(target=_serve, args=(child,), daemon=True, name="grontur-render")
            process.start()
        except (AssertionError, OSError) as error:  # a daemonic worker may not fork; no process left
            log.info("report pictures drawn in this process (%s)", error)
            parent.close()
            return
        finally:
            child.close()
        self._conn, self._process = parent, process

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def draw_ahead(self, name: str, draw: Callable[[], Any]) -> None:
        """Start drawing the external figure ``name`` (``draw()`` gives it) before the results
        exist; the document uses it in place of the figure of that name it is given."""
        if self._conn is None or self._job is not None:
            return
        try:
            self._conn.send(("ahead", name, draw))
        except (OSError, ValueError) as error:
            log.info("report pictures drawn in this process (%s)", error)
            self.close()

    def submit(self, results: Mapping[str, Any], *, lang: str, figures: Mapping[str, Any] | None,
               docx_folder: Path | None = None) -> None:
        """Start building the document of ``results`` in ``lang`` with ``figures`` (drawn over there),
        and writing it as ``report.docx`` in ``docx_folder`` when given (see :attr:`docx`)."""
        if self._job is not None:
            return
        self._job = (results, lang, figures, docx_folder)
        if self._conn is not None:
            try:
                self._conn.send(("job", *self._job))
            except (OSError, ValueError) as error:
                log.info("report pictures drawn in this process (%s)", error)
                self.close()

    def document(self, results: Mapping[str, Any], *, lang: str, figures: Mapping[str, Any] | None) -> Document:
        """The document of ``results`` (:meth:`submit` it first, unless already done); an error in
        building it is raised here."""
        self.submit(results, lang=lang, figures=figures)
        assert self._job is not None and self._job[0] is results, "one renderer builds one document"
        if self._conn is not None:
            try:
                status, value, *written = self._conn.recv()
            except (EOFError, OSError) as error:  # the process died: build it here
                log.info("report pictures drawn in this process (%s)", error)
            else:
                if status == "error":
                    raise value
                assert isinstance(value, Document)
                self.docx = written[0]
                return value
            finally:
                self.close()
        return document(results, lang=lang, figures=figures)

    def close(self) -> None:
        """End the process (it stops by itself once its pipe is closed; one never given a
        document to build is stopped at once)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._job is None:  # nothing to wait for: its imports and drawings are no one's
                self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
            self._process = None
