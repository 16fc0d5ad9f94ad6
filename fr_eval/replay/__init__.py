"""Replay: footage -> detections -> face tracks -> candidate scores, recorded in a run folder."""
