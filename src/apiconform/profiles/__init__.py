"""One folder per profile: everything a profile is, apart from the engine.

`profiles/<profile>/` holds its per-exchange checks (`checks.py`), its named and shared probes
(`probes.py`, `endpoint_probes.py`) and its reference mock with the mutants that each break one
rule (`mock.py`). Its conformance suites and rule catalog stay where the design card places
them: `suites/<profile>/` and `fixtures/<profile>/`.
"""
