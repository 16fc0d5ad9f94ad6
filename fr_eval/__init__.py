"""fr-eval: audit the accuracy of live facial recognition deployments.

The package follows the data flow of an audit::

    footage -> detections -> tracks -> candidate scores -> alerts
            -> counts -> reconciliation -> report

Every stage has a module named for it; the command line (:mod:`fr_eval.cli`)
is a thin layer over these modules so a notebook can do everything it does.
"""

__version__ = "0.1.0"
