"""Booga Enterprise REST API (booga-using-the-api.txt): checks, probes, reference mock."""
