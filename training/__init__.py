"""Training entry point: `python -m training <name>|all`. Every shipped model is rebuilt from here."""
