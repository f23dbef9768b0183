"""Root conftest for the kit's own tests (tests/).

The conformance suites under suites/ are self-contained (suites/pytest.ini makes suites/
their rootdir), so nothing here leaks into a conformance run; the apiconform pytest plugin
is loaded through its entry point.
"""
