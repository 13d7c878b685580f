"""Compile: resolve -> lower -> check -> emit, each a small pure pass."""
