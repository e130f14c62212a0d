"""Benchmarks: each module has run() returning a JSON-ready dict and prints it when run as a script."""
