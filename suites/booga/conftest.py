"""Booga conformance suite (booga-using-the-api.txt). Fixtures come from the apiconform plugin."""
