"""What the deployment is made of: its plugins, each one's fields and declared filters, and its planted bugs.

Pure Python (no framework, no database): the server, its OpenAPI document and the tests all read
this one description, so what the document declares is exactly what the server implements.

Every plugin is one resource: a list `/api/<plugin>/` and an item `/api/<plugin>/{id}/`, tagged
with the plugin's name. Which optional fields a plugin has follows from its position (a fixed
pattern, not randomness), and each field brings the filters a django-filter FilterSet generates
for a field of its kind (`name__icontains`, `created__gte`, `quantity__lte`, ...), so a list
declares 20-40 query parameters. Every 5th plugin is *lenient* (a filter value it cannot parse is
dropped, as a filter backend that ignores what it cannot read does); the others are *strict* (400
with a field map). Every 4th plugin also declares and serves writes (POST on the list, PUT, PATCH
and DELETE on the item), which a read-only conformance run must never send.

PLANTS are the bugs: on seven lists one filter is read by code that crashes on a malformed value
(the way such bugs happen: a value reaching sqlite unbounded, a parser whose exception nobody
catches), answered 500 `{detail, code}` by the app's catch-all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Resource names, in the order the plugins are numbered (every one a plural noun: the plugin's
# name, its path segment and its tag). `files` is the document's own example resource.
NAMES = (
    "accounts", "activities", "addresses", "agents", "alerts", "allocations", "announcements", "approvals",
    "articles", "assets", "assignments", "attachments", "audits", "badges", "balances", "batches", "benefits",
    "bids", "bookings", "branches", "budgets", "builds", "bundles", "calendars", "campaigns", "candidates",
    "carriers", "cases", "catalogs", "categories", "certificates", "channels", "checklists", "claims", "clients",
    "comments", "commissions", "competitors", "complaints", "components", "contacts", "containers", "contracts",
    "conversions", "coupons", "courses", "currencies", "customers", "dashboards", "datasets", "deals",
    "deliveries", "departments", "deployments", "devices", "discounts", "disputes", "documents", "domains",
    "donations", "drafts", "employees", "enrollments", "entitlements", "estimates", "events", "exports",
    "expenses", "experiments", "facilities", "files", "folders", "forecasts", "forms", "fulfillments", "goals",
    "grants", "groups", "holidays", "imports", "incidents", "integrations", "interviews", "inventories",
    "invoices", "issues", "jobs", "journals", "keywords", "labels", "leads", "leases", "ledgers", "licenses",
    "locations", "machines", "mailboxes", "manifests", "meetings", "memberships", "messages", "metrics",
    "milestones", "notes", "notifications", "offers", "opportunities", "orders", "organizations", "packages",
    "partners", "payments", "payouts", "payrolls", "pipelines", "playlists", "policies", "positions", "prices",
    "products", "profiles", "projects", "promotions", "proposals", "purchases", "queues", "quotes", "receipts",
    "recipes", "refunds", "regions", "releases", "reminders", "reports", "reservations", "returns", "reviews",
    "rewards", "risks", "roles", "routes", "schedules", "segments", "sessions", "settlements", "shipments",
    "shifts", "skills", "snapshots", "sprints", "subscriptions", "suppliers", "surveys", "tasks", "teams",
    "templates", "tenders", "tickets", "timesheets", "trainings", "transactions", "transfers", "trips", "units",
    "vehicles", "vendors", "vouchers", "warehouses", "webhooks", "workflows", "workspaces", "zones",
)
DEFAULT_PLUGINS = 150

# Status values, one set per plugin (by position): the list's `status` enum.
STATUS_SETS = (("active", "paused", "archived"), ("draft", "pending", "approved", "rejected"),
               ("open", "in_progress", "done"), ("new", "confirmed", "shipped", "cancelled"))


@dataclass(frozen=True)
class Field:
    """A property of the plugin's resource: its column, its OpenAPI schema, and a description."""

    name: str
    schema: dict[str, object]
    description: str


