"""Testbench of ``fcnn_cnn_swu``."""
