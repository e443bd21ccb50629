"""Testbench of ``fcnn_edge_dma``."""
