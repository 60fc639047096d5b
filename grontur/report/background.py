"""Draw a report's pictures, and write its DOCX and spreadsheet, in a second process while this
one analyses.

A run that writes a report with pictures spends about a third of its time on matplotlib: loading
it and drawing the charts and the anchoring timeline. :class:`Renderer` forks a process at the
start of the run (the command line starts it before it loads pandas) that loads the drawing, DOCX
and spreadsheet modules, the messages and the font while the analysis runs here, draws the
anchoring timeline in a process of its own as soon as the plan is made (it shows no gated
figure), then builds the report's document (charts, maps and all) from the published results,
each chart drawn in a process of its own meanwhile, writes ``report.docx`` (and, in another
process of its own, ``measures.xlsx`` from the same document's tables) when asked to and sends
the document back; this process meanwhile writes the data files. The document is the one
:func:`grontur.report.build.build_document` gives in this process, byte for byte, and so are the
files.

Where a second process cannot be forked (no ``fork`` start method, a process that runs other
threads, such as a notebook's kernel, or a daemonic worker) or dies, the document is built (and
the files written) here as before: the renderer only moves work, it never changes it.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import threading
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import replace
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Self, cast

from grontur.report.model import Document, Figure

log = logging.getLogger(__name__)


def _serve(conn: Connection) -> None:
    """The renderer process: load the drawing and DOCX modules, draw the figures asked for ahead,
    then build one document on request (and write it as DOCX when asked to)."""
    try:
        # loaded while the parent analyses: the figures drawn ahead and the job's figures arrive
        # as grontur.drawn's drawers; the document's text reads the personas and the home areas
        # (none of these loads pandas)
        from grontur import areas, drawn, personas  # noqa: F401
        from grontur.i18n import catalogue
        from grontur.report import build, charts, docx, xlsx  # noqa: F401

        # and, while waiting, what the first document and chart would read first: the messages,
        # the personas, the font
        catalogue()
        personas.load_personas()
        charts.warm_up()
        # what is loaded stays: the collector need not walk it again and again while drawing
        gc.freeze()
        ready = _Ahead()
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the run ended (or failed) without a report
                ready.close()
                return
            if message[0] == "ahead":
                _, name, draw = message
                ready.draw(name, draw)
                continue
            _, results, lang, figures, docx_path, xlsx_path = message
            sheet = None
            try:
                doc = document(results, lang=lang, figures=figures, ready=ready, forked=True)
                # the spreadsheet (the document's tables) in a process of its own while the DOCX is written
                sheet = _fork(partial(xlsx.write_xlsx, doc, results, xlsx_path)) if xlsx_path else None
                written = docx.write_report_docx(doc, results, docx_path) if docx_path is not None else None
            except Exception as error:  # noqa: BLE001  (any error is the parent's to raise, as its own)
                conn.send(("error", error))
            else:
                # a spreadsheet not written there (None) is written by the parent, which raises its error
                spreadsheet = _outcome(*sheet)[1] if sheet is not None else None
                conn.send(("ok", doc, written, spreadsheet))
            finally:
                if sheet is not None:
                    _outcome(*sheet)
            return
    except KeyboardInterrupt:  # Ctrl-C reaches both processes: the run's own process reports it
        return
    finally:
        conn.close()


def _fork(work: Callable[[], Any]) -> tuple[int, int] | None:
    """Run ``work()`` in a process forked from this one; its process id and the pipe its pickled
    result comes down (see :func:`_outcome`), or None where no process could be forked."""
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the forked process: the result down the pipe, then gone (no cleanup of the parent's)
        status = 1
        try:
            os.close(reader)
            data = pickle.dumps(work())
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: BLE001, S110  (the caller does the work again, and reports it)
            pass
        finally:
            os._exit(status)
    os.close(writer)
    return pid, reader


_REAPED: dict[int, tuple[bool, Any]] = {}


def _outcome(pid: int, reader: int) -> tuple[bool, Any]:
    """Wait for the process :func:`_fork` started: (True, its result), or (False, None) when it failed."""
    if pid not in _REAPED:
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        # from the process this one forked
        _REAPED[pid] = (True, pickle.loads(data)) if status == 0 and data else (False, None)
    return _REAPED[pid]


class _Ahead(Mapping[str, bytes]):
    """The PNGs of the figures drawn ahead, by name.

    Each is drawn in a process of its own, forked from the renderer (which has matplotlib loaded),
    so that it is drawn while the renderer draws the report's own charts; it is read when the
    document first places it. Where that process cannot be forked or fails, the figure is drawn
    in the renderer (an error in drawing it is then raised there, with the document's).
    """

    def __init__(self) -> None:
        self._done: dict[str, bytes | None] = {}
        self._drawing: dict[str, tuple[int, int, Callable[[], Any]]] = {}

    def draw(self, name: str, draw: Callable[[], Any]) -> None:
        """Start drawing ``name`` (``draw()`` gives the figure)."""
        if name in self._done or name in self._drawing:
            return
        drawing = _fork(partial(_png_of, draw))
        if drawing is None:
            self._done[name] = self._here(name, draw)
        else:
            self._drawing[name] = (*drawing, draw)

    @staticmethod
    def _here(name: str, draw: Callable[[], Any]) -> bytes | None:
        try:
            return _png_of(draw)
        except Exception:  # drawn again with the document, which raises the error
            log.debug("%s not drawn ahead", name, exc_info=True)
            return None

    def _wait(self, name: str) -> bytes | None:
        pid, reader, draw = self._drawing.pop(name)
        drawn, png = _outcome(pid, reader)
        if drawn:
            return png
        # that process failed: drawn here, where an error is raised with the document's
        return _png_of(draw)

    def _settle(self, name: str) -> bytes | None:
        if name in self._drawing:
            self._done[name] = self._wait(name)
        return self._done.get(name)

    def __getitem__(self, name: str) -> bytes:
        png = self._settle(name)
        if png is None:
            raise KeyError(name)
        return png

    def __iter__(self) -> Iterator[str]:
        # a figure still being drawn counts as drawn (one that turns out to be no figure is
        # skipped by the document, grontur.report.build)
        for name in [*self._done, *self._drawing]:
            if name in self._drawing or self._done.get(name) is not None:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def close(self) -> None:
        """Wait for every drawing process (their PNGs unread)."""
        for name in list(self._drawing):
            self._settle(name)


class _Charts:
    """The report's own charts, each drawn in a process of its own forked from the renderer, so
    that they are drawn side by side while the renderer builds the rest of the document.

    :meth:`start` gives a stand-in for a chart's PNG at once; :meth:`fill` puts each chart's PNG
    in its stand-in's place once the document is built. Where a process cannot be forked or
    fails, the chart is drawn in the renderer (an error in drawing it is raised there)."""

    #: How a stand-in begins (no PNG does: a PNG begins with b"\x89PNG").
    _STAND_IN = b"grontur: chart being drawn "

    def __init__(self) -> None:
        self._drawing: dict[bytes, tuple[int, int, Callable[[], bytes]]] = {}

    def start(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
        """Start drawing the chart ``name`` draws from ``args`` and ``kwargs``: its stand-in."""
        from grontur.report.build import chart_png

        work = partial(chart_png, name, args, kwargs)
        drawing = _fork(work)
        if drawing is None:
            return work()
        stand_in = self._STAND_IN + str(len(self._drawing)).encode()
        self._drawing[stand_in] = (*drawing, work)
        return stand_in

    def _png(self, stand_in: bytes) -> bytes:
        pid, reader, work = self._drawing.pop(stand_in)
        drawn, png = _outcome(pid, reader)
        return png if drawn else work()  # (drawn here: an error is raised with the document's)

    def fill(self, doc: Document) -> Document:
        """``doc`` with each chart's PNG in place of its stand-in (waiting for those still drawn)."""
        if not self._drawing:
            return doc
        sections = tuple(replace(section, blocks=tuple(
            replace(block, png=self._png(block.png))
            if isinstance(block, Figure) and block.png in self._drawing else block
            for block in section.blocks)) for section in doc.sections)
        if self._drawing:  # a chart placed where no figure of a section holds it
            msg = f"{len(self._drawing)} chart(s) outside the document's figures"
            raise RuntimeError(msg)
        return replace(doc, sections=sections)

    def close(self) -> None:
        """Wait for every drawing process still running (their PNGs unread)."""
        for pid, reader, _ in self._drawing.values():
            _outcome(pid, reader)
        self._drawing.clear()


def _png_of(draw: Callable[[], Any]) -> bytes | None:
    """The PNG of the figure ``draw()`` gives (None: no figure)."""
    from grontur.report.charts import render_png

    figure = draw()
    return render_png(figure) if figure is not None else None


def document(results: Mapping[str, Any], *, lang: str, figures: Mapping[str, Any] | None,
             ready: Mapping[str, bytes] | None = None, forked: bool = False) -> Document:
    """The report's document with every picture drawn: the external ``figures`` (rendered once and
    closed; those in ``ready`` were rendered ahead, as PNG) and the report's own charts (each in
    a process of its own when ``forked``: in the renderer, which runs no other thread)."""
    from grontur.report import figures_to_png
    from grontur.report.build import build_document

    ready = ready if ready is not None else {}
    pngs: Mapping[str, bytes]
    if ready and figures is not None:  # (the truth of figures drawn when read would draw them)
        # figures drawn when read leave out the ready ones undrawn; others are given as they are;
        # a ready one still being drawn is read when the document places it
        rest = figures.without(ready) if hasattr(figures, "without") else \
            {name: figure for name, figure in figures.items() if name not in ready}
        pngs = ChainMap(cast("MutableMapping[str, bytes]", ready), figures_to_png(rest))  # read only
    else:
        pngs = figures_to_png(figures)
    if not forked:
        return build_document(results, lang=lang, figures=pngs, charts=True)
    charts = _Charts()
    try:
        return charts.fill(build_document(results, lang=lang, figures=pngs, charts=True, chart=charts.start))
    finally:
        charts.close()  # (no process left behind when the document fails)


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
        self._job: tuple[Mapping[str, Any], str, Mapping[str, Any] | None, Path | None, Path | None] | None = None
        #: ``report.docx`` as written by the second process (None: not asked for, or not written there).
        self.docx: Path | None = None
        #: ``measures.xlsx`` as written over there (None: not asked for, or not written there).
        self.xlsx: Path | None = None
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
               docx_path: Path | None = None, xlsx_path: Path | None = None) -> None:
        """Start building the document of ``results`` in ``lang`` with ``figures`` (drawn over there),
        writing it as DOCX to ``docx_path`` and the spreadsheet to ``xlsx_path`` when given (see
        :attr:`docx` and :attr:`xlsx`)."""
        if self._job is not None:
            return
        self._job = (results, lang, figures, docx_path, xlsx_path)
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
                self.docx, self.xlsx = written
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
