"""Fleet audits: many targets in one run (`apiconform audit`), or reports merged (`apiconform merge`).

- fleet_file.py    the fleet file: TOML `[[target]]` tables, checked against fixtures/fleet-file.schema.json
                   and the environment before anything is sent
- audit.py         `apiconform audit`: one `apiconform run` subprocess per target, side by side on
                   pytest-xdist workers, each with only its own target's credentials
- worker_suite.py  the pytest module the xdist workers run: one test item per target
- merge.py         `apiconform merge`: the fleet artifacts from report.json files made elsewhere
The fleet artifacts themselves (fleet.json, fleet.html, junit.xml, summary.md) are report/fleet.py's.
"""
