"""Fixtures shared across the suite: small data and a nested pipeline (tests/core and
tests/views), and a throwaway PostgreSQL server for storage tests."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user there."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server on 127.0.0.1 and a free port, started for this session.

    scripts/test.sh installs Debian's ``postgresql`` when missing; the server lives in a
    temporary directory and is stopped (and its data deleted) at the end.
    """
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed here; scripts/test.sh installs it (apt).")
    # not under pytest's tmp_path: its base directory is private to the user running pytest
    root = Path(tempfile.mkdtemp(prefix="workbench-postgres-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o700)
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -h 127.0.0.1 -k {sockets} -c fsync=off -c max_connections=50"
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"  # psycopg 3, as users get it
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_postgres(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
                ),
                check=True,
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


# -- the small data and the nested pipeline that tests/core and tests/views share ----------------
@pytest.fixture
def data():
    """80 rows of 5 features, two classes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture
def nested():
    """A Pipeline of an encoder Pipeline (scale, pca) and a Choose of two models; the linear
    one's ``C`` differs from its default (a changed hyperparam to show)."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from workbench import Choose, Pipeline

    return Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=3))])),
            (
                "model",
                Choose(
                    [
                        ("linear", LogisticRegression(C=0.5)),
                        ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
                    ]
                ),
            ),
        ]
    )
