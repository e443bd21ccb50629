"""Testbench of ``fcnn_rgb2gray``."""
