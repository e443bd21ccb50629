"""Testbench of ``fcnn_axis_broadcast``."""
