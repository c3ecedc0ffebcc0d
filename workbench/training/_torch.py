"""TorchStep: a PyTorch module as a step that learns by mini-batch on a chosen device."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, ClassVar, Self

import numpy as np

from workbench.core import Hyperparam, Step, categorical, floats, ints
from workbench.exceptions import NotFittedError, TrainingError
from workbench.training._torch_data import import_torch

_LOSSES = {
    "cross_entropy": "CrossEntropyLoss",
    "mse": "MSELoss",
    "l1": "L1Loss",
    "huber": "HuberLoss",
}
_OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}
_EVAL_CHUNK = 8192

#: The TorchSteps set up on a CUDA device; the last to let go also gives back torch's cuBLAS
#: workspaces, which the first matrix product of a process keeps (32 MiB each on an H100).
_CUDA_HOLDERS: weakref.WeakSet[Any] = weakref.WeakSet()


def _to_device(value: Any, device: Any) -> Any:
    torch = import_torch()
    if isinstance(value, torch.Tensor):
        return value.detach().to(device, copy=True)
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_device(item, device) for item in value)
    return value


class TorchStep(Step):
    """A PyTorch module, loss and optimizer as a step: it learns by mini-batch.

    The module is built at the first fit from ``module(n_features, n_outputs, **extra)``:
    ``n_features`` is the width of 2-D inputs (the shape of one sample for ND inputs),
    ``n_outputs`` the number of classes (``loss="cross_entropy"``), of target columns (other
    losses), or None without ``y``, and ``extra`` every hyperparameter a subclass declares,
    so layer sizes get spaces like any hyperparameter (or override :meth:`build_module`).

    The device is chosen at :meth:`setup` (``device="auto"``: CUDA where present, else the
    CPU) and released at :meth:`teardown`: the weights and the optimizer's state move to the
    CPU, the gradients are dropped and CUDA memory is given back. ``partial_fit`` learns from
    one batch and leaves its loss in ``batch_loss_`` (read from the device only when asked);
    :func:`~workbench.training.fit_epochs` reads the losses into the History once per epoch.
    A frozen TorchStep (``pipe.freeze(path)``) has no gradients and only transforms. Between
    two TorchSteps of a pipeline the gradient flows: a TorchStep in the middle learns from the
    loss of the next one (an encoder under a decoder, then under a classification head), its
    update applied as soon as that loss's backward pass ends.

    ``state_dict()`` / ``load_state_dict()`` carry the module's and the optimizer's state and
    the fitted metadata in torch's vocabulary (tensors, lists, numbers), so saving needs no
    pickle; loading rebuilds the module from the hyperparameters.

    Examples
    --------
    >>> import numpy as np, torch
    >>> def mlp(n_features, n_outputs, hidden):
    ...     return torch.nn.Sequential(
    ...         torch.nn.Linear(n_features, hidden), torch.nn.ReLU(),
    ...         torch.nn.Linear(hidden, n_outputs))
    >>> class MLP(TorchStep):
    ...     hidden = Hyperparam(16, space=ints(4, 256, log=True))
    >>> X = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = MLP(module=mlp, lr=0.01, epochs=20, random_state=0, device="cpu").fit(X, y)
    >>> bool(model.score(X, y) > 0.9), model.get_hyperparams()["hidden"]
    (True, 16)
    """

    holds_resources: ClassVar[bool] = True
    reports_batch_loss: ClassVar[bool] = True
    passes_gradient: ClassVar[bool] = True

    module = Hyperparam(None, doc="factory (n_features, n_outputs, **extra) -> torch.nn.Module")
    loss = Hyperparam("cross_entropy", doc="cross_entropy, mse, l1, huber, or a loss factory")
    optimizer = Hyperparam("adam", space=categorical(list(_OPTIMIZERS)))
    lr = Hyperparam(1e-3, space=floats(1e-5, 1e-1, log=True), doc="learning rate", strict=False)
    weight_decay = Hyperparam(0.0, space=floats(0.0, 1e-2), strict=False)
    epochs = Hyperparam(10, space=ints(1, 200, log=True), doc="epochs of fit()", strict=False)
    batch_size = Hyperparam(
        64, space=ints(8, 1024, log=True), doc="batch size of fit()", strict=False
    )
    device = Hyperparam("auto", doc="'auto', 'cpu', 'cuda', 'cuda:1', ...")
    random_state = Hyperparam(None, doc="seed of the weights' initialisation and of fit()")

    _device: Any = None
    _batch_loss: Any = None  # the last batch's loss: a float, or a scalar on the device
    _frozen: bool = False
    _pending_step: bool = False
    _module_training: bool | None = None
    _identity_classes: bool = False

    # -- resources -----------------------------------------------------------------------
    def setup(self) -> Self:
        """Choose the device (see :meth:`acquire_resources`); without torch, an ImportError."""
        import_torch()
        return super().setup()

    def acquire_resources(self) -> None:
        """Choose the device and move the module (when built) there."""
        torch = import_torch()
        name: Any = self.device
        if name == "auto":
            name = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise TrainingError(
                f"device={self.device!r} asks for CUDA, but torch sees no GPU here. Use "
                f"device='auto' or 'cpu'."
            )
        self._device = device
        if device.type == "cuda":
            _CUDA_HOLDERS.add(self)
        self._move(device)

    def release_resources(self) -> None:
        """Move the module and the optimizer's state to the CPU, drop the gradients and the
        last loss, and give back CUDA memory (cached blocks; and cuBLAS's workspaces when no
        other TorchStep is set up on a GPU)."""
        torch = import_torch()
        was_cuda = self._device is not None and self._device.type == "cuda"
        if hasattr(self, "module_"):
            self._flush()
            self.optimizer_.zero_grad(set_to_none=True)
            self._move(torch.device("cpu"))
        if self._batch_loss is not None and not isinstance(self._batch_loss, float):
            self._batch_loss = float(self._batch_loss)
        self._device = None
        _CUDA_HOLDERS.discard(self)
        if was_cuda:
            if not _CUDA_HOLDERS:
                clear_workspaces = getattr(torch._C, "_cuda_clearCublasWorkspaces", None)
                if clear_workspaces is not None:
                    clear_workspaces()
            torch.cuda.empty_cache()

    def _move(self, device: Any) -> None:
        if hasattr(self, "module_"):
            self.module_.to(device)
            # The optimizer's own loading puts each state tensor where torch wants it: beside
            # its parameter, except Adam's step counts, which stay on the CPU unless the
            # optimizer is fused or capturable.
            self.optimizer_.load_state_dict(self.optimizer_.state_dict())

    # -- building ------------------------------------------------------------------------
    def _extra_hyperparams(self) -> dict[str, Any]:
        base = TorchStep._declared_hyperparams
        return {
            name: getattr(self, name) for name in self._declared_hyperparams if name not in base
        }

    def build_module(self, n_features: Any, n_outputs: int | None) -> Any:
        """The module to train; by default ``module(n_features, n_outputs, **extra)``."""
        if not callable(self.module):
            raise TrainingError(
                f"TorchStep needs module=, a factory (n_features, n_outputs, **extra) -> "
                f"torch.nn.Module, but got {self.module!r}. Or subclass it and override "
                f"build_module()."
            )
        return self.module(n_features, n_outputs, **self._extra_hyperparams())

    def build_loss(self) -> Callable[..., Any]:
        """The loss module from ``loss``."""
        torch = import_torch()
        loss: Any = self.loss
        if callable(loss):
            return loss()
        if loss not in _LOSSES:
            raise TrainingError(
                f"loss must be one of {sorted(_LOSSES)} or a factory of a loss module, but "
                f"got {self.loss!r}."
            )
        return getattr(torch.nn, _LOSSES[loss])()

    def build_optimizer(self, parameters: Any) -> Any:
        """The optimizer from ``optimizer``, ``lr`` and ``weight_decay``."""
        torch = import_torch()
        if self.optimizer not in _OPTIMIZERS:
            raise TrainingError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)}, but got {self.optimizer!r}."
            )
        cls = getattr(torch.optim, _OPTIMIZERS[str(self.optimizer)])
        return cls(parameters, lr=self.lr, weight_decay=self.weight_decay)

    @property
    def _classifies(self) -> bool:
        return self.loss == "cross_entropy"

    def _initialize(self, n_features: Any, y: Any, classes: Any, *, middle: bool = False) -> None:
        n_outputs: int | None
        if middle:  # learns from the next TorchStep's loss: no target of its own
            n_outputs, self.target_ndim_ = None, 0
        elif self._classifies:
            if classes is None and y is None:
                raise TrainingError("A TorchStep with loss='cross_entropy' needs labels y.")
            labels = np.unique(np.asarray(classes if classes is not None else y))
            self.classes_ = labels
            self._identity_classes = _are_indices(labels)
            n_outputs = len(labels)
            self.target_ndim_ = 1
        elif y is None:
            n_outputs, self.target_ndim_ = None, 0
        else:
            shape = np.shape(y)
            n_outputs = 1 if len(shape) == 1 else int(np.prod(shape[1:]))
            self.target_ndim_ = len(shape)
        self._build(n_features, n_outputs)
        self.n_features_in_ = n_features
        self.n_outputs_ = n_outputs

    def _build(self, n_features: Any, n_outputs: int | None) -> None:
        torch = import_torch()
        if self.random_state is not None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.random_state)
                module = self.build_module(n_features, n_outputs)
        else:
            module = self.build_module(n_features, n_outputs)
        if not isinstance(module, torch.nn.Module):
            raise TrainingError(
                f"The module factory must return a torch.nn.Module, but returned {module!r}."
            )
        self.module_ = module.to(self._device)
        self.optimizer_ = self.build_optimizer(self.module_.parameters())
        self.loss_function_ = self.build_loss()
        self._module_training = None
        if self._frozen:
            self.module_.requires_grad_(False)

    # -- tensors -------------------------------------------------------------------------
    def _inputs(self, X: Any) -> Any:
        torch = import_torch()
        if isinstance(X, torch.Tensor):
            return X if X.device == self._device else X.to(self._device)
        X = np.asarray(X)
        if X.dtype != np.float32:
            X = X.astype(np.float32)
        return torch.from_numpy(X).to(self._device)

    def _encode_targets(self, y: Any, classes: Any = None) -> np.ndarray:
        """``y`` as the loss wants it: class indices (int64) or float32 values, on the host.

        Before the first fit, the classes are those of ``classes`` (else of ``y``)."""
        y = np.asarray(y)
        if self._classifies:
            labels = getattr(self, "classes_", None)
            if labels is not None:
                identity = self._identity_classes
            else:
                labels = np.unique(np.asarray(classes if classes is not None else y))
                identity = _are_indices(labels)
            return np.asarray(y if identity else np.searchsorted(labels, y), dtype=np.int64)
        return y if y.dtype == np.float32 else y.astype(np.float32)

    def _targets(self, y: Any) -> Any:
        torch = import_torch()
        if isinstance(y, torch.Tensor):  # encoded already (see _encode_targets)
            target = y if y.device == self._device else y.to(self._device)
        else:
            target = torch.from_numpy(self._encode_targets(y)).to(self._device)
        if self._classifies or target.dim() != 1:
            return target
        return target.reshape(len(target), 1)

    def _mode(self, training: bool) -> None:
        if self._module_training is not training:
            self.module_.train(training)
            self._module_training = training

    def _flush(self) -> None:
        """Apply the update a downstream TorchStep's gradient left pending."""
        if self._pending_step:
            self._pending_step = False
            self.optimizer_.step()

    def _n_features(self, X: Any) -> Any:
        shape = tuple(X.shape[1:])
        return shape[0] if len(shape) == 1 else shape

    # -- learning ------------------------------------------------------------------------
    def partial_fit(self, X: Any, y: Any = None, *, classes: Any = None) -> Self:
        """Learn from one mini-batch; its loss goes to ``batch_loss_``."""
        X_t = self._inputs(X)
        if not hasattr(self, "module_"):
            self._initialize(self._n_features(X_t), y, classes)
        if y is None:
            raise TrainingError(
                "TorchStep.partial_fit needs a target y: put it after InputAsTarget for an "
                "autoencoder, or in the middle of a pipeline that ends in a TorchStep."
            )
        if self._frozen:
            return self
        self._mode(True)
        self._flush()
        optimizer = self.optimizer_
        optimizer.zero_grad(set_to_none=True)
        loss = self.loss_function_(self.module_(X_t), self._targets(y))
        loss.backward()
        optimizer.step()
        self._batch_loss = loss.detach()  # read back only when asked: no wait per batch
        return self

    @property
    def batch_loss_(self) -> float:
        """The loss of the last mini-batch learned."""
        loss = self._batch_loss
        if loss is None:
            raise AttributeError(
                f"This {type(self).__name__} has learned no mini-batch yet, so it has no "
                f"batch_loss_; call partial_fit or fit first."
            )
        if not isinstance(loss, float):
            loss = self._batch_loss = float(loss)
        return loss

    def partial_fit_transform(self, X: Any, y: Any = None) -> Any:
        """Forward one mini-batch in train mode and return the output with its graph: the
        next TorchStep's loss updates this one too, as soon as its backward pass ends."""
        if not self._is_set_up:
            self.setup()
        X_t = self._inputs(X)
        if not hasattr(self, "module_"):
            self._initialize(self._n_features(X_t), None, None, middle=True)
        if self._frozen:
            return self.transform(X)
        self._mode(True)
        self._flush()
        self.optimizer_.zero_grad(set_to_none=True)
        self._pending_step = True
        output = self.module_(X_t)
        if output.requires_grad:
            output.register_hook(self._on_output_gradient)
        return output

    def _on_output_gradient(self, gradient: Any) -> None:
        """The next step's backward pass reached this step's output: once it has finished
        (every gradient of this module accumulated), apply the update."""
        engine = import_torch().autograd.Variable._execution_engine
        engine.queue_callback(self._flush)

    def fit(self, X: Any, y: Any = None) -> Self:
        """Train from scratch for ``epochs`` epochs of ``batch_size`` shuffled samples."""
        from workbench.training._torch_data import TorchBatches

        for name in ("module_", "optimizer_", "loss_function_", "classes_"):
            self.__dict__.pop(name, None)
        self._batch_loss = None
        settings: Any = self  # hyperparams, typed as declared
        epochs, batch_size = int(settings.epochs), int(settings.batch_size)
        rng = np.random.default_rng(settings.random_state)
        classes = np.unique(y) if self._classifies and y is not None else None
        data = TorchBatches(X, y, entry=self, final=self, classes=classes)
        try:
            for _ in range(epochs):
                losses = []
                order = rng.permutation(data.n_samples)
                for X_batch, y_batch, _ in data.batches(order, batch_size):
                    self.partial_fit(X_batch, y_batch, classes=classes)
                    losses.append(self._batch_loss)
                diverged = [loss for loss in data.to_floats(losses) if not np.isfinite(loss)]
                if diverged:
                    from workbench.exceptions import DivergedError

                    raise DivergedError(
                        f"The loss became {diverged[0]}; lower lr (now {self.lr})."
                    )
        finally:
            data.release()
        return self

    def set_frozen(self, frozen: bool) -> None:
        """Frozen: no gradients, no updates; the step only transforms."""
        self._frozen = bool(frozen)
        if hasattr(self, "module_"):
            self._flush()
            self.module_.requires_grad_(not frozen)

    # -- using ---------------------------------------------------------------------------
    def _forward(self, X: Any) -> Any:
        torch = import_torch()
        if not hasattr(self, "module_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit or partial_fit first."
            )
        self._flush()
        self._mode(False)
        X_t = self._inputs(X)
        with torch.no_grad():
            outputs = [
                self.module_(X_t[i : i + _EVAL_CHUNK]) for i in range(0, len(X_t), _EVAL_CHUNK)
            ]
        return torch.cat(outputs) if outputs else self.module_(X_t)

    def transform(self, X: Any) -> Any:
        """The module's output (eval mode, no gradients) as a NumPy array."""
        return self._forward(X).cpu().numpy()

    def predict(self, X: Any) -> Any:
        """Classes (``cross_entropy``) or values, in the shape of ``y``."""
        output = self._forward(X)
        if self._classifies:
            return self.classes_[output.argmax(dim=1).cpu().numpy()]
        values = output.cpu().numpy()
        return values.ravel() if getattr(self, "target_ndim_", 2) == 1 else values

    def predict_proba(self, X: Any) -> Any:
        """Class probabilities (softmax of the outputs); classifiers only."""
        if not self._classifies:
            raise AttributeError("predict_proba needs loss='cross_entropy'.")
        return import_torch().softmax(self._forward(X), dim=1).cpu().numpy()

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy for a classifier, R^2 otherwise."""
        from sklearn.metrics import accuracy_score, r2_score

        if self._classifies:
            return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier" if self._classifies else "regressor"
        tags.non_deterministic = True
        return tags

    # -- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Module and optimizer state (on the CPU) and the fitted metadata, in plain types."""
        if not hasattr(self, "module_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted; nothing to save.")
        self._flush()
        cpu = import_torch().device("cpu")
        classes = getattr(self, "classes_", None)
        return {
            "module": _to_device(self.module_.state_dict(), cpu),
            "optimizer": _to_device(self.optimizer_.state_dict(), cpu),
            "meta": {
                "n_features_in": self.n_features_in_,
                "n_outputs": self.n_outputs_,
                "target_ndim": self.target_ndim_,
                "classes": None if classes is None else classes.tolist(),
                "classes_dtype": None if classes is None else str(classes.dtype),
                "frozen": self._frozen,
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> Self:
        """Rebuild the module from the hyperparameters and load ``state`` into it."""
        if not {"module", "optimizer", "meta"} <= set(state):
            raise TrainingError(
                f"A TorchStep state has the keys 'module', 'optimizer' and 'meta', but got "
                f"{sorted(state)}. Pass what state_dict() returned."
            )
        if not self._is_set_up:
            self.setup()
        meta = state["meta"]
        n_features = meta["n_features_in"]
        n_features = tuple(n_features) if isinstance(n_features, list) else n_features
        if meta["classes"] is not None:
            self.classes_ = np.asarray(meta["classes"], dtype=meta["classes_dtype"])
            self._identity_classes = _are_indices(self.classes_)
        self._frozen = bool(meta["frozen"])
        self._build(n_features, meta["n_outputs"])
        self.module_.load_state_dict(state["module"])
        self.optimizer_.load_state_dict(_to_device(state["optimizer"], self._device))
        self.n_features_in_, self.n_outputs_ = n_features, meta["n_outputs"]
        self.target_ndim_ = meta["target_ndim"]
        self._pending_step = False
        return self


def _are_indices(labels: np.ndarray) -> bool:
    """Whether sorted class labels are 0, 1, ..., n-1: then they are their own indices."""
    return bool(labels.dtype.kind in "iu" and np.array_equal(labels, np.arange(len(labels))))
