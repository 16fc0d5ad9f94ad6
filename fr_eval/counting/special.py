"""The two inverse functions the exact intervals need, in plain Python: ``betaincinv`` and ``gammaincinv``.

Why not :mod:`scipy.special`: importing it costs about 0.25 s of CPU (NumPy and SciPy's array layer), the
whole time budget of ``fr-eval reconcile`` on a counts file (docs/performance.md).  These are the classic
algorithms, each a few lines:

* the regularized incomplete beta ``I_x(a, b)`` by its continued fraction (modified Lentz), and the
  regularized lower incomplete gamma ``P(a, x)`` by its series or continued fraction (Numerical Recipes,
  3rd ed., 6.2 and 6.4);
* ``log B(a, b)`` and the prefactor ``x^a e^-x / Gamma(a)`` through Stirling's series when an argument is
  large, so that large counts (a million faces) keep their digits instead of cancelling two huge
  ``lgamma`` values;
* the inverses by Newton's method kept inside a bracket (bisection when a step would leave it), from the
  Numerical Recipes starting guesses; closed forms where they exist (``I_x(1, b)``, ``I_x(a, 1)``, ``a = 1``).

``tests/test_special.py`` checks both against SciPy over counts from 0 to millions (relative 1e-10).
"""

from __future__ import annotations

import math

_TINY = 1e-300
_EPS = 1e-16
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_MAX_TERMS = 200_000


def _stirling(x: float) -> float:
    """``lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2)`` for ``x >= 10`` (error below 1e-15)."""
    x2 = x * x
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * x2)) / x2) / x2) / x2) / x


def log_beta(a: float, b: float) -> float:
    """``log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b)``, without cancelling large terms."""
    a, b = min(a, b), max(a, b)
    s = a + b
    if a >= 10:
        return (_HALF_LOG_2PI + (a - 0.5) * math.log(a / s) + (b - 0.5) * math.log1p(-a / s) - 0.5 * math.log(s)
                + _stirling(a) + _stirling(b) - _stirling(s))
    if b >= 10:
        # lgamma(s) - lgamma(b), by Stirling's series
        d = (b - 0.5) * math.log1p(a / b) + a * math.log(s) - a + _stirling(s) - _stirling(b)
        return math.lgamma(a) - d
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(s)


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of ``I_x(a, b)`` (modified Lentz), converging for ``x < (a + 1) / (a + b + 2)``."""
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > _TINY else _TINY)
            c = 1 + aa / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function ``I_x(a, b)`` for ``a, b > 0``."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta(a, b))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def _start_beta(a: float, b: float, p: float) -> float:
    """Numerical Recipes' first guess at ``betaincinv(a, b, p)``."""
    if a >= 1 and b >= 1:
        pp = p if p < 0.5 else 1 - p
        t = math.sqrt(-2 * math.log(pp))
        z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t
        if p < 0.5:
            z = -z
        al = (z * z - 3) / 6
        h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1))
        w = z * math.sqrt(al + h) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h))
        return a / (a + b * math.exp(min(2 * w, 700.0)))
    lna, lnb = math.log(a / (a + b)), math.log(b / (a + b))
    t, u = math.exp(a * lna) / a, math.exp(b * lnb) / b
    w = t + u
    return (a * w * p) ** (1 / a) if p < t / w else 1 - (b * w * (1 - p)) ** (1 / b)


def betaincinv(a: float, b: float, p: float) -> float:
    """The ``x`` with ``I_x(a, b) = p``: the ``p`` quantile of the Beta(a, b) distribution."""
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    if a == 1:
        return -math.expm1(math.log1p(-p) / b)       # I_x(1, b) = 1 - (1 - x)^b
    if b == 1:
        return math.exp(math.log(p) / a)             # I_x(a, 1) = x^a
    lb = log_beta(a, b)
    x = min(max(_start_beta(a, b, p), 1e-300), 1 - 1e-16)
    return _newton(lambda v: betainc(a, b, v) - p,
                   lambda v: math.exp((a - 1) * math.log(v) + (b - 1) * math.log1p(-v) - lb), x, 0.0, 1.0)


def _log_gamma_front(a: float, x: float) -> float:
    """``log(x^a e^-x / Gamma(a))``, through Stirling's series for large ``a``."""
    if a >= 10:
        t = (x - a) / a
        return a * (math.log1p(t) - t) + 0.5 * math.log(a) - _HALF_LOG_2PI - _stirling(a)
    return a * math.log(x) - x - math.lgamma(a)


def gammainc(a: float, x: float) -> float:
    """The regularized lower incomplete gamma function ``P(a, x)`` for ``a > 0``."""
    if x <= 0:
        return 0.0
    front = math.exp(_log_gamma_front(a, x))
    if x < a + 1:                                    # the series
        ap, term = a, 1 / a
        total = term
        for _ in range(_MAX_TERMS):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                return front * total
        raise ArithmeticError(f"incomplete gamma did not converge for a={a}, x={x}")
    bb = x + 1 - a                                   # the continued fraction of Q = 1 - P
    c, d = 1 / _TINY, 1 / bb
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        bb += 2
        d = an * d + bb
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = bb + an / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        if abs(d * c - 1) < _EPS:
            return 1 - front * h
    raise ArithmeticError(f"incomplete gamma did not converge for a={a}, x={x}")


def gammaincinv(a: float, p: float) -> float:
    """The ``x`` with ``P(a, x) = p``: the ``p`` quantile of the Gamma(a, 1) distribution."""
    if p <= 0:
        return 0.0
    if p >= 1:
        return math.inf
    if a == 1:
        return -math.log1p(-p)                       # P(1, x) = 1 - e^-x
    if a > 1:                                        # Numerical Recipes' first guess (Wilson-Hilferty)
        pp = p if p < 0.5 else 1 - p
        t = math.sqrt(-2 * math.log(pp))
        z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t
        if p < 0.5:
            z = -z
        x = max(1e-3, a * (1 - 1 / (9 * a) - z / (3 * math.sqrt(a))) ** 3)
    else:
        t = 1 - a * (0.253 + a * 0.12)
        x = (p / t) ** (1 / a) if p < t else 1 - math.log1p(-(p - t) / (1 - t))
    return _newton(lambda v: gammainc(a, v) - p, lambda v: math.exp(_log_gamma_front(a, v)) / v, x, 0.0, math.inf)


def _newton(f, df, x: float, lo: float, hi: float) -> float:
    """A root of the increasing ``f`` in ``(lo, hi)``: Newton's steps, bisection (geometric when the bracket
    spans decades) whenever a step would leave the bracket; stops when a step no longer moves ``x``."""
    for _ in range(400):
        fx = f(x)
        if fx == 0:
            return x
        if fx < 0:
            lo = x
        else:
            hi = x
        slope = df(x)
        new = x - fx / slope if slope > 0 and math.isfinite(slope) else math.nan
        if not lo < new < hi:
            if math.isinf(hi):
                new = 2 * x + 1
            elif lo > 0 and hi / lo > 8:
                new = math.sqrt(lo * hi)
            elif lo == 0:
                new = hi / 8
            else:
                new = 0.5 * (lo + hi)
        if abs(new - x) <= 2e-16 * abs(x) or new in (lo, hi):
            return new
        x = new
    return x
