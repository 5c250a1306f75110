"""CRM tables: customers (on the core's parties), negotiations under the Saba rules, their
status history, the points ledger, the negotiation log, comments, stale cards, master lists,
duplicate detection. Import them from here."""
from plugins.crm.models.customers import Customer, ListItem  # noqa: F401
from plugins.crm.models.duplicates import (  # noqa: F401
    DuplicatePair,
    DuplicateScan,
    DuplicateWarning,
    DuplicateWarningMatch,
    MatchKey,
    MatchKeyCount,
    Merge,
)
from plugins.crm.models.labels import (  # noqa: F401
    ENTRY_KINDS,
    LIST_KINDS,
    POOL_STATUSES,
    STATUS_LABELS,
    STATUSES,
)
from plugins.crm.models.log import Comment, LogEntry  # noqa: F401
from plugins.crm.models.negotiations import (  # noqa: F401
    Card,
    Negotiation,
    PointDay,
    PointEntry,
    StatusChange,
)
from plugins.crm.models.leads import LEAD_CHANNELS, LEAD_STATUSES, NEED_LEVELS, Lead, LeadImport  # noqa: F401
from plugins.crm.models.pipeline import PRIORITIES, STAGE_FIELDS, Pipeline, Stage  # noqa: F401
from plugins.crm.models.tasks import TASK_STATUSES, Attachment, Task  # noqa: F401
from plugins.crm.models.sales import (  # noqa: F401
    ORDER_STATUSES, POLICY_KINDS, QUOTE_STATUSES, DiscountLimit, Order, OrderEffect, OrderLine, Policy, PriceList,
    PriceListItem, Quote, QuoteLine,
)