@dataclass(frozen=True)
class Filter:
    """A declared query parameter: how the server reads it (`kind`, `op` on `column`) and how the
    document declares it (`schema`)."""

    name: str
    column: str  # the column it applies to ("" for search and ordering)
    op: str  # exact | iexact | icontains | istartswith | iendswith | iregex | in | lt | lte | gt | gte | after |
    #          search | ordering
    kind: str  # string | integer | number | boolean | date | date-time | enum
    schema: dict[str, object]
    description: str
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plant:
    """A bug on one list: the filter it is in, the way the value crashes, and how the kit reaches it."""

    plugin: str
    param: str
    bug: str  # regex-unchecked | isoformat | int-unbounded | enum-by-name | decimal-quantize | strptime
    reached_by: str  # "its kind's malformed value" or "every other parameter malformed together"
    lenient: bool = False


# Seven lists with a crash on a malformed filter value. The first five are each their list's first
# parameter of a kind (the kit sends one malformed value per kind); the last two are not, and are
# reached only by the request that sends every other declared parameter malformed at once: on a
# strict list because the crash is in a parser whose exception escapes the form's error collection,
# on a lenient one because the other malformed values are dropped and the query runs.
PLANTS = (
    # name__iregex goes to sqlite's REGEXP unchecked (Django on sqlite does exactly this): a pattern
    # that does not compile raises inside the SQL function, sqlite3.OperationalError.
    Plant("campaigns", "name__iregex", "regex-unchecked", "its kind's malformed value"),
    # created__gte read with datetime.fromisoformat, whose ValueError nobody catches.
    Plant("deliveries", "created__gte", "isoformat", "its kind's malformed value"),
    # owner_id read with int() and no bound: past 64 bits sqlite cannot bind it (OverflowError).
    Plant("invoices", "owner_id", "int-unbounded", "its kind's malformed value"),
    # status looked up by enum member name (Status[value.upper()]): KeyError for an unknown value.
    Plant("payments", "status", "enum-by-name", "its kind's malformed value"),
    # amount__gte quantized to cents with decimal: InvalidOperation past the context's precision.
    Plant("refunds", "amount__gte", "decimal-quantize", "its kind's malformed value"),
    # updated__lt parsed by a hand-written strptime outside the form's validation (ValueError).
    Plant("shipments", "updated__lt", "strptime", "every other parameter malformed together"),
    # quantity__lte read with int() and no bound on a lenient list: every other bad value is dropped,
    # the query runs, sqlite cannot bind the integer.
    Plant("reservations", "quantity__lte", "int-unbounded", "every other parameter malformed together",
          lenient=True),
)
PLANTED = {p.plugin: p for p in PLANTS}
# Fields a planted plugin must have for its bug to sit where the kit reaches it.
PLANT_NEEDS = {"campaigns": {"name"}, "deliveries": set(), "invoices": {"owner_id"}, "payments": {"status"},
               "refunds": {"amount"}, "shipments": set(), "reservations": {"owner_id", "quantity"}}

FILE_FIELDS = ("size", "content_type")
OPTIONAL = ("description", "code", "status", "owner_id", "quantity", "priority", "amount", "score", "is_archived",
            "due_date")


@dataclass(frozen=True)
class Plugin:
    index: int
    name: str
    id_type: str  # integer | uuid
    fields: tuple[str, ...]  # optional fields present, in OPTIONAL order (plus the files fields)
    statuses: tuple[str, ...]
    rows_a: int  # tenant A's rows (3-25)
    rows_b: int  # tenant B's rows (1-2)
    lenient: bool
    writes: bool
    plant: Plant | None = None
    filters: tuple[Filter, ...] = field(default=())

    @property
    def singular(self) -> str:
        name = self.name
        if name.endswith("ies"):
            return name[:-3] + "y"
        if name.endswith(("sses", "ches", "shes", "xes")):
            return name[:-2]
        return name[:-1] if name.endswith("s") else name

    @property
    def title(self) -> str:
        return "".join(part.capitalize() for part in self.singular.split("_"))

    @property
    def list_path(self) -> str:
        return f"/api/{self.name}/"

    @property
    def item_path(self) -> str:
        return f"/api/{self.name}/{{id}}/"

    def has(self, name: str) -> bool:
        return name in self.fields

    def filter(self, name: str) -> Filter | None:
        return next((f for f in self.filters if f.name == name), None)


