"""Numba kernels. Arrays and ints in, arrays out: no validation, no Python objects, no random draws.

Each kernel names its NumPy reference, and a test compares the two.
"""
