"""cocotb co-simulation: runner, testbenches, vectors and scoreboards."""