def _fields_of(index: int, name: str) -> tuple[str, ...]:
    """The optional fields of the plugin at `index`: a fixed pattern, so the plugins differ."""
    if name == "files":
        return ("description", "owner_id", *FILE_FIELDS)
    present = {
        "description": index % 4 != 3,
        "code": index % 3 == 0,
        "status": index % 3 != 2,
        "owner_id": index % 5 != 4,
        "quantity": index % 2 == 0,
        "priority": index % 4 in (0, 1),
        "amount": index % 3 == 1,
        "score": index % 7 in (0, 3, 5),
        "is_archived": index % 2 == 1,
        "due_date": index % 4 in (1, 2),
    }
    needed = PLANT_NEEDS.get(name, set())
    return tuple(f for f in OPTIONAL if present[f] or f in needed)


def field_list(plugin: Plugin) -> list[Field]:
    """Every property of the plugin's resource, as the item schema lists it."""
    one = plugin.singular.replace("_", " ")
    id_schema: dict[str, object] = ({"type": "integer", "minimum": 1} if plugin.id_type == "integer"
                                    else {"type": "string", "format": "uuid"})
    out = [Field("id", {**id_schema, "readOnly": True}, f"Unique identifier of the {one}, assigned by the server.")]
    out.append(Field("name", {"type": "string", "maxLength": 200},
                     f"Human-readable name of the {one}. Searched by `search` and matched by the name__* filters."))
    described: dict[str, tuple[dict[str, object], str]] = {
        "description": ({"type": "string", "nullable": True}, f"Free-text description of the {one}."),
        "code": ({"type": "string", "maxLength": 32}, f"Short reference code of the {one}, unique per tenant."),
        "status": ({"type": "string", "enum": list(plugin.statuses)},
                   f"Lifecycle status of the {one}: one of {', '.join(plugin.statuses)}."),
        "owner_id": ({"type": "integer", "format": "int64", "minimum": 1},
                     f"Id of the user who owns the {one}."),
        "quantity": ({"type": "integer", "format": "int64", "minimum": 0}, "A count attached to the record."),
        "priority": ({"type": "integer", "minimum": 1, "maximum": 5}, "Priority from 1 (highest) to 5 (lowest)."),
        "amount": ({"type": "string", "format": "decimal", "pattern": r"^-?\d{0,10}(?:\.\d{0,2})?$"},
                   "Monetary amount in the account's currency, as a decimal string with two places."),
        "score": ({"type": "number", "format": "double"}, "A computed score between 0 and 100."),
        "is_archived": ({"type": "boolean"}, f"Whether the {one} is archived (hidden from default views)."),
        "due_date": ({"type": "string", "format": "date", "nullable": True}, f"The day the {one} is due, if any."),
        "size": ({"type": "integer", "format": "int64", "minimum": 0}, "Size of the file in bytes."),
        "content_type": ({"type": "string"}, "MIME type of the file, e.g. application/pdf."),
    }
    for name in plugin.fields:
        schema, text = described[name]
        out.append(Field(name, dict(schema), text))
    out.append(Field("created_at", {"type": "string", "format": "date-time", "readOnly": True},
                     f"When the {one} was created (ISO 8601, UTC)."))
    out.append(Field("updated_at", {"type": "string", "format": "date-time", "readOnly": True},
                     f"When the {one} was last changed (ISO 8601, UTC)."))
    return out


