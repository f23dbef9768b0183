"""Booga conformance suite (booga-using-the-api.txt). Fixtures come from the apiconform plugin."""

from __future__ import annotations

import pytest

from apiconform.context import Context
from apiconform.profiles.booga.probes import choose_auth_style


@pytest.fixture(autouse=True)
def _auth_style(ctx: Context) -> None:
    """Every test sends the primary key the way the deployment accepts (Bearer or X-API-Key)."""
    choose_auth_style(ctx)
