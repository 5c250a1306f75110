"""Support demo data: the suggested categories and a few tickets for the demo customers, in every
status, some past their SLA (flagged by the sweep as it would be in production)."""
from __future__ import annotations

import datetime as dt

from core.db import db
from core.jalali import utcnow
from core.persian import normalize
from plugins.support.models import Ticket, TicketCategory, TicketNote, TicketStatusChange
from plugins.support.services import categories, sla

H = dt.timedelta(hours=1)

# title, description, channel, priority, category, product code, party index, office index,
# creator, assignee, hours ago opened, [(status, hours ago, note)], [(hours ago, author, body, for customer)]
SCENARIOS = [
    ("کارت‌خوان پس از به‌روزرسانی روشن نمی‌شود",
     "مشتری می‌گوید از دیروز که نسخهٔ تازهٔ نرم‌افزار کارت‌خوان نصب شد، دستگاه روشن نمی‌شود و فروشگاه بدون کارت‌خوان مانده است.",
     "phone", "urgent", "خرابی و تعمیر", "P-2002", 0, 0, "poshtiban", "poshtiban", 5,
     [("in_progress", 4.5, "")],
     [(4.4, "poshtiban", "با مشتری تماس گرفتم؛ آداپتور را عوض کردند ولی فرقی نکرد. احتمالاً برد تغذیه است.", False),
      (4, "poshtiban", "همکار فنی فردا صبح برای بررسی در محل مراجعه می‌کند.", True)]),
    ("درخواست آموزش ماژول انبار برای کاربران جدید",
     "سه کاربر تازه استخدام شده‌اند و برای کار با ماژول انبار به یک جلسهٔ آموزشی نیاز دارند.",
     "email", "low", "آموزش و راهنمایی", "P-4002", 1, 0, "poshtiban", None, 3, [], []),
    ("چاپگر حرارتی رسید را کم‌رنگ چاپ می‌کند",
     "رسیدهای چاپگر صندوق شمارهٔ ۲ کم‌رنگ و ناخوانا هستند.",
     "phone", "normal", "خرابی و تعمیر", "P-2001", 2, 0, "poshtiban", "poshtiban", 30,
     [("in_progress", 26, ""), ("waiting_customer", 10, "منتظر عکس رسید و نوع رول کاغذ")],
     [(10, "poshtiban", "لطفاً از یک رسید چاپ‌شده و برچسب رول کاغذ عکس بفرستید.", True)]),
    ("نصب نسخهٔ سازمانی روی سرور جدید",
     "نصب نسخهٔ سازمانی روی سرور تازهٔ مشتری و انتقال داده‌های سال مالی جاری.",
     "in_person", "high", "نصب و راه‌اندازی", "P-1002", 3, 0, "sara", "poshtiban", 72,
     [("in_progress", 70, ""), ("resolved", 24, "نصب و انتقال داده انجام شد؛ مشتری تأیید کرد.")],
     [(24, "poshtiban", "نصب کامل شد و نسخهٔ پشتیبان پیش از انتقال گرفته شد.", True)]),
    ("مغایرت موجودی در گزارش پایان ماه",
     "گزارش موجودی پایان ماه با شمارش انبار سه قلم اختلاف دارد.",
     "web", "normal", "سایر", "P-1001", 4, 0, "poshtiban", "poshtiban", 240,
     [("in_progress", 236, ""), ("resolved", 220, "اختلاف از رسیدهای ثبت‌نشده بود."),
      ("closed", 150, "")],
     [(221, "poshtiban", "دو رسید خرید در سامانه ثبت نشده بود؛ پس از ثبت، گزارش درست شد.", True)]),
    ("تأخیر در ارسال رول کاغذ سفارش",
     "مشتری گله دارد که رول‌های کاغذ سفارش داده‌شده هنوز نرسیده است.",
     "messenger", "high", "شکایت", "P-3001", 5, 0, "sara", "poshtiban", 96,
     [("in_progress", 90, ""), ("resolved", 60, "بسته با پیک ارسال شد."), ("reopened", 2, "مشتری می‌گوید بسته ناقص رسیده است.")],
     [(60, "poshtiban", "بسته امروز با پیک ارسال شد؛ کد رهگیری برای مشتری پیامک شد.", True),
      (2, "sara", "مشتری تماس گرفت: از پنج بسته فقط سه بسته رسیده است.", False)]),
    ("بارکدخوان بی‌سیم به رایانه وصل نمی‌شود",
     "بارکدخوان پس از شارژ با گیرندهٔ USB جفت نمی‌شود.",
     "phone", "high", "خرابی و تعمیر", "P-2003", 6, 0, "poshtiban", "poshtiban", 12, [], []),
    ("درخواست تعویض صندوق لمسی در دورهٔ گارانتی",
     "صفحهٔ لمسی صندوق در بخش پایین لمس را نمی‌گیرد؛ دستگاه هنوز در دورهٔ گارانتی است.",
     "in_person", "normal", "گارانتی و مرجوعی", "P-2004", 7, 0, "poshtiban", "poshtiban", 6,
     [("in_progress", 5, "")], [(5, "poshtiban", "شمارهٔ سریال دستگاه با فاکتور فروش تطبیق داده شد.", False)]),
    ("راهنمایی برای تنظیم مالیات بر ارزش افزوده در فاکتور",
     "مشتری نمی‌داند نرخ مالیات را در کجای نرم‌افزار تغییر دهد.",
     "phone", "low", "آموزش و راهنمایی", "P-1001", 8, 1, "zahra", None, 1, [], []),
]


