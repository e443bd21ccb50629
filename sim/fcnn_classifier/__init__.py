"""Testbench of the generated classifier core ``fcnn_classifier``."""
