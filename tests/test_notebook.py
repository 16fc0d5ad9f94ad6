"""Execute notebooks/reconcile.ipynb with the venv's kernel; any failing cell (or assert) fails the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "reconcile.ipynb"


def _kernel_name() -> str:
    """A kernel that runs this interpreter; install one into sys.prefix when none is there."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    try:
        ksm.get_kernel_spec("python3")
        return "python3"
    except NoSuchKernel:
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True,
                       capture_output=True)
        return "python3"


@pytest.mark.timeout(300)
def test_reconcile_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=_kernel_name(), timeout=120,
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "8/42 = 19.0% [8.6%, 34.1%] per alert" in text
    assert "implied prevalence: 1 in 2,976" in text
    assert "EER (bob.measure)" in text and "364/390 = 93.3%" in text      # the score-list cells ran