def load(context: dict) -> None:
    categories.ensure_defaults(commit=False)
    by_name = {c.name: c for c in db.session.query(TicketCategory)}
    users, parties, offices = context["users"], context["parties"], context["offices"]
    products = {p.code: p for p in context["products"]}
    now = utcnow()
    for (title, description, channel, priority, category, code, party_ix, office_ix, creator, assignee, ago,
         path, notes) in SCENARIOS:
        opened = now - ago * H
        ticket = Ticket(title=title, description=description, search_key=normalize(title)[:260],
                        party_id=parties[party_ix].id, channel=channel, priority=priority,
                        category_id=by_name[category].id, product_id=products[code].id if code in products else None,
                        status="new", office_id=offices[office_ix].id, created_by_id=users[creator].id,
                        assignee_id=users[assignee].id if assignee else None, created_at=opened, updated_at=opened,
                        sla_start=opened, due_at=sla.due_from(opened, priority))
        ticket.status_changes.append(TicketStatusChange(old_status=None, new_status="new", actor_id=users[creator].id, at=opened))
        actor = users[assignee or creator]
        for status, hours_ago, note in path:
            at = now - hours_ago * H
            old = ticket.status
            if old == "waiting_customer" and ticket.paused_at is not None:
                ticket.due_at += at - ticket.paused_at
                ticket.paused_at = None
            if status == "waiting_customer":
                ticket.paused_at = at
            elif status == "resolved":
                ticket.resolved_at = at
            elif status == "closed":
                ticket.closed_at = at
            elif status == "reopened":
                ticket.sla_start, ticket.due_at = at, sla.due_from(at, priority)
                ticket.resolved_at = ticket.closed_at = None
            ticket.status = status
            ticket.updated_at = at
            ticket.status_changes.append(TicketStatusChange(old_status=old, new_status=status, actor_id=actor.id, at=at,
                                                      note=note))
        for hours_ago, author, body, for_customer in notes:
            ticket.notes.append(TicketNote(author_id=users[author].id, body=body, for_customer=for_customer,
                                     created_at=now - hours_ago * H))
        if ticket.resolved_at is not None and ticket.resolved_at > ticket.due_at:
            ticket.breached_at = ticket.due_at  # the sweep would have flagged it back then
        db.session.add(ticket)
    db.session.flush()
    sla.sweep(now=now, commit=False)
