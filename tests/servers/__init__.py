"""Independently written misbehaving HTTP servers for the kit's safety tests (127.0.0.1:0 only)."""
