"""Status names, labels and kinds used by the CRM tables and screens."""

STATUSES = ("negotiating", "cut", "suspended", "won", "expired")
STATUS_LABELS = {"negotiating": "در حال مذاکره", "cut": "قطع مذاکره", "suspended": "معلق",
                 "won": "قطعی شده", "expired": "منقضی شده"}
POOL_STATUSES = ("cut", "suspended", "expired")
LIST_KINDS = {"category": "دسته‌بندی مشتری", "activity": "زمینهٔ فعالیت",
              "source": "طریقهٔ آشنایی", "marketer": "بازاریاب", "disqualify": "دلیل رد صلاحیت سرنخ"}
ENTRY_KINDS = {"call": "تماس تلفنی", "meeting": "جلسه", "message": "پیام", "visit": "بازدید", "document": "سند"}
