"""Testbench of ``fcnn_build_id``."""
