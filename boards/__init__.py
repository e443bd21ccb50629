"""Board definitions and Vivado build scripts."""
