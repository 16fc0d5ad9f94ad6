"""matplotlib, set up once for every figure fr-eval draws.

* the non-interactive Agg backend (no display is needed);
* a private, temporary configuration and cache folder (``MPLCONFIGDIR``) unless the user set one: fr-eval
  writes nothing into the user's home folder, and the folder is removed when the process ends;
* the house style (DejaVu Sans, no top/right spines, SVG text as text, a fixed SVG hash salt so that the
  same figure gives the same bytes).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

FONT = "DejaVu Sans"
_STATE: dict[str, object] = {}


def pyplot():
    """``matplotlib.pyplot``, configured (module docstring)."""
    if "plt" not in _STATE:
        if not os.environ.get("MPLCONFIGDIR"):
            folder = tempfile.mkdtemp(prefix="fr-eval-matplotlib-")
            atexit.register(shutil.rmtree, folder, True)
            os.environ["MPLCONFIGDIR"] = folder
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        plt.rcParams.update({"font.family": FONT, "font.size": 8, "axes.spines.top": False,
                             "axes.spines.right": False, "svg.fonttype": "none", "svg.hashsalt": "fr-eval"})
        _STATE["plt"] = plt
    return _STATE["plt"]
