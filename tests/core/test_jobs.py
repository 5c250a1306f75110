"""Background jobs: inline without Redis, a real rq worker process with Redis, after-commit
events, and periodic tasks from the CLI and from rq's CronScheduler inside `peyvand worker`."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask_login import login_user
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import jobs
from core.audit import acting_as
from core.jalali import utcnow
from core.models.audit import AuditEntry
from core.models.org import LoginAttempt, Office
from core.testing import plugin

try:
    from tests.core import jobfuncs
except ImportError:  # tests/ not a package here: the module is imported from this folder
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import jobfuncs

REDIS_URL = os.environ.get("PEYVAND_TEST_REDIS", "redis://127.0.0.1:6379/15")
PEYVAND = str(Path(sys.executable).with_name("peyvand"))
PRUNE = "core.prune_login_attempts"


def peyvand_env(database_url: str, instance: Path, **extra) -> dict:
    """The environment a deployed `peyvand` command would get; the job functions' folder is
    importable, as an installed plugin's module would be."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PEYVAND_RQ_QUEUE", "SECRET_KEY")}
    module_root = Path(jobfuncs.__file__).resolve().parents[len(jobfuncs.__name__.split(".")) - 1]
    env.update(DATABASE_URL=database_url, PEYVAND_INSTANCE_PATH=str(instance),
               PYTHONPATH=os.pathsep.join(filter(None, [str(module_root), env.get("PYTHONPATH")])))
    env.update(extra)
    return env


def run_peyvand(args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([PEYVAND, *args], env=env, capture_output=True, text=True, timeout=timeout)


def office_names(db) -> list[str]:
    db.session.rollback()  # a fresh snapshot: other processes wrote since
    return sorted(db.session.scalars(select(Office.name)))


# --- inline (no REDIS_URL) ----------------------------------------------------------------------

def test_inline_job_runs_now_in_its_own_transaction(app, db, make_user):
    assert not app.config["REDIS_URL"]
    user_id = make_user("sara", role="administrator").id
    # Unflushed work of the caller's session (flushed, it would hold SQLite's write lock: the
    # documented rule is to enqueue after committing).
    db.session.add(Office(name="دفتر کنار گذاشته"))
    with acting_as(user_id):
        office_id = jobs.enqueue(jobfuncs.add_office, "دفتر ساخته‌شده در کار")
    # The job committed on its own; the caller's pending work is still only the caller's.
    db.session.rollback()
    assert office_names(db) == ["دفتر ساخته‌شده در کار"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "offices"))
    assert (entry.record_id, entry.action, entry.user_id) == (str(office_id), "insert", user_id)


def test_inline_job_is_attributed_to_the_logged_in_user(app, db, make_user):
    user = make_user("sara", role="administrator")
    with app.test_request_context("/"):
        login_user(user)
        office_id = jobs.enqueue(f"{jobfuncs.__name__}:add_office", "دفتر شیراز")
    db.session.rollback()  # a fresh snapshot: the job committed in another session
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "offices",
                                                       AuditEntry.record_id == str(office_id)))
    assert entry.user_id == user.id


def test_failing_inline_job_rolls_back_everything(app, db, make_user):
    user = make_user("sara", role="administrator")
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with acting_as(user.id), pytest.raises(RuntimeError, match="on purpose"):
        jobs.enqueue(jobfuncs.add_office_then_fail, "دفتر ناتمام")
    assert office_names(db) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    # The app keeps working after a failed job.
    jobs.enqueue(jobfuncs.add_office, "دفتر بعدی")
    assert office_names(db) == ["دفتر بعدی"]


def test_only_module_level_functions_are_jobs(app):
    def local():
        pass
    with pytest.raises(ValueError):
        jobs.enqueue(local)
    with pytest.raises(ValueError):
        jobs.enqueue(lambda: None)


# --- after-commit events ------------------------------------------------------------------------

@pytest.fixture
def events_app(app, make_app):
    """An app with a throw-away plugin recording `after_commit_event` calls."""
    seen = []

    def after_commit_event(name, payload):
        seen.append((name, payload))

    app = make_app(plugins=[("eventlog", plugin(after_commit_event=after_commit_event))])
    with app.app_context():
        yield app, seen


def test_event_fires_only_after_commit(events_app):
    from core.db import db
    app, seen = events_app
    db.session.add(Office(name="دفتر"))
    jobs.emit_after_commit("test.office_saved", {"office": "core.office:new"})
    db.session.flush()
    assert seen == []  # not before the commit
    db.session.commit()
    assert seen == [("test.office_saved", {"office": "core.office:new"})]
    db.session.add(Office(name="دفتر دوم"))
    db.session.commit()
    assert len(seen) == 1  # fired once, not again on the next commit


