"""apiconform: a conformance kit for HTTP JSON APIs (Booga and Boomerang conventions)."""

__version__ = "0.1.0"
TOOL_NAME = "apiconform"
