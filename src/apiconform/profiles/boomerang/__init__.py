"""Boomerang Developer API (boomerang-overview.txt): checks, probes, reference mock."""
