"""Simulation: golden models, the Verilator/cocotb runner and fast frame harnesses."""
