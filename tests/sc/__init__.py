"""Tests of sc_neurocore.sc (a package, so that module names such as test_network stay unique)."""