def test_event_never_fires_after_rollback(events_app):
    from core.db import db
    app, seen = events_app
    db.session.add(Office(name="دفتر"))
    jobs.emit_after_commit("test.rolled_back", {"n": 1})
    db.session.rollback()
    db.session.add(Office(name="دفتر دوم"))
    db.session.commit()
    assert seen == []

    # A transaction that fails on commit does not fire its events either.
    db.session.add(Office(name="دفتر دوم"))  # duplicate name
    jobs.emit_after_commit("test.failed_commit", {"n": 2})
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Office(name="دفتر سوم"))
    db.session.commit()
    assert seen == []


def test_event_of_a_closed_session_is_dropped(events_app):
    from core.db import db
    app, seen = events_app
    db.session.add(Office(name="دفتر"))
    jobs.emit_after_commit("test.abandoned", {"n": 1})
    db.session.close()  # the work was abandoned, never committed
    db.session.add(Office(name="دفتر دوم"))
    db.session.commit()
    assert seen == []


# --- Redis and a real worker --------------------------------------------------------------------

def _cleanup_redis(redis: Redis, queue_name: str) -> None:
    from rq import Queue
    q = Queue(queue_name, connection=redis)
    ids = set(q.job_ids)
    for registry in (q.finished_job_registry, q.failed_job_registry, q.started_job_registry,
                     q.deferred_job_registry, q.scheduled_job_registry, q.canceled_job_registry):
        ids.update(registry.get_job_ids())
    for job_id in ids:
        for key in redis.scan_iter(f"rq:*{job_id}*"):
            redis.delete(key)
        for key in redis.scan_iter("rq:cron_job:*:jobs"):
            redis.zrem(key, job_id)
    for key in redis.scan_iter(f"*{queue_name}*"):
        redis.delete(key)
    redis.srem("rq:queues", f"rq:queue:{queue_name}")
    for key in redis.scan_iter("rq:worker:*"):  # dead workers' hashes (they would expire)
        if redis.type(key) == b"hash" and redis.hget(key, "queues") == queue_name.encode():
            redis.delete(key)
            redis.srem("rq:workers", key)


def _cleanup_cron(redis: Redis, pids: list[int]) -> None:
    """Forget the cron schedulers started by the worker processes `pids` (names hold the pid)."""
    for name in redis.zrange("rq:cron_schedulers", 0, -1):
        if any(f":{pid}:" in name.decode() for pid in pids):
            redis.zrem("rq:cron_schedulers", name)
    for key in redis.scan_iter("rq:cron_scheduler:*"):
        if any(f":{pid}:" in key.decode() for pid in pids):
            redis.delete(key)
    if not redis.zcard("rq:cron_schedulers"):  # no other scheduler (another test run) uses it
        redis.delete("rq:cron_jobs", f"rq:cron_job:{PRUNE}:jobs")


@pytest.fixture
def rq_app(app, make_app):
    """An app enqueueing on Redis, on a queue of its own (tests may run in parallel). It
    depends on `app` so that its context is pushed last and is the current one."""
    queue_name = f"peyvand-test-{uuid.uuid4().hex}"
    redis = Redis.from_url(REDIS_URL)
    queued = make_app({"REDIS_URL": REDIS_URL, "RQ_QUEUE": queue_name})
    try:
        with queued.app_context():
            yield queued
    finally:
        _cleanup_redis(redis, queue_name)
        redis.close()


def worker_env(app, database_url, tmp_path) -> dict:
    return peyvand_env(database_url, tmp_path / "worker-instance", REDIS_URL=app.config["REDIS_URL"],
                       PEYVAND_RQ_QUEUE=app.config["RQ_QUEUE"])


def test_job_runs_on_a_real_worker(rq_app, db, make_user, database_url, tmp_path):
    user = make_user("sara", role="administrator")
    with acting_as(user.id):
        job = jobs.enqueue(jobfuncs.add_office, "دفتر ساخته‌شده در کارگر")
    assert job.origin == rq_app.config["RQ_QUEUE"]
    assert office_names(db) == []  # queued, not run

    result = run_peyvand(["worker", "--burst"], worker_env(rq_app, database_url, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr

    assert office_names(db) == ["دفتر ساخته‌شده در کارگر"]
    job.refresh()
    assert job.get_status() == "finished"
    office_id = db.session.scalar(select(Office.id))
    assert job.return_value() == office_id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "offices"))
    assert entry.user_id == user.id  # the enqueuing user, carried to the worker


