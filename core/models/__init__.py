"""The core's tables. Plugins add their own tables and link to these by foreign key."""
from core.models.audit import AuditEntry  # noqa: F401
from core.models.org import (  # noqa: F401
    ApiToken, Department, Group, GroupPermission, LoginAttempt, Office, Position, User,
    user_groups,
)
from core.models.parties import Party, PartyAddress, PartyPhone  # noqa: F401
from core.models.products import Product  # noqa: F401
from core.models.site import SettingValue, SitePage  # noqa: F401
