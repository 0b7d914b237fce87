"""The engine: pure numpy physics over columns, no I/O (text energy, infrastructure, chain)."""
