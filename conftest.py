"""Root conftest for the kit's own tests (tests/).

The conformance suites under suites/ are self-contained (suites/pytest.ini makes suites/
their rootdir), so nothing here leaks into a conformance run; the apiconform pytest plugin
is loaded through its entry point.
"""

import os
import tempfile

# The sweep's plan cache (plan_cache.py) lives in a folder of this test session: a run of the
# kit's tests starts from no cached plan, so every plan is drawn at least once per session.
os.environ.setdefault("APICONFORM_CACHE_DIR", tempfile.mkdtemp(prefix="apiconform-test-cache-"))
