"""Target files: a real deployment's layout overrides the mock defaults; bad files are exit-2 errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.cli import main
from apiconform.errors import ConfigError
from apiconform.target import PROFILE_DEFAULTS, is_loopback_host, load_target, validate_base_url


def test_defaults_follow_the_reference_mocks() -> None:
    booga = load_target("booga")
    assert booga.path("list") == "/api/files/"
    assert booga.path("item", id="x") == "/api/files/x/"
    assert load_target("boomerang").path("resources") == "/v1/example/resources"


def test_target_file_overrides_paths_params_credentials_and_switches(tmp_path: Path) -> None:
    file = tmp_path / "t.toml"
    file.write_text(
        '[target]\nbase_url = "https://api.example.com"\nmax_requests = 150\nallow_writes = true\n'
        '[credentials]\ntoken_env = "MY_KEY"\ntoken_b_env = "MY_OTHER_KEY"\n'
        '[paths]\nlist = "/api/v2/files/"\n[params]\nlimit = "page_size"\n'
        '[features]\nsearch = false\n[timeouts]\ntotal = 12\n'
    )
    t = load_target("booga", file)
    assert (t.base_url, t.max_requests, t.allow_writes) == ("https://api.example.com", 150, True)
    assert (t.token_env, t.token_b_env) == ("MY_KEY", "MY_OTHER_KEY")
    assert t.path("list") == "/api/v2/files/"
    assert t.path("item", id="1") == "/api/files/1/"  # untouched defaults survive the merge
    assert t["params"] == {"limit": "page_size", "offset": "offset"}
    assert t["features"]["search"] is False
    defaults = PROFILE_DEFAULTS["booga"]["features"]
    assert all(t["features"][k] == v for k, v in defaults.items() if k != "search")  # merged key by key
    assert t.timeouts.total == 12


@pytest.mark.parametrize("content", ["not toml [", '[bogus]\nx = 1\n', '[target]\nmax_requests = "many"\n'])
def test_bad_target_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    file = tmp_path / "t.toml"
    file.write_text(content)
    with pytest.raises(ConfigError):
        load_target("booga", file)


def test_missing_target_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "boomerang", "--target", str(tmp_path / "nope.toml"), "--no-reports"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.5.5.5", "api.localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "192.168.1.1", "localhost.example.com", ""])
def test_non_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize("url", ["ftp://x", "api.example.com", "https://x/?q=1", "https://"])
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        validate_base_url(url)


def test_live_target_without_token_exits_2(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    assert main(["run", "boomerang", "--base-url", "https://api.example.com", "--no-reports"]) == 2
    assert "APICONFORM_TOKEN" in capsys.readouterr().err

