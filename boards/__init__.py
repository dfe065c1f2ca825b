"""Board tops, builds and programming over amaranth-boards platforms."""
