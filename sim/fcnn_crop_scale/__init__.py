"""Testbench of ``fcnn_crop_scale``."""