def test_failed_job_on_the_worker_writes_nothing(rq_app, db, database_url, tmp_path):
    job = jobs.enqueue(jobfuncs.add_office_then_fail, "دفتر ناتمام")
    ok = jobs.enqueue(jobfuncs.add_office, "دفتر سالم")
    result = run_peyvand(["worker", "--burst"], worker_env(rq_app, database_url, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    job.refresh()
    ok.refresh()
    assert job.get_status() == "failed" and "on purpose" in (job.latest_result().exc_string or "")
    assert ok.get_status() == "finished"
    assert office_names(db) == ["دفتر سالم"]  # the failure did not leak into the next job


def test_events_are_enqueued_only_after_commit(rq_app, db, database_url, tmp_path):
    from rq import Queue
    queue = Queue(rq_app.config["RQ_QUEUE"], connection=Redis.from_url(REDIS_URL))
    db.session.add(Office(name="دفتر"))
    jobs.emit_after_commit("test.office_saved", {"office": "core.office:1"})
    db.session.flush()
    assert queue.count == 0
    db.session.commit()
    assert queue.count == 1
    job = queue.jobs[0]
    assert job.args[:2] == ("core.jobs:dispatch_event", ("test.office_saved", {"office": "core.office:1"}))

    db.session.add(Office(name="دفتر دوم"))
    jobs.emit_after_commit("test.rolled_back", {})
    db.session.rollback()
    assert queue.count == 1

    result = run_peyvand(["worker", "--burst"], worker_env(rq_app, database_url, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    job.refresh()
    assert job.get_status() == "finished"


def test_worker_without_redis_is_refused(database_url, tmp_path):
    result = run_peyvand(["worker", "--burst"], peyvand_env(database_url, tmp_path / "instance"))
    assert result.returncode != 0 and "REDIS_URL" in result.stderr


# --- periodic tasks -----------------------------------------------------------------------------

def add_attempts(db) -> dict:
    now = utcnow()
    rows = {"old": LoginAttempt(username="old", ip="10.0.0.1", at=now - dt.timedelta(days=3)),
            "older": LoginAttempt(username="older", ip="10.0.0.2", at=now - dt.timedelta(days=40)),
            "recent": LoginAttempt(username="recent", ip="10.0.0.3", at=now - dt.timedelta(hours=1)),
            "today": LoginAttempt(username="today", ip="10.0.0.4", at=now - dt.timedelta(hours=23))}
    db.session.add_all(rows.values())
    db.session.commit()
    return rows


def attempt_names(db) -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(LoginAttempt.username)))


def test_tasks_list_and_run_from_the_cli(app, db, database_url, tmp_path):
    env = peyvand_env(database_url, tmp_path / "instance")
    listed = run_peyvand(["tasks", "list"], env)
    assert listed.returncode == 0 and PRUNE in listed.stdout, listed.stderr

    add_attempts(db)
    first = run_peyvand(["tasks", "run", PRUNE], env)
    assert first.returncode == 0, first.stderr
    assert f"{PRUNE}: 2" in first.stdout
    assert attempt_names(db) == ["recent", "today"]

    again = run_peyvand(["tasks", "run", "--all"], env)  # idempotent: a second run changes nothing
    assert again.returncode == 0, again.stderr
    assert f"{PRUNE}: 0" in again.stdout
    assert attempt_names(db) == ["recent", "today"]

    unknown = run_peyvand(["tasks", "run", "core.no_such_task"], env)
    assert unknown.returncode != 0 and "کار ناشناخته" in unknown.stderr
    assert run_peyvand(["tasks", "run"], env).returncode != 0


def test_periodic_task_runs_in_process(app, db):
    add_attempts(db)
    assert jobs.run_job("core.jobs:run_periodic", (PRUNE,)) == 2
    assert attempt_names(db) == ["recent", "today"]
    assert jobs.run_job("core.jobs:run_periodic", (PRUNE,)) == 0
    with pytest.raises(LookupError):
        jobs.run_periodic("core.no_such_task")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_worker_cron_scheduler_enqueues_periodic_tasks(rq_app, db, database_url, tmp_path):
    """`peyvand worker` starts rq's CronScheduler; an interval task is enqueued at start, run by
    the worker, and the worker stops cleanly with its scheduler process."""
    from rq import Queue
    add_attempts(db)
    children = []
    proc = subprocess.Popen([PEYVAND, "worker"], env=worker_env(rq_app, database_url, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while attempt_names(db) != ["recent", "today"] and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.3)
        assert attempt_names(db) == ["recent", "today"]
        children = _children(proc.pid)
        assert children, "the worker runs its cron scheduler in a child process"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            pytest.fail("the worker did not stop on SIGTERM:\n" + output)
    redis = Redis.from_url(REDIS_URL)
    try:
        assert proc.returncode == 0, output
        # Its children (the scheduler, multiprocessing's resource tracker) end with it.
        deadline = time.monotonic() + 10
        while [c for c in children if _alive(c)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)], "the cron scheduler outlived its worker"
        # It stopped cleanly: unregistered itself from rq's scheduler registry.
        names = [n.decode() for n in redis.zrange("rq:cron_schedulers", 0, -1)]
        assert not [n for n in names if any(f":{c}:" in n for c in children)], names
    finally:
        _cleanup_cron(redis, children)
        redis.close()

    # It went through the queue: a finished run_periodic job of this task.
    queue = Queue(rq_app.config["RQ_QUEUE"], connection=Redis.from_url(REDIS_URL))
    finished = [queue.fetch_job(i) for i in queue.finished_job_registry.get_job_ids()]
    assert any(j.args[:2] == ("core.jobs:run_periodic", (PRUNE,)) for j in finished if j), output

