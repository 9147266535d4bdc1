"""Checkpoints and run logs."""
