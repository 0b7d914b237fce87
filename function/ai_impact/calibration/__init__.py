"""Calibration data and scripts that derive the engine coefficients."""
