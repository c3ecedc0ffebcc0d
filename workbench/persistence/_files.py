"""save/load: one zip file per pipeline, written atomically, checked when read back."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from workbench.exceptions import PersistenceError
from workbench.persistence._format import pack
from workbench.persistence._manifest import check_manifest
from workbench.persistence._savers import trusted_names
from workbench.persistence._unpacking import unpack, untrusted_types

_MANIFEST = "manifest.json"
_COMMENT = b"workbench-pipeline"  # in the end record: a truncated file loses it
# what reading a damaged member raises: a bad header or CRC, a short read, a broken deflate
# stream, a compression method or zip version no reader knows
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError)


def _write_zip(step: Any, target: IO[bytes], *, compress: bool) -> None:
    packed = pack(step)  # every saver runs before a byte is written
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(target, "w", compression=compression) as archive:
        archive.comment = _COMMENT
        manifest = json.dumps(packed.manifest, separators=(",", ":"))
        archive.writestr(_MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in packed.members.items():
            archive.writestr(name, data)


def save(step: Any, path: str | os.PathLike[str], *, compress: bool = False) -> Path:
    """Save a pipeline (or any step) to one file, atomically.

    The file is a zip archive: ``manifest.json`` holds the structure, the core's description of
    the tree, hyperparams, spaces, the mutation log, the frozen steps and the versions of Python
    and of the libraries; ``nodes/`` holds the steps: one skops blob for the scikit-learn
    parts and the composites' own state, and one blob per step that has a saver of its own
    (see :func:`register_saver`). The file is written to a
    temporary file next to ``path`` and moved in place at the end: a crash leaves the previous
    file as it was.

    Parameters
    ----------
    step : step
        A Workbench pipeline, any Workbench step, or a scikit-learn estimator.
    path : str or PathLike
        Where to write; an existing file is replaced.
    compress : bool, default False
        Deflate the blobs (smaller, slower).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    UnsavableStepError
        A step has no saver and pickle cannot handle it; nothing is written.
    PersistenceError
        ``path`` cannot be written.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn.linear_model import LinearRegression
    >>> from workbench import Pipeline
    >>> pipe = Pipeline([("model", LinearRegression())]).fit([[0.0], [1.0]], [1.0, 3.0])
    >>> path = save(pipe, os.path.join(tempfile.mkdtemp(), "model.wbz"))
    >>> load(path).predict([[2.0]])
    array([5.])
    """
    target = Path(path)
    parent = target.parent
    if target.is_dir():
        raise PersistenceError(
            f"Cannot save to {str(target)!r}: it is a directory. Pass a file path, such as "
            f"{str(target / 'pipeline.wbz')!r}."
        )
    if not parent.is_dir():
        raise PersistenceError(
            f"Cannot save to {str(target)!r}: the folder {str(parent)!r} does not exist. "
            f"Create it first (Path(...).mkdir(parents=True))."
        )
    buffer = io.BytesIO()
    _write_zip(step, buffer, compress=compress)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(buffer.getbuffer())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise PersistenceError(
            f"Cannot save to {str(target)!r}: {error.strerror or error}. Check that the folder "
            f"is writable and has room, or choose another path."
        ) from error
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    return target


def dumps(step: Any, *, compress: bool = False) -> bytes:
    """The bytes :func:`save` would write, for a database or a network.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> loads(dumps(StandardScaler(with_mean=False)))
    StandardScaler(with_mean=False)
    """
    buffer = io.BytesIO()
    _write_zip(step, buffer, compress=compress)
    return buffer.getvalue()


def _open(source: str | os.PathLike[str] | bytes) -> tuple[zipfile.ZipFile, str]:
    if isinstance(source, bytes | bytearray):
        where = "the data"
        handle: Any = io.BytesIO(source)
    else:
        where = repr(str(source))
        if not Path(source).exists():
            raise PersistenceError(
                f"Cannot load {where}: no such file. Check the path; save() writes one file."
            )
        if Path(source).is_dir():
            raise PersistenceError(f"Cannot load {where}: it is a directory, not a saved file.")
        handle = source
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as error:
        problem = str(error)
    except OSError as error:
        raise PersistenceError(f"Cannot load {where}: {error}.") from error
    else:
        if archive.comment == _COMMENT:
            return archive, where
        archive.close()
        problem = "its end record is missing"
    raise PersistenceError(
        f"Cannot load {where}: it is truncated, corrupted, or not a file written by "
        f"workbench.persistence.save() ({problem}). Save the pipeline again."
    )


def _read(archive: zipfile.ZipFile, where: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except KeyError:
        raise PersistenceError(
            f"Cannot load {where}: it has no {_MANIFEST}, so it was not written by "
            f"workbench.persistence.save()."
        ) from None
    except (*_DAMAGED, ValueError, RecursionError) as error:
        raise PersistenceError(
            f"Cannot load {where}: its manifest is corrupted ({error}). Save the pipeline again."
        ) from error
    manifest = check_manifest(manifest, where)
    members = {}
    for name in manifest.get("members", {}):
        try:
            members[name] = archive.read(name)
        except KeyError:
            continue  # reported as missing by unpack
        except _DAMAGED as error:
            raise PersistenceError(
                f"Cannot load {where}: the saved data {name!r} is corrupted ({error}). Save "
                f"the pipeline again."
            ) from error
    return manifest, members


def load(path: str | os.PathLike[str], *, trusted: Sequence[str | type] = ()) -> Any:
    """Load what :func:`save` wrote; types nobody trusted are refused, all listed at once.

    Parameters
    ----------
    path : str or PathLike
        A file written by :func:`save`.
    trusted : sequence of str or class
        Types to accept, by name (``module.Class``) or the classes themselves, beyond those
        skops trusts (scikit-learn, NumPy, SciPy), Workbench's step classes and Optuna's
        distributions (``TRUSTED_TYPES``), and the classes you registered a saver for in this
        session; :func:`get_untrusted_types` lists what a file needs. Trust only files from
        sources you trust: building an object of a trusted type can run its code.

    Raises
    ------
    UntrustedTypesError
        The file holds types not trusted; the message lists them.
    PersistenceError
        No such file; a truncated, corrupted or foreign file; a newer file format.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.preprocessing import StandardScaler
    >>> path = save(StandardScaler(), os.path.join(tempfile.mkdtemp(), "scaler.wbz"))
    >>> load(path)
    StandardScaler()
    """
    names = trusted_names(trusted)
    archive, where = _open(path)
    with archive:
        manifest, members = _read(archive, where)
    return unpack(
        manifest,
        members,
        trusted=names,
        where=where,
        call=lambda untrusted: f"workbench.persistence.load({where}, trusted={untrusted!r})",
    )


def loads(data: bytes, *, trusted: Sequence[str | type] = ()) -> Any:
    """Load bytes made by :func:`dumps`, with the checks of :func:`load`."""
    names = trusted_names(trusted)
    archive, where = _open(bytes(data))
    with archive:
        manifest, members = _read(archive, where)
    return unpack(
        manifest,
        members,
        trusted=names,
        where=where,
        call=lambda untrusted: f"workbench.persistence.loads(data, trusted={untrusted!r})",
    )


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a saved file (structure, description, versions), loading no step.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.preprocessing import StandardScaler
    >>> path = save(StandardScaler(), os.path.join(tempfile.mkdtemp(), "scaler.wbz"))
    >>> read_manifest(path)["root"]["class"]
    'sklearn.preprocessing._data.StandardScaler'
    """
    archive, where = _open(path)
    with archive:
        manifest, _ = _read(archive, where)
    return manifest


def get_untrusted_types(path: str | os.PathLike[str]) -> list[str]:
    """The type names :func:`load` would refuse without ``trusted=``, loading no step.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.preprocessing import StandardScaler
    >>> get_untrusted_types(save(StandardScaler(), os.path.join(tempfile.mkdtemp(), "s.wbz")))
    []
    """
    archive, where = _open(path)
    with archive:
        manifest, members = _read(archive, where)
    return untrusted_types(manifest, members)
