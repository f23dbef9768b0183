"""Target files are validated against fixtures/target.schema.json: each error names its key path,
and the README's target-file table names exactly the schema's keys (issue 9)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from apiconform.cli import main
from apiconform.errors import ConfigError
from apiconform.redact import REDACTOR
from apiconform.session import Options, resolve_target
from apiconform.target import PROFILE_DEFAULTS, load_target, schema_problems, target_schema

ROOT = Path(__file__).resolve().parent.parent


def error_of(tmp_path: Path, content: str, profile: str = "booga") -> str:
    file = tmp_path / "t.toml"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_target(profile, file)
    message = str(exc.value)
    assert message.startswith(f"target file {file}: ")
    assert "\n" not in message and "invalid literal" not in message and "Traceback" not in message
    return message.removeprefix(f"target file {file}: ")


@pytest.mark.parametrize(("content", "expected"), [
    ("[target]\nmax_requests = -3\n", "target.max_requests: -3 is less than the minimum of 1"),
    ("[target]\nallow_write = true\n", "target.allow_write: unknown key (did you mean allow_writes?)"),
    ('[features]\nordering = "name"\n', 'features.ordering: "name" is a string, expected an array of strings'),
    ("[paths]\nlist = 5\n", "paths.list: 5 is an integer, expected a string"),
    ('[target]\nmax_requests = "many"\n', 'target.max_requests: "many" is a string, expected an integer'),
    ("[target]\nmax_exhaust_requests = 0\n", "target.max_exhaust_requests: 0 is less than the minimum of 1"),
    ("[timeouts]\ntotal = 0\n", "timeouts.total: 0 is less than or equal to the minimum of 0"),
    ("[sweep]\nmax_cases = -1\n", "sweep.max_cases: -1 is less than the minimum of 0"),
    ('[features]\nordering = ["name", 3]\n', "features.ordering[1]: 3 is an integer, expected a string"),
    ('[scoped_request]\nmethod = "FETCH"\n', 'scoped_request.method: "FETCH" is not one of "GET", "HEAD", '
                                             '"POST", "PUT", "PATCH", "DELETE", "OPTIONS"'),
    ('[paths]\nitem = "/api/files/"\n', 'paths.item: "/api/files/" is not a path starting with / and holding {id}'),
    ('[credentials]\ntoken_env = "bga_live_secret value"\n',
     'credentials.token_env: "bga_live_secret value" is not the name of an environment variable '
     "(letters, digits, _), not a credential"),
    ('[target]\nbase_url = "api.example.com"\n',
     'target.base_url: "api.example.com" is not an http:// or https:// URL'),
    ("[openapi_plugins]\nfiles = 3\n", "openapi_plugins.files: 3 is an integer, expected a string"),
    ("[bogus]\nx = 1\n", "[bogus]: unknown section (known: credentials, features, openapi_plugins, params, paths, "
                         "scoped_request, sweep, target, timeouts, write_payload)"),
    ("tagret = 1\n", "tagret: unknown key (did you mean target?)"),
    ("[target]\nbase_url = 2026-01-01\n", "target.base_url: 2026-01-01 is a date, expected a string"),
    ('profile = "boomerang"\n', 'profile: the file is written for "boomerang", the run is booga'),
])
def test_booga_target_file_errors_name_the_key(tmp_path: Path, content: str, expected: str) -> None:
    assert error_of(tmp_path, content) == expected


@pytest.mark.parametrize(("content", "expected"), [
    ('[paths]\nlist = "/x/"\n', "paths.list: unknown key (known: resource, resources)"),
    ("[pagination]\nmax_limit = 0\n", "pagination.max_limit: 0 is less than the minimum of 1"),
    ('timestamp_fields = "timestamp"\n', 'timestamp_fields: "timestamp" is a string, expected an array of strings'),
    ("[features]\nsearch = true\n", "[features]: unknown section (known: credentials, pagination, params, paths, "
                                    "resource_query, sweep, target, timeouts, timestamp_fields)"),
])
def test_boomerang_target_file_errors_name_the_key(tmp_path: Path, content: str, expected: str) -> None:
    assert error_of(tmp_path, content, "boomerang") == expected


def test_every_error_of_a_file_is_on_one_line(tmp_path: Path) -> None:
    got = error_of(tmp_path, "[target]\nmax_requests = -3\nallow_write = true\n[paths]\nlist = 5\n")
    assert got.split("; ") == ["paths.list: 5 is an integer, expected a string",
                               "target.allow_write: unknown key (did you mean allow_writes?)",
                               "target.max_requests: -3 is less than the minimum of 1"]


def test_cli_refuses_a_bad_target_file_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "t.toml"
    file.write_text("[target]\nmax_requests = -3\n")
    assert main(["run", "booga", "--target", str(file), "--no-reports", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == f"apiconform: target file {file}: target.max_requests: -3 is less than the minimum of 1\n"


def test_the_schema_is_draft_2020_12_and_valid() -> None:
    schema = target_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("profile", sorted(PROFILE_DEFAULTS))
def test_the_profile_defaults_are_a_valid_target_file(profile: str) -> None:
    assert schema_problems({"profile": profile, **PROFILE_DEFAULTS[profile]}) == []


def test_the_example_target_file_is_valid() -> None:
    config = load_target("booga", ROOT / "examples" / "target.toml")
    assert config.max_requests == 1500


def test_new_keys_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    file = tmp_path / "sub" / "t.toml"
    file.write_text(
        'profile = "booga"\n'
        '[target]\nopenapi = "../api/openapi.yaml"\nmax_exhaust_requests = 50\n'
        '[credentials]\nexhaust_token_env = "MY_EXHAUST_KEY"\nscoped_token_env = "MY_SCOPED_KEY"\n'
        '[features]\nordering = ["name"]\ncreated_after = false\nsearch = true\nstatus = true\n'
        '[openapi_plugins]\nfiles = "/api/files/"\n'
        '[timeouts]\nconnect = 1.5\n[sweep]\nmax_cases = 0\n')
    config = load_target("booga", file)
    assert config.openapi_file == str(tmp_path / "sub" / ".." / "api" / "openapi.yaml")  # next to the file
    assert config.max_exhaust_requests == 50
    assert (config.exhaust_token_env, config.scoped_token_env) == ("MY_EXHAUST_KEY", "MY_SCOPED_KEY")
    assert config["features"]["status"] is True and config["features"]["ordering"] == ["name"]
    assert config["openapi_plugins"] == {"files": "/api/files/"}  # a table of names replaces the default
    assert config.timeouts.connect == 1.5 and config["sweep"] == {"max_cases": 0}


def test_boomerang_target_file_with_openapi(tmp_path: Path) -> None:
    file = tmp_path / "t.toml"
    file.write_text('[target]\nopenapi = "/abs/openapi.json"\n[resource_query]\nslug = "first"\n')
    config = load_target("boomerang", file)
    assert config.openapi_file == "/abs/openapi.json"
    assert config["resource_query"] == {"slug": "first"}


def test_defaults_without_a_file() -> None:
    config = load_target("booga")
    assert config.max_exhaust_requests == 400 and config.openapi_file is None and config.exhaust_token_env is None


def test_exhaust_key_is_read_from_its_variable_and_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "t.toml"
    file.write_text('[credentials]\nexhaust_token_env = "MY_EXHAUST_KEY"\n')
    monkeypatch.setenv("APICONFORM_TOKEN", "primary-key-value-1")
    monkeypatch.setenv("MY_EXHAUST_KEY", " exhaust-key-value-9 ")
    _, creds, _ = resolve_target("booga", Options(base_url="https://api.example.test", target_file=str(file),
                                                  write_reports=False))
    assert creds["exhaust"].value == "exhaust-key-value-9"
    assert "exhaust-key-value-9" not in REDACTOR.text("key exhaust-key-value-9 leaked")


def test_missing_openapi_of_the_target_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "t.toml"
    file.write_text('[target]\nopenapi = "missing.yaml"\n')
    assert main(["run", "booga", "--target", str(file), "--no-reports", "--quiet"]) == 2
    assert capsys.readouterr().err == (f"apiconform: target file {file}: target.openapi: "
                                       f"{tmp_path / 'missing.yaml'} does not exist\n")


# -- README and schema agree ------------------------------------------------------------------

def schema_keys() -> set[str]:
    """Key names as the README writes them: `section.key`, `[table]` for a table of free names,
    `key` for a top-level value."""
    schema = target_schema()
    defs: dict[str, Any] = schema["$defs"]

    def resolve(node: Any) -> Any:
        return defs[node["$ref"].rsplit("/", 1)[-1]] if isinstance(node, dict) and "$ref" in node else node

    keys = set(schema["properties"])
    for profile in ("booga", "boomerang"):
        for section, node in defs[profile]["properties"].items():
            node = resolve(node)
            if node is True:
                continue
            if node.get("properties"):
                keys |= {f"{section}.{key}" for key in node["properties"]}
            elif node.get("type") == "object":
                keys.add(f"[{section}]")
            else:
                keys.add(section)
    return keys


def readme_keys() -> set[str]:
    text = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- target-file:begin[^>]*-->\n(.*?)<!-- target-file:end -->", text, re.DOTALL)
    assert block, "README has no target-file table"
    return set(re.findall(r"^\| `([^`]+)` \|", block.group(1), re.MULTILINE))


def test_readme_table_names_exactly_the_schema_keys() -> None:
    schema, readme = schema_keys(), readme_keys()
    assert schema - readme == set(), "keys missing from README's target-file table"
    assert readme - schema == set(), "README's target-file table names keys the schema does not know"


def test_schema_descriptions_exist_for_every_key() -> None:
    """The schema is the reference (editors show these); every key says what it is for."""
    text = json.dumps(target_schema())
    assert text.count('"description"') >= len(schema_keys())


def schema_defaults() -> dict[str, Any]:
    defs = target_schema()["$defs"]
    return {f"{section}.{key}": node["default"] for section in ("target", "credentials", "timeouts")
            for key, node in defs[section]["properties"].items() if "default" in node}


def test_schema_defaults_are_the_code_defaults() -> None:
    """The schema (and so the README) states the defaults TargetConfig and Timeouts really use."""
    config = load_target("booga")
    actual = {"target": config, "credentials": config, "timeouts": config.timeouts}
    for name, default in schema_defaults().items():
        section, key = name.split(".")
        assert getattr(actual[section], key) == default, name


def test_readme_defaults_are_the_schema_defaults() -> None:
    text = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|", text, re.MULTILINE))
    for name, default in schema_defaults().items():
        shown = json.dumps(default).strip('"')
        assert re.search(rf"default `?{re.escape(shown)}`?(?![\w.])", rows[name]), (name, rows[name])