def _filters_of(plugin: Plugin) -> tuple[Filter, ...]:
    """The declared query parameters of the plugin's list, in declaration order.

    The order is a FilterSet's: search, then each field's lookups in field order, ordering after
    the status filters. It decides which parameter is the first of its kind.
    """
    many = plugin.name.replace("_", " ")
    out: list[Filter] = [Filter(
        "search", "", "search", "string", {"type": "string"},
        f"A search term. Returns {many} whose name" + (" or description" if plugin.has("description") else "")
        + " contains every word of the term, case-insensitively.")]

    def text(column: str, label: str, with_regex: bool, lookups: tuple[str, ...]) -> None:
        words = {"exact": "is exactly", "iexact": "equals, ignoring case,", "icontains": "contains, ignoring case,",
                 "istartswith": "starts with, ignoring case,", "iendswith": "ends with, ignoring case,"}
        for lookup in lookups:
            name = column if lookup == "exact" else f"{column}__{lookup}"
            out.append(Filter(name, column, lookup, "string", {"type": "string"},
                              f"Only {many} whose {label} {words[lookup]} the given text. An empty value is "
                              "ignored; combine with other filters to narrow the listing further."))
        if with_regex:
            out.append(Filter(f"{column}__iregex", column, "iregex", "string", {"type": "string", "format": "regex"},
                              f"Only {many} whose {label} matches this regular expression, ignoring case "
                              "(Python `re` syntax, searched anywhere in the value)."))

    # `__in` lookups are comma-separated lists, declared as drf-spectacular declares django-filter's
    # BaseInFilter: an array of the field's type (document.py adds style form, explode false).
    ident: dict[str, object] = ({"type": "integer", "minimum": 1} if plugin.id_type == "integer"
                                else {"type": "string", "format": "uuid"})
    out.append(Filter("id__in", "id", "in", "string", {"type": "array", "items": ident},
                      f"Only {many} whose id is one of these comma-separated ids."))
    text("name", "name", True, ("exact", "iexact", "icontains", "istartswith", "iendswith"))
    if plugin.has("description"):
        text("description", "description", True, ("icontains",))
    if plugin.has("code"):
        text("code", "reference code", False, ("exact",))
        out.append(Filter("code__in", "code", "in", "string", {"type": "array", "items": {"type": "string"}},
                          f"Only {many} whose reference code is one of these comma-separated values."))
    if plugin.has("status"):
        out.append(Filter("status", "status", "exact", "enum", {"type": "string", "enum": list(plugin.statuses)},
                          f"Only {many} with this status.", plugin.statuses))
        out.append(Filter("status__in", "status", "in", "string",
                          {"type": "array", "items": {"type": "string", "enum": list(plugin.statuses)}},
                          f"Only {many} whose status is one of these comma-separated values "
                          f"({', '.join(plugin.statuses)}).", plugin.statuses))
    orderable = ["created_at", "name"] + (["priority"] if plugin.has("priority") else [])
    ordering = tuple(v for f in orderable for v in (f, f"-{f}"))
    out.append(Filter("ordering", "", "ordering", "enum", {"type": "string", "enum": list(ordering)},
                      "Which field to sort the results by; prefix with - for descending. Default: -created_at.",
                      ordering))

    def numeric(column: str, label: str, kind: str, schema: dict[str, object], lookups: tuple[str, ...]) -> None:
        words = {"exact": "equal to", "gt": "greater than", "gte": "at least", "lt": "less than", "lte": "at most"}
        for lookup in lookups:
            name = column if lookup == "exact" else f"{column}__{lookup}"
            out.append(Filter(name, column, lookup, kind, dict(schema),
                              f"Only {many} whose {label} is {words[lookup]} this value."))

    int64: dict[str, object] = {"type": "integer", "format": "int64"}
    if plugin.has("owner_id"):
        numeric("owner_id", "owner's user id", "integer", {**int64, "minimum": 1}, ("exact",))
        out.append(Filter("owner_id__in", "owner_id", "in", "string",
                          {"type": "array", "items": {**int64, "minimum": 1}},
                          f"Only {many} owned by one of these comma-separated user ids."))
    if plugin.has("quantity"):
        numeric("quantity", "quantity", "integer", int64, ("exact", "gt", "gte", "lt", "lte"))
    if plugin.has("priority"):
        numeric("priority", "priority", "integer", {"type": "integer", "minimum": 1, "maximum": 5}, ("exact", "lte"))
    if plugin.has("size"):
        numeric("size", "size in bytes", "integer", int64, ("gte", "lte"))
    if plugin.has("content_type"):
        out.append(Filter("content_type", "content_type", "exact", "string", {"type": "string"},
                          f"Only {many} of exactly this MIME type."))
    # Numbers are read as finite floats of at most 15 digits (filters.read_number), and say so.
    bounded = {"minimum": -1e15, "maximum": 1e15}
    if plugin.has("amount"):
        numeric("amount", "amount", "number", {"type": "number", **bounded}, ("gte", "lte"))
    if plugin.has("score"):
        numeric("score", "score", "number", {"type": "number", "format": "double", **bounded}, ("gte",))
    if plugin.has("is_archived"):
        out.append(Filter("is_archived", "is_archived", "exact", "boolean", {"type": "boolean"},
                          f"true: only archived {many}; false: only those not archived."))
    moments = {"gte": "at or after", "gt": "after", "lte": "at or before", "lt": "before"}
    for lookup in ("gte", "gt", "lte", "lt"):
        out.append(Filter(f"created__{lookup}", "created_at", lookup, "date-time",
                          {"type": "string", "format": "date-time"},
                          f"Only {many} created {moments[lookup]} this moment (ISO 8601; without an offset, UTC)."))
    out.append(Filter("created_after", "created_at", "after", "date", {"type": "string", "format": "date"},
                      f"Only {many} created on or after this day (YYYY-MM-DD, midnight UTC)."))
    for lookup in ("gte", "gt", "lte", "lt"):
        out.append(Filter(f"updated__{lookup}", "updated_at", lookup, "date-time",
                          {"type": "string", "format": "date-time"},
                          f"Only {many} last changed {moments[lookup]} this moment (ISO 8601; without an offset, "
                          "UTC)."))
    if plugin.has("due_date"):
        for lookup in ("exact", "gte", "lt"):
            name = "due_date" if lookup == "exact" else f"due_date__{lookup}"
            out.append(Filter(name, "due_date", lookup, "date", {"type": "string", "format": "date"},
                              f"Only {many} due {'on' if lookup == 'exact' else moments[lookup]} this day."))
    return tuple(out)


