"""View 6: the mutation panel, pre-train then fine-tune without code.

Pick a step and its replacement (the notebook's variables that are steps, or a built-in), freeze
or unfreeze steps, run more epochs and watch the curve continue with each mutation marked; the
mutation log sits beside it. Layers: ``_get_mutation_info`` returns plain data (the paths, the
frozen steps, the log); ``_render_log`` draws the log; the curve is the learning-curves view
(:func:`workbench.views.curves`), fed by each Run as a callback; :class:`MutationPanel` is the
widget. Every button has a method of the same name for use from Python.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import ipywidgets as widgets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from workbench.core.authoring import WorkbenchPipeline, is_workbench_pipeline
from workbench.exceptions import WorkbenchError
from workbench.views._curves import curves
from workbench.views._html import STYLE, esc, table, view
from workbench.views._kernel import error_text, guarded, plain_layout, plain_style
from workbench.views._picture import Picture, Pictured, watch_picture
from workbench.views._picture_draw import mutation_picture


def _builtin_steps() -> dict[str, Callable[[], Any]]:
    from sklearn.decomposition import PCA, IncrementalPCA
    from sklearn.linear_model import LogisticRegression, SGDClassifier, SGDRegressor
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return {
        "SGDClassifier(loss='log_loss')": lambda: SGDClassifier(loss="log_loss", random_state=0),
        "SGDRegressor()": lambda: SGDRegressor(random_state=0),
        "MLPClassifier(hidden_layer_sizes=(64,))": lambda: MLPClassifier(
            hidden_layer_sizes=(64,), random_state=0
        ),
        "LogisticRegression()": lambda: LogisticRegression(max_iter=500),
        "StandardScaler()": StandardScaler,
        "MinMaxScaler()": MinMaxScaler,
        "IncrementalPCA(n_components=16)": lambda: IncrementalPCA(n_components=16),
        "PCA(n_components=16)": lambda: PCA(n_components=16),
        "passthrough": lambda: "passthrough",
    }


def _is_step(value: Any) -> bool:
    return (
        not isinstance(value, type)
        and hasattr(value, "get_params")
        and (hasattr(value, "fit") or hasattr(value, "partial_fit"))
    )


def notebook_steps(
    namespace: Mapping[str, Any] | None = None, *, exclude: Any = None
) -> dict[str, Any]:
    """The variables of ``namespace`` (the notebook's, by default) that hold steps."""
    if namespace is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return {}
        shell = get_ipython()
        namespace = getattr(shell, "user_ns", None) or {}
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_") and _is_step(value) and value is not exclude
    }


_HINT = (
    '<div class="wb-view wb-muted">No epochs yet: press <b>Run</b> to train; the learning '
    "curve appears here, each mutation marked on it. Replace or freeze a step between runs.</div>"
)


class MutationInfo(NamedTuple):
    """Plain data the panel shows beside its curve: step paths, frozen ones, the log."""

    paths: list[str]
    frozen: list[str]
    log: list[dict[str, Any]]


def _get_mutation_info(pipeline: WorkbenchPipeline) -> MutationInfo:
    paths = [path for path, _ in pipeline.walk()]
    frozen = [path for path in paths if _frozen(pipeline, path)]
    log = [
        {
            "#": record.get("index"),
            "op": record.get("op"),
            "path": record.get("path"),
            "detail": " → ".join(
                str(record[key]) for key in ("old", "new") if record.get(key) is not None
            )
            or str(record.get("step_class", "")),
        }
        for record in pipeline.mutation_log
    ]
    return MutationInfo(paths, frozen, log)


def _frozen(pipeline: WorkbenchPipeline, path: str) -> bool:
    try:
        return bool(pipeline.is_frozen(path))
    except (WorkbenchError, AttributeError, KeyError):
        return False


def _render_log(info: MutationInfo) -> str:
    if not info.log:
        return view('<div class="wb-muted">mutation log: no mutations yet</div>')
    rows = [
        (str(record["#"]), str(record["op"]), str(record["path"]), str(record["detail"]))
        for record in info.log
    ]
    frozen = (
        f'<div class="wb-legend">frozen now: {esc(", ".join(info.frozen))}</div>'
        if info.frozen
        else ""
    )
    return view("<b>mutation log</b>" + table(["#", "op", "path", "what"], rows) + frozen)


