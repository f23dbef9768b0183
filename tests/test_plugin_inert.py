"""Installing the kit changes no other project's tests (issue 23); its own runs keep their settings.

The plugin is loaded through its `pytest11` entry point in every pytest session of the
environment. A scratch project that uses hypothesis, run by plain `pytest` with the kit
installed, must see hypothesis's own defaults: no profile of the kit's, no forced seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis import core as hypothesis_core

from apiconform.plugin import kit_hypothesis_profile
from apiconform.runner import ENGINE_PLUGINS, pytest_args
from apiconform.session import Options

# Hypothesis loads its "ci" profile (derandomized, no database) when one of these is set:
# the scratch project must see the plain defaults wherever this test runs.
CI_VARIABLES = ("CI", "__TOX_ENVIRONMENT_VARIABLE_ORIGINAL_CI", "TF_BUILD", "bamboo.buildKey", "BUILDKITE",
                "CIRCLECI", "CIRRUS_CI", "CODEBUILD_BUILD_ID", "GITHUB_ACTIONS", "GITLAB_CI", "HEROKU_TEST_RUN_ID",
                "TEAMCITY_VERSION")

SCRATCH_TESTS = '''
import datetime

from hypothesis import core, given, settings, strategies as st

HYPOTHESIS_DEFAULT_DEADLINE = datetime.timedelta(milliseconds=200)


def test_the_kit_is_loaded(pytestconfig):
    # Otherwise this project would prove nothing about the kit.
    assert pytestconfig.pluginmanager.has_plugin("apiconform")


def test_settings_are_hypothesis_defaults():
    assert settings.get_current_profile_name() == "default"
    current = settings()
    assert current.max_examples == 100
    assert current.database is not None
    assert current.derandomize is False
    assert current.deadline == HYPOTHESIS_DEFAULT_DEADLINE
    assert core.global_force_seed is None


@given(st.integers())
def test_a_given_test_is_decorated_with_the_defaults(value):
    # Inside a running test, settings.default is that test's settings, fixed at import.
    assert settings.default.max_examples == 100
    assert settings.default.database is not None
    assert settings.default.deadline == HYPOTHESIS_DEFAULT_DEADLINE
    assert core.global_force_seed is None


@settings(deadline=None)
@given(st.integers())
def test_own_settings_inherit_the_defaults(value):
    assert settings.default.max_examples == 100
    assert settings.default.derandomize is False
'''

# A fixture of the kit's name in another project: that project's own, never the kit's business.
SCRATCH_CTX = '''
import pytest


@pytest.fixture
def ctx():
    return {"mine": True}


def test_a_fixture_named_ctx_is_the_projects_own(ctx):
    assert ctx == {"mine": True}
'''


def test_another_project_sees_hypothesis_defaults(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # its own rootdir, no configuration of the kit's
    (tmp_path / "test_scratch.py").write_text(SCRATCH_TESTS)
    (tmp_path / "test_scratch_ctx.py").write_text(SCRATCH_CTX)
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES and not k.startswith("PYTEST_")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_scratch.py",
                           "test_scratch_ctx.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout, proc.stdout


class _SeenInRun:
    """What hypothesis is set to while each suite module is collected (imported: where hypothesis
    fixes a decorated test's settings) and while each conformance test is called."""

    def __init__(self) -> None:
        self.imported: dict[str, str] = {}
        self.called: dict[str, tuple[settings, Any, str]] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> None:
        if isinstance(collector, pytest.Module):
            self.imported[collector.path.name] = settings.get_current_profile_name()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        self.called[item.name] = (settings.default, hypothesis_core.global_force_seed,
                                  settings.get_current_profile_name())


def test_a_conformance_run_has_the_kit_profile_and_seed_then_gives_them_back() -> None:
    before = (settings.get_current_profile_name(), hypothesis_core.global_force_seed)
    probe = _SeenInRun()
    args = pytest_args("boomerang", Options(rules=["BMR-AUTH-INVALID"], seed=7, write_reports=False))
    assert pytest.main(args, plugins=[*ENGINE_PLUGINS, probe]) == 0
    assert probe.imported and set(probe.imported.values()) == {"apiconform"}, probe.imported
    assert probe.called
    for current, seed, profile in probe.called.values():
        assert (seed, profile) == (7, "apiconform")
        assert current.max_examples == 25 and current.database is None and current.deadline is None
        assert current.derandomize is False and current.print_blob is False
        assert current.phases == (Phase.explicit, Phase.generate)
    assert (settings.get_current_profile_name(), hypothesis_core.global_force_seed) == before


def test_a_suites_own_settings_override_the_kit_profile() -> None:
    # What a suite's `@settings(max_examples=N)` gets when its module is imported.
    with kit_hypothesis_profile():
        own = settings(max_examples=3)
    assert own.max_examples == 3 and own.database is None and own.deadline is None
    assert settings.get_current_profile_name() != "apiconform"
