"""Boomerang conformance suite (boomerang-overview.txt). Fixtures come from the apiconform plugin."""