class MutationPanel(Pictured, widgets.VBox):
    """Pre-train, mutate and fine-tune a pipeline from buttons, with its curve and log.

    Parameters
    ----------
    pipeline : Pipeline
        A Workbench pipeline that learns by mini-batch (``fit_epochs``).
    X, y : array-like
        The data each Run trains on (``y`` None for unsupervised steps).
    history : History, optional
        A History to continue (such as the pre-training's); each Run extends it.
    candidates : mapping of name -> step or zero-argument factory, optional
        Replacements offered besides the notebook's variables that hold steps and the
        built-ins.
    batch_size, validation_fraction, random_state, metrics
        Passed to :func:`workbench.training.fit_epochs` on every Run.
    record : bool
        Record each Run in the store (off by default).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Pipeline
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(120, 4)), np.arange(120) % 2
    >>> pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    >>> panel = MutationPanel(pipe, X, y, batch_size=40)
    >>> panel.run(2)
    >>> panel.freeze("scale")
    >>> panel.run(1)
    >>> list(panel.history["epoch"]), panel.history["mutation"].iloc[2]
    ([1, 2, 3], 'freeze scale')
    """

    def __init__(
        self,
        pipeline: WorkbenchPipeline,
        X: Any,
        y: Any = None,
        *,
        history: Any = None,
        candidates: Mapping[str, Any] | None = None,
        batch_size: int = 64,
        validation_fraction: float | None = 0.2,
        random_state: int | None = 0,
        metrics: Any = None,
        record: bool = False,
    ):
        if not is_workbench_pipeline(pipeline):
            raise TypeError(
                f"MutationPanel needs a Workbench Pipeline (or another composite), but got "
                f"{type(pipeline).__name__}. Build one with workbench.Pipeline([...])."
            )
        self.pipeline, self.X, self.y = pipeline, X, y
        self.history = history
        self.options = {
            "batch_size": batch_size,
            "validation_fraction": validation_fraction,
            "random_state": random_state,
            "metrics": metrics,
            "record": record,
        }
        self._extra_candidates = dict(candidates or {})
        self._runs = 0
        self._build_controls(history)
        failed = functools.partial(self._say, error=True)
        self.reload_button.on_click(guarded(self.refresh, failed))
        self.replace_button.on_click(guarded(self._replace_clicked, failed))
        self.freeze_button.on_click(guarded(self._freeze_clicked, failed))
        self.run_button.on_click(guarded(lambda: self.run(self.epochs.value), failed))
        self.target.observe(guarded(self._label_freeze, failed), names="value")
        super().__init__(self._layout())
        self.add_class("wb-mutation-panel")
        self.refresh()
        # a mutation, a message, the end of a run
        watch_picture(self, self.log_view, self.message, self.curve, names=["value", "data"])

    def _build_controls(self, history: Any) -> None:
        """The panel's widgets: what to change, how long to train, the curve and the log."""
        narrow = plain_style(DescriptionStyle, description_width="36px")
        self.target = widgets.Dropdown(
            description="step", layout=plain_layout(width="230px"), style=narrow
        )
        self.replacement = widgets.Dropdown(
            description="with", layout=plain_layout(width="330px"), style=narrow
        )
        self.reload_button = widgets.Button(
            icon="refresh",
            tooltip="look again for the notebook's variables that hold steps",
            layout=plain_layout(width="36px"),
            style=plain_style(widgets.ButtonStyle),
        )
        self.replace_button = widgets.Button(
            description="Replace",
            icon="exchange",
            layout=plain_layout(),
            style=plain_style(widgets.ButtonStyle),
        )
        self.freeze_button = widgets.Button(
            description="Freeze",
            icon="snowflake-o",
            layout=plain_layout(),
            style=plain_style(widgets.ButtonStyle),
        )
        self.epochs = widgets.BoundedIntText(
            value=3,
            min=1,
            max=10_000,
            description="epochs",
            layout=plain_layout(width="140px"),
            style=plain_style(DescriptionStyle, description_width="48px"),
        )
        self.run_button = widgets.Button(
            description="Run",
            icon="play",
            button_style="primary",
            layout=plain_layout(),
            style=plain_style(widgets.ButtonStyle),
        )
        html_style = plain_style(HTMLStyle)
        self.message = widgets.HTML(value="", layout=plain_layout(), style=html_style)
        self.curve = curves(history)  # continues ``history``; each Run feeds it as a callback
        self.curve.layout = widgets.Layout(flex="1 1 0%", min_width="520px")
        self.log_view = widgets.HTML(
            value="",
            layout=plain_layout(flex="0 0 340px", margin="0 0 0 12px"),
            style=html_style,
        )
        self.hint = widgets.HTML(
            value=_HINT, style=html_style
        )  # until the first Run: what to do, in one line
        if history is None:
            self.curve.layout.display = "none"
        else:
            self.hint.layout.display = "none"

    def _layout(self) -> list[widgets.Widget]:
        """The style, the controls (what to change, then how long to train) and the body."""
        controls = widgets.VBox(
            [
                widgets.HBox(
                    [self.target, self.replacement, self.reload_button, self.replace_button],
                    layout=plain_layout(),
                ),
                widgets.HBox(
                    [self.freeze_button, self.epochs, self.run_button], layout=plain_layout()
                ),
                self.message,
                self.hint,
            ],
            layout=plain_layout(),
        )
        body = widgets.HBox(
            [self.curve, self.log_view], layout=plain_layout(flex_flow="row wrap", width="100%")
        )
        style = widgets.HTML(value=STYLE, layout=plain_layout(), style=plain_style(HTMLStyle))
        return [style, controls, body]

    def _draw_picture(self) -> Picture:
        return mutation_picture(self.curve.data, self.log_view.value, self.message.value)

    # -- plain data -----------------------------------------------------------------------------
    def candidates(self) -> dict[str, Any]:
        """Replacements on offer: given ones, the notebook's step variables, the built-ins."""
        offered: dict[str, Any] = dict(self._extra_candidates)
        for name, value in notebook_steps(exclude=self.pipeline).items():
            offered.setdefault(name, value)
        for name, factory in _builtin_steps().items():
            offered.setdefault(name, factory)
        return offered

    def refresh(self) -> None:
        """Re-read the pipeline's steps, the candidates and the log; redraw."""
        paths = [path for path, _ in self.pipeline.walk()]
        current = self.target.value if self.target.value in paths else None
        self.target.options = paths
        self.target.value = current if current is not None else (paths[-1] if paths else None)
        chosen = self.replacement.value
        names = list(self.candidates())
        # offered first by default: a given candidate, else the first built-in (a notebook
        # variable may be a whole pipeline, a surprising default)
        default = next(iter(self._extra_candidates), next(iter(_builtin_steps())))
        self.replacement.options = names
        self.replacement.value = chosen if chosen in names else default
        self._label_freeze()
        self._draw()

    def _draw(self) -> None:
        self.log_view.value = _render_log(_get_mutation_info(self.pipeline))

    def _label_freeze(self) -> None:
        path = self.target.value
        frozen = bool(path) and _frozen(self.pipeline, path)
        self.freeze_button.description = "Unfreeze" if frozen else "Freeze"

    def _say(self, text: str, *, error: bool = False) -> None:
        kind = "wb-error" if error else "wb-muted"
        self.message.value = (
            f'<span class="wb-view"><span class="{kind}">{esc(text)}</span></span>'
        )

    # -- actions ---------------------------------------------------------------------------------
    def _replace_clicked(self) -> None:
        offered = self.candidates()
        name = self.replacement.value
        if name not in offered:
            self._say(f"Pick a replacement among {list(offered)}.", error=True)
            return
        value = offered[name]
        step = value if _is_step(value) or isinstance(value, str) else value()
        self.replace(self.target.value, step)

    def _freeze_clicked(self) -> None:
        path = self.target.value
        if _frozen(self.pipeline, path):
            self.unfreeze(path)
        else:
            self.freeze(path)

    def _mutate(self, action: Callable[[], Any], done: str) -> None:
        try:
            action()
        except Exception as error:  # shown in the panel; the pipeline is unchanged
            self._say(error_text(error), error=True)
            return
        self._say(done)
        self.refresh()

    def replace(self, path: str, step: Any) -> None:
        """Replace the step at ``path`` (the Replace button)."""
        label = "passthrough" if isinstance(step, str) else type(step).__name__
        self._mutate(
            lambda: self.pipeline.replace(path, step),
            f"replaced {path} with {label}; run epochs to train it",
        )

    def freeze(self, path: str) -> None:
        """Freeze the step at ``path`` (the Freeze button)."""
        self._mutate(lambda: self.pipeline.freeze(path), f"froze {path}")

    def unfreeze(self, path: str) -> None:
        """Unfreeze the step at ``path`` (the Unfreeze button)."""
        self._mutate(lambda: self.pipeline.unfreeze(path), f"unfroze {path}")

    def run(self, epochs: int) -> None:
        """Train ``epochs`` more epochs, continuing the History (the Run button)."""
        from workbench.training import fit_epochs

        self._runs += 1
        self.run_button.disabled = True
        self._say(f"training {epochs} epochs…")
        self.hint.layout.display, self.curve.layout.display = "none", None
        try:
            self.history = fit_epochs(
                self.pipeline,
                self.X,
                self.y,
                epochs=epochs,
                history=self.history,
                phase=f"run {self._runs}",
                callbacks=[self.curve],
                progress=False,
                **self.options,
            )
        except Exception as error:  # a step that cannot run: said here, never a hang
            self._say(error_text(error), error=True)
            return
        finally:
            self.run_button.disabled = False
        last = self.history.iloc[-1]
        scores = ", ".join(
            f"{name} {float(last[name]):.4g}"
            for name in self.history.metrics
            if name == "train_loss" or name.startswith("valid_")
        )
        self._say(f"epoch {int(last['epoch'])}: {scores}" if scores else "done")
        self.refresh()
