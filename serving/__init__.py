"""Serving plumbing shared by every page: how the server shares its CPU between visitors."""
