"""Every hook a Peyvand plugin may implement. This module is the reference; `docs/plugins.md`
repeats each docstring under a heading with the exact signature, and a test checks they agree
(`tests/core/test_plugins.py`). Docstrings are Markdown: a summary, then a list of
Fires / Transaction / Arguments / Returns / Combine / Example.

Implement a hook with `from core import hookimpl` and a function of the same name in your
plugin module; you may accept any subset of the arguments (pluggy passes only those you name).
Hooks evolve by adding arguments, never by removing them.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("peyvand")

# =============================================================================================
# Start-up contributions: called once per `create_app()`, outside any transaction.
# Each returns a list; the host flattens the lists, namespaces and validates the items.
# =============================================================================================


@hookspec
def register_blueprints(app):
    """Return the Flask (or APIFlask API) blueprints this plugin serves.

    - Fires: in `create_app()`, after configuration and before the first request.
    - Transaction: none.
    - Arguments: `app` is the application being built (read its `config`; the host registers
      the blueprints, not the plugin).
    - Returns: `list[Blueprint]`. Each blueprint's name must be the plugin's name or start with
      `<plugin>_` (`crm`, `crm_api`); templates and static files travel with the blueprint
      (`template_folder=`, `static_folder=`). An `apiflask.APIBlueprint` is mounted under
      `/api/v1` and appears in the OpenAPI document.
    - Combine: all lists are registered; a wrongly named or duplicate blueprint stops the start-up.
    - Example: `return [Blueprint("acme", __name__, template_folder="templates")]`
    """


@hookspec
def register_permissions():
    """Return the named permissions this plugin checks.

    - Fires: in `create_app()`; the administrator's group screen lists them.
    - Transaction: none.
    - Returns: `list[core.plugins.Permission]`, names `plugin.action` (`crm.free_pool`), with the
      default roles that get it when groups are seeded.
    - Combine: all lists are merged; a name outside the plugin's namespace or declared twice
      stops the start-up.
    - Example: `return [Permission("acme.export", "خروجی اکمه", roles=("administrator",))]`
    """


@hookspec
def settings_schema():
    """Return the typed settings this plugin reads, with their defaults.

    - Fires: in `create_app()`; the settings screen renders them, `core.settings.get()` reads them.
    - Transaction: none.
    - Returns: `list[core.plugins.Setting]` with keys `plugin.name`.
    - Combine: merged; sorted by section, order, key; a key outside the plugin's namespace or
      declared twice stops the start-up.
    - Example: `return [Setting("acme.limit", "سقف", "int", 10, min=1)]`
    """


@hookspec
def migration_locations():
    """Return the folders holding this plugin's alembic revisions.

    - Fires: whenever the alembic configuration is built (`peyvand db upgrade`, `peyvand db
      revision`, the migration tests).
    - Transaction: none.
    - Returns: `list[str]` of `versions` folders. Every revision in them belongs to the branch
      labelled with the plugin's name: the first revision sets `branch_labels = ("acme",)` and
      `depends_on` to the core revision it needs (`peyvand db revision -b acme` writes the
      core's current head there); later revisions chain with `down_revision`.
    - Combine: each becomes an alembic `version_locations` entry; `upgrade heads` runs them all.
    - Example: `return [os.path.join(os.path.dirname(__file__), "migrations")]`
    """


@hookspec
def periodic_tasks():
    """Return the periodic tasks this plugin needs.

    - Fires: in `create_app()`; run by `peyvand worker` (registered with rq's CronScheduler)
      and by `peyvand tasks run` (for cron).
    - Transaction: each run gets its own, committed when the task returns; tasks must be
      idempotent.
    - Returns: `list[core.plugins.PeriodicTask]` named `plugin.task`.
    - Combine: merged by name; a name outside the plugin's namespace stops the start-up.
    - Example: `return [PeriodicTask("acme.sync", sync, interval=3600)]`
    """


@hookspec
def cli_commands():
    """Return click commands or groups to add under the `peyvand` command.

    - Fires: in `create_app()`, which the `peyvand` command runs when it starts.
    - Transaction: none; a command that touches the database uses `@with_appcontext` and
      commits itself.
    - Returns: `list[click.Command]`; a group named after the plugin is the convention
      (`peyvand crm sweep`).
    - Combine: all are added; a name clash stops the start-up.
    - Example: `return [acme_group]`
    """


@hookspec
def load_demo_data(context):
    """Add this plugin's demo records to a freshly upgraded database.

    - Fires: by `peyvand demo`, after the core has created offices, users, customers and products.
    - Transaction: one transaction around all plugins; the caller commits once at the end.
    - Arguments: `context` is a dict with `offices`, `users` (by username), `parties`,
      `products`, and `rng` (a seeded `random.Random`) so the demo is the same every time.
      Work that needs other plugins' demo data (confirming an order needs the warehouse's stock)
      goes in `context["after"]`, a list of callables run once every plugin has loaded.
    - Returns: nothing.
    - Combine: every plugin's implementation runs, in plugin-name order.
    """


# =============================================================================================
# Domain events: fired by the CRM inside the transaction that makes the change.
# =============================================================================================


@hookspec
def negotiation_status_changed(negotiation, old, new, actor):
    """A negotiation entered a status (Saba rules): opened (`old` is None), cut, suspended, won.

    - Fires: in `plugins.crm.services` right after the change and its points are written, inside
      the same transaction, before commit. Not fired by the set-based expiry sweep, which changes
      many rows at once (read `crm_status_changes` for those).
    - Arguments: `negotiation` (the CRM's Negotiation row), `old` and `new` status names,
      `actor` (the User who acted).
    - Returns: nothing. Raising aborts the whole change (nothing is written), so subscribers
      that only observe should defer slow work with `core.jobs.emit_after_commit`.
    """


@hookspec
def party_merged(kept_party_id, merged_party_id, actor):
    """Two customers were found to be one: move your records from the merged party to the kept one.

    - Fires: in the CRM's merge service, after the CRM moved its own records, inside the same
      transaction, before commit.
    - Arguments: `kept_party_id` and `merged_party_id` (`parties.id`; the merged party stays, marked
      `merged_into_id`, for history), `actor` (the User merging).
    - Returns: a dict of what you moved, e.g. `{"invoices": 3}`, shown in the merge record; or None.
    - Raising aborts the whole merge (nothing is written).
    - Example: `db.session.execute(update(Invoice).where(Invoice.party_id == merged_party_id).values(party_id=kept_party_id))`
    """


# =============================================================================================
# Sales: quotes and orders (payload types in `core/payloads.py`).
# =============================================================================================


@hookspec
def pricing_adjustments(quote, line):
    """Contribute price adjustments to one quote line (a sales policy type of your own).

    - Fires: while the CRM prices a quote or a direct order, once per line; no writes.
    - Arguments: `quote` (`core.payloads.QuoteContext`: customer, category, pricing date, what the
      customer bought in the last 12 months, every line, and a `cache` dict to load your rules once
      per pricing run), `line` (`core.payloads.LineContext`).
    - Returns: a list of `core.payloads.Adjustment` (each with a Persian `label` shown on the line
      and a `precedence`; see `plugins/crm/services/pricing.py` for the scale), or None.
    - Combine: all adjustments of all plugins apply, in precedence order, each on what the previous
      left; the CRM's own policies come through this same hook.
    - Example: `return [Adjustment("جشنوارهٔ پاییز", 45, percent=500, source="acme.campaign:1")]`
    """


@hookspec
def quote_line_availability(product_ids, office_id):
    """Say how many units of these products can be sold now, for the quote builder.

    - Fires: when the quote builder or order page shows lines; read-only.
    - Arguments: `product_ids` (list of `products.id`), `office_id` (the opportunity's office,
      for choosing a warehouse; may be None).
    - Returns: a list of `core.payloads.Availability`, or None.
    - Combine: merged by product; when no plugin answers the screen says availability is unknown.
      A plugin that raises is skipped (logged) and the others still answer.
    """


@hookspec
def customer_credit(party_id, category_id):
    """Report a customer's balance, credit limit and overdue amount.

    - Fires: on the quote builder, the order page and the customer profile; read-only.
    - Arguments: `party_id` (`parties.id`), `category_id` (the customer's CRM category, or None).
    - Returns: `core.payloads.CreditInfo`, or None if you keep no account for this customer.
    - Combine: the first answer is used; with none (finance absent or disabled) the screen says so.
    """


@hookspec
def order_confirmed(order):
    """An order or contract is being confirmed: reserve, invoice, or refuse.

    - Fires: in `plugins.crm.services.orders.confirm`, **inside the confirming transaction**, after
      the order's own rows are written and before commit; at most once per order (a second
      confirmation of a confirmed order returns without firing).
    - Arguments: `order` (`core.payloads.OrderPayload`: ref `crm.order:<id>`, party, office, lines
      with quantities and net/tax/total, `allow_partial`, `override_credit`).
    - Returns: a `core.payloads.Effect` (or a list) naming what you created, e.g.
      `Effect("inventory.reservation:7", "رزرو انبار تهران", url)`, shown on the order page.
    - Veto: raise `core.payloads.Veto("…reason in Persian…")`; the whole confirmation rolls back
      (nothing of any plugin is written) and the user sees the reason. Any other exception also
      rolls everything back, with a generic message (and is logged).
    """


@hookspec
def order_cancelled(order):
    """A confirmed order is being cancelled: release, reverse, or refuse.

    - Fires: in `plugins.crm.services.orders.cancel`, inside the cancelling transaction, only for
      orders that were confirmed; once per order.
    - Arguments and returns: as `order_confirmed`; raise `core.payloads.Veto` to refuse.
    """


# =============================================================================================
# Dashboard
# =============================================================================================


@hookspec
def dashboard_kpis(period, scope):
    """Contribute figures to the managers' dashboard.

    - Fires: when the dashboard is computed (by its periodic refresh job, or on a cache miss);
      read-only, in its own read transaction.
    - Arguments: `period` (`core.payloads.Period`), `scope` (`core.payloads.Scope`: the viewer, and
      the office, department and reps the viewer chose, already limited to what they may see).
    - Returns: a list of `core.payloads.Kpi`, computed with set-based SQL (never a Python loop over
      records); links lead to the records behind each figure.
    - Combine: all plugins' figures are shown by group and `order`. A plugin that raises is skipped:
      the dashboard shows the others and a notice, and the error is logged.
    """


# =============================================================================================
# UI contributions: called while a page renders, inside the request's read transaction.
# =============================================================================================


@hookspec
def menu_items(user):
    """Return navigation entries for the base layout.

    - Fires: on every full page render.
    - Transaction: the request's.
    - Arguments: `user` is the logged-in user (never anonymous).
    - Returns: `list[core.plugins.MenuItem]`. The host hides items whose `permission` the user
      lacks, so a plugin rarely needs to look at `user` itself.
    - Combine: merged and sorted by `order`, then label (never by registration order).
    - Example: `return [MenuItem("acme.index", "اکمه", "acme.index", "acme.view", order=500)]`
    """


@hookspec
def template_slot(slot, context):
    """Return HTML for a named slot in a template.

    - Fires: where a template calls `{{ plugin_slot('crm.customer.panels', customer=c) }}`.
    - Transaction: the request's.
    - Arguments: `slot` is the slot name; `context` the keyword arguments given in the template
      (read with `.get()`, new keys may appear).
    - Returns: `Markup` or `str` (escaped), or `None` for slots you do not fill.
    - Combine: all non-None results are joined in plugin-name order.
    - Example: `return Markup(render_template("acme/panel.html", **context)) if slot == "core.home" else None`
    """


@hookspec
def party_visibility(user, party_id):
    """Limit which customers a user may see in other plugins' screens (the Saba rules).

    - Fires: whenever a plugin lists or opens records that name a customer (support tickets,
      finance books) for a user who is not allowed every office's records of that plugin,
      through `core.access.party_visible(user, column)`; read-only.
    - Arguments: `user` is the viewer; `party_id` a SQL column expression holding `parties.id`
      (e.g. `Ticket.party_id`).
    - Returns: a SQLAlchemy condition on `party_id`, true for the parties `user` may see; or
      None when your plugin sets no limit for this user (the CRM: users outside the CRM, and
      those who see every office's customers).
    - Combine: every condition returned must hold; with none, nothing is hidden.
    - Example: `return party_id.in_(select(Customer.party_id).where(my_filter(user)))`
    """


@hookspec
def customer_panels(customer, user):
    """Return panels for the customer profile (finance: balance and payments; support: tickets).

    - Fires: when the CRM renders a customer's page (`/crm/customers/<id>`), after it checked
      that `user` may see the customer; also after an action on the page re-renders it.
    - Transaction: the request's (read only: write nothing here).
    - Arguments: `customer` is the CRM's Customer row (`customer.party` is the core's Party:
      name, phones, national ID; `customer.id` is what your records refer to as
      `crm.customer:<id>`); `user` is the logged-in User looking at it (show only what they
      may see: check your own permissions with `core.access.can`).
    - Returns: a list of dicts `{"title": str, "html": Markup | str, "order": int}` (`order`
      optional, default 100; a `str` is escaped, `Markup` is inserted as is), or `[]`/None.
    - Combine: every panel of every plugin is shown, in `order`, then plugin name. A plugin
      whose implementation raises (or returns something else) is skipped: the page shows a
      short notice in its place and the error is logged; the other panels still render.
    - Example: `return [{"title": "مانده حساب", "html": Markup(render_template("acme/balance.html", c=customer)), "order": 10}]`
    """


# =============================================================================================
# Jobs
# =============================================================================================


@hookspec
def after_commit_event(name, payload):
    """React to a business event after its transaction committed (mail, recompute, sync).

    - Fires: from a job enqueued by `core.jobs.emit_after_commit(name, payload)`: on an rq
      worker when `REDIS_URL` is set, otherwise inline right after the commit.
    - Transaction: its own; make it idempotent (a retry must not double anything).
    - Arguments: `name` like `crm.negotiation_won`; `payload` a JSON-safe dict with references
      such as `{"negotiation": "crm.negotiation:42"}`.
    - Returns: nothing.
    - Combine: every plugin's implementation runs; ignore names you do not know.
    """
