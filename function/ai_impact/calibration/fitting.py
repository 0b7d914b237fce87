"""Fitting tools shared by the calibration scripts (numpy only, so fits run where the engine runs).

Log-space least squares with Levenberg-Marquardt, Huber reweighting (IRLS) against outliers,
per-model row weights, and the multiplicative error statistics every calibration reports.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np


def load_rows(path: Path) -> list[dict[str, str]]:
    """The measured configurations of a CSV (one dict per row)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def levenberg_marquardt(
    resid: Callable[[np.ndarray], np.ndarray],
    theta0: np.ndarray,
    max_iter: int,
    tolerance: float,
) -> np.ndarray:
    """Minimise ||resid(theta)||^2 (forward-difference Jacobian, Marquardt damping); stops when
    an iteration lowers the cost by less than ``tolerance`` (relative)."""
    theta = np.array(theta0, dtype=np.float64)
    r = resid(theta)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(max_iter):
        jac = np.empty((r.size, theta.size))
        for j in range(theta.size):
            step = theta.copy()
            h = 1e-6 * max(1.0, abs(theta[j]))
            step[j] += h
            jac[:, j] = (resid(step) - r) / h
        a, g = jac.T @ jac, jac.T @ r
        damping = np.diag(np.diag(a) + 1e-12)
        while True:
            candidate = theta + np.linalg.solve(a + lam * damping, -g)
            with np.errstate(all="ignore"):
                r_new = resid(candidate)
            c_new = float(r_new @ r_new)
            if np.isfinite(c_new) and c_new < cost:
                lam = max(lam / 3.0, 1e-10)
                break
            lam *= 4.0
            if lam > 1e10:
                return theta
        converged = cost - c_new < tolerance * max(cost, 1e-30)
        theta, r, cost = candidate, r_new, c_new
        if converged:
            break
    return theta


def robust_fit(
    log_model: Callable[[np.ndarray], np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    theta0: np.ndarray,
    rounds: int,
    huber_delta: float,
    max_iter: int,
    tolerance: float,
) -> np.ndarray:
    """Huber (IRLS) least squares on log values, with row weights."""
    sw = np.sqrt(weights)

    def weighted(row_weights: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """The residual ``(log_model(theta) - y) * row_weights`` as a function of theta."""

        def residual(t: np.ndarray) -> np.ndarray:
            return (log_model(t) - y) * row_weights

        return residual

    theta = levenberg_marquardt(weighted(sw), theta0, max_iter, tolerance)
    for _ in range(rounds):
        a = np.abs(log_model(theta) - y)
        hw = sw * np.sqrt(np.where(a <= huber_delta, 1.0, huber_delta / np.maximum(a, 1e-12)))
        theta = levenberg_marquardt(weighted(hw), theta, max_iter, tolerance)
    return theta


def model_weights(model_ids: np.ndarray) -> np.ndarray:
    """1/sqrt(rows of the model): long batch sweeps of one model do not dominate the fit."""
    _, inverse, counts = np.unique(model_ids, return_inverse=True, return_counts=True)
    return 1.0 / np.sqrt(counts[inverse])


def multiplicative_error(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    """``exp(|ln(predicted / measured)|)``: 1.25 means 25% off either way."""
    return np.exp(np.abs(np.log(predicted / measured)))


def median_p90(errors: np.ndarray) -> tuple[float, float]:
    return float(np.median(errors)), float(np.percentile(errors, 90))


def rounded(value: float, digits: int) -> float:
    """``digits`` significant digits; 0 or 2 means that many decimals."""
    if digits <= 2:
        return float(round(value, digits))
    return float(f"{value:.{digits}g}")