def build(count: int = DEFAULT_PLUGINS) -> tuple[Plugin, ...]:
    """The first `count` plugins (every planted one included whatever the count)."""
    if not 1 <= count <= len(NAMES):
        raise ValueError(f"between 1 and {len(NAMES)} plugins")
    chosen = list(NAMES[:count])
    chosen += [p.plugin for p in PLANTS if p.plugin not in chosen]
    plugins = []
    for index, name in enumerate(sorted(chosen, key=NAMES.index)):
        plant = PLANTED.get(name)
        lenient = plant.lenient if plant is not None else index % 5 == 2
        plugin = Plugin(
            index=index, name=name,
            # UUID ids on the files resource (the document's example) and on every 6th plugin.
            id_type="uuid" if name == "files" or index % 6 == 5 else "integer",
            fields=_fields_of(index, name), statuses=STATUS_SETS[index % len(STATUS_SETS)],
            # 3-25 rows for tenant A (some past the default page of 20), 1-2 for tenant B.
            rows_a=3 + (index * 7) % 23, rows_b=1 + index % 2,
            lenient=lenient, writes=index % 4 == 1, plant=plant)
        plugins.append(replace(plugin, filters=_filters_of(plugin)))
    for plugin in plugins:
        if plugin.plant is not None:
            assert plugin.filter(plugin.plant.param) is not None, plugin.plant
    return tuple(plugins)
