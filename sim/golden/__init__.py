"""Numpy golden models of the hardware cores (numpy only: the runtime imports them too)."""

from .edge import EdgeConfigError, pack_frame, sobel_edges, unpack_frame

__all__ = ["EdgeConfigError", "pack_frame", "sobel_edges", "unpack_frame"]
