"""Testbench of ``fcnn_cnn_window``."""
