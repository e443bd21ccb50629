"""Testbench of ``fcnn_edge_core``."""
