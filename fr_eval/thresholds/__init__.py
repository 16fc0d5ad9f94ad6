"""Thresholds: sweeps, targets, comparisons of runs and the CI gate, all from stored scores."""
