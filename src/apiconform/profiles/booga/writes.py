"""Where the write rules write: the files resource (the document's example, or what the target
file's `[paths] list`/`item` name), and only where the deployment has it."""

from __future__ import annotations

import pytest

from apiconform.context import Context


def writable_list(ctx: Context) -> str:
    """The list POSTs go to; `skip` when the deployment has no such resource (its surface lacks it)."""
    listing = ctx.target.path("list")
    item = str(ctx.target.settings["paths"]["item"])
    surface = ctx.surface()
    if surface.find(listing) is None or surface.find(item) is None:
        pytest.skip(f"the deployment has no {listing} and {item} (the files resource the write rules create, "
                    "change and delete); a target file's [paths] list and item name another writable resource")
    return listing


def item_path(ctx: Context, ident: str) -> str:
    return ctx.target.path("item", id=ident)
