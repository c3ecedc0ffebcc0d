"""What the views need from the IPython kernel they run in."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any, ClassVar

import anywidget
import ipywidgets
import traitlets


def after_each_cell(callback: Callable[[Any], None]) -> Callable[[], None] | None:
    """Call ``callback(result)`` after each cell an IPython kernel runs; return how to stop,
    or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    shell.events.register("post_run_cell", callback)
    return lambda: shell.events.unregister("post_run_cell", callback)


def error_text(error: BaseException) -> str:
    """What a panel shows for ``error``: a Workbench error's message as it is; any other with
    its class, so that an unexpected ``AttributeError`` still says what it is."""
    from workbench.exceptions import WorkbenchError

    message = error.args[0] if isinstance(error, KeyError) and error.args else error
    if isinstance(error, WorkbenchError):
        return str(message)
    return f"{type(error).__name__}: {message}"


def guarded(action: Callable[[], Any], show_error: Callable[[str], None]) -> Callable[..., None]:
    """A handler for a button or a control that never raises into the kernel's log: any
    error of ``action`` is shown by ``show_error(message)`` in the panel, which stays usable."""

    def handler(*_args: Any) -> None:
        try:
            action()
        except Exception as error:  # a panel shows every error, never JupyterLab's log console
            show_error(error_text(error))

    return handler


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel, where a displayed widget is drawn."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _held_by_a_box(widget: Any) -> bool:
    """Whether ``widget`` is a child of a live container (a panel that shows it)."""
    from ipywidgets.widgets import widget as registry

    return any(
        widget in (getattr(other, "children", None) or ())
        for other in list(getattr(registry, "_instances", {}).values())
        if other is not widget
    )


class ShowsItself:
    """Mixin for a view that is also a callback: when a run starts and the view has not been
    shown, it shows itself in the running cell's output, once (as ``tqdm.auto`` does).

    ``live = curves(); fit_epochs(..., callbacks=[live])`` then draws the live chart even
    though the cell never displayed ``live``; a view already displayed, or held by a panel,
    is left where it is. The view calls :meth:`show_when_run_starts` as its run begins.
    Put this mixin before the widget class in the bases (and after a mixin that displays the
    view through ``_ipython_display_``, so that its display goes through
    ``_repr_mimebundle_`` here).
    """

    _shown: bool = False

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self._shown = True  # displayed by the notebook (last in a cell, display(), a picture)
        return super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]

    def show_when_run_starts(self) -> None:
        """Display this view now unless it was shown already (or is part of a panel)."""
        if self._shown:
            return
        self._shown = True  # once, whatever happens below
        if not _in_kernel() or _held_by_a_box(self):
            return
        from IPython.display import display

        display(self)


_PLAIN_PARTS: dict[tuple[type, tuple[tuple[str, str], ...]], Any] = {}


def plain_layout(**traits: str) -> Any:
    """One ``Layout`` with ``traits`` (the defaults when none), shared by the view widgets that
    never change theirs: a notebook saved with its widget state keeps every Layout model in
    full (about 1.5 kB each), so two Inspectors' step lists point to one ``Layout(width=...)``
    and a widget that would only repeat the defaults to the default one. Never set a trait on
    it: a view whose layout changes (hidden, shown) or that a user holds gets its own."""
    return plain_style(ipywidgets.Layout, **traits)


def plain_style(style_class: type, **traits: str) -> Any:
    """One style model of ``style_class`` (``ipywidgets.ButtonStyle``, ``HTMLStyle``, ...)
    with ``traits``, shared as :func:`plain_layout` is, by widgets that never change it."""
    key = (style_class, tuple(sorted(traits.items())))
    part = _PLAIN_PARTS.get(key)
    if part is None or part.comm is None:  # none yet, or closed
        part = _PLAIN_PARTS[key] = style_class(**traits)
    return part


#: The ``_esm`` of every :class:`SharedCodeWidget`: it loads the view's real module from the
#: one model that holds its source (``_code``), once per page, and renders with it.
_CODE_STUB = """\
// A Workbench view: its code is held once per notebook by the model named in _code.
const modules = (globalThis.__workbenchViewCode ??= new Map());
async function load(model) {
  const holder = await model.widget_manager.get_model(model.get("_code").slice(10));
  const source = holder.get("source");
  if (!modules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(source, import(url).finally(() => URL.revokeObjectURL(url)));
  }
  return (await modules.get(source)).default;
}
export default { async render(context) { return (await load(context.model)).render(context); } };
"""


class ViewCode(ipywidgets.Widget):
    """A model without a view that holds the source of one view module (see
    :func:`shared_code`)."""

    source = traitlets.Unicode("").tag(sync=True)


_CODE_HOLDERS: dict[str, ViewCode] = {}


def shared_code(path: pathlib.Path) -> ViewCode:
    """The one model, per kernel, that holds the JavaScript module at ``path``: a notebook
    saved with its widget state keeps every view's ``_esm`` in full, so views point to this
    instead of each carrying the source."""
    holder = _CODE_HOLDERS.get(str(path))
    if holder is None or holder.comm is None:  # none yet, or closed
        holder = _CODE_HOLDERS[str(path)] = ViewCode(source=path.read_text(encoding="utf-8"))
    return holder


class SharedCodeWidget(anywidget.AnyWidget):
    """An anywidget whose module (the file ``_code_file``) is held by :func:`shared_code`'s
    model: its own ``_esm`` is a small loader, the same for every view."""

    _code_file: ClassVar[pathlib.Path]
    _esm = _CODE_STUB
    _code = traitlets.Instance(ViewCode).tag(sync=True, **ipywidgets.widget_serialization)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_code=shared_code(self._code_file), **kwargs)
