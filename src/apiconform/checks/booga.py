"""Per-exchange checks of the Booga conventions (booga-using-the-api.txt)."""
