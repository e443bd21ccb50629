"""fpgacnn: FPGA-accelerated CNN inference, verified in simulation, streamed on PYNQ boards.

Subpackages (each is a top-level folder of the repository):

- :mod:`fpgacnn.hw` -- RTL cores and firmware generation (``hw/``)
- :mod:`fpgacnn.sim` -- golden models, Verilator/cocotb simulation, fast frame harnesses (``sim/``)
- :mod:`fpgacnn.sw` -- the host runtime that runs on the board (``sw/``)
- :mod:`fpgacnn.models` -- the QKeras model zoo (``models/``)
- :mod:`fpgacnn.boards` -- board definitions and Vivado build scripts (``boards/``)
"""

__version__ = "0.1.0"
