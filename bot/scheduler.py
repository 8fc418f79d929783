"""One APScheduler cron job per digest, at its post time in its own time zone."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.models import Digest

log = logging.getLogger(__name__)

JOB_PREFIX = "digest-"
# A job that could not run on time (the event loop was busy, the machine slept) still runs
# within this window; later than that, the next day's run takes over.
MISFIRE_GRACE_SECONDS = 6 * 3600

# A scheduled run that finds no new announcement when one is due by arXiv's calendar, or
# cannot reach arXiv, tries again after RETRY_DELAY_SECONDS, at most MAX_RETRIES times
# (six hours in all). arXiv's feeds sometimes lag the mailing, and outages are short.
RETRY_DELAY_SECONDS = 30 * 60
MAX_RETRIES = 12

DigestRunner = Callable[..., Awaitable[object]]


def job_id(digest_id: int) -> str:
    """Return the scheduler job id of a digest."""
    return f"{JOB_PREFIX}{digest_id}"


def retry_job_id(digest_id: int) -> str:
    """Return the job id of a digest's pending retry."""
    return f"{JOB_PREFIX}{digest_id}-retry"


def previous_run_time(digest: Digest, now: dt.datetime) -> dt.datetime:
    """Return the latest post time of the digest at or before `now`, in its time zone.

    A post time that a daylight saving change skips is taken as the zone maps it.
    """
    zone = ZoneInfo(digest.timezone)
    day = now.astimezone(zone).date()
    candidate = dt.datetime.combine(day, digest.post_time, tzinfo=zone)
    if candidate > now:
        candidate = dt.datetime.combine(day - dt.timedelta(days=1), digest.post_time, tzinfo=zone)
    return candidate


class DigestScheduler:
    """Keep one cron job per active digest in an AsyncIOScheduler."""

    def __init__(self, run_digest: DigestRunner) -> None:
        self._run_digest = run_digest
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)

    def start(self) -> None:
        """Start the scheduler; calling it again does nothing."""
        if not self.scheduler.running:
            self.scheduler.start()
            log.info("Scheduler started")

    def shutdown(self) -> None:
        """Stop the scheduler without waiting for running jobs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            log.info("Scheduler stopped")

    def schedule(self, digest: Digest) -> dt.datetime | None:
        """Add or replace the digest's job and return its next run time (None when paused)."""
        assert digest.id is not None
        self.unschedule(digest.id)
        if digest.paused:
            return None

        trigger = CronTrigger(
            hour=digest.post_time.hour,
            minute=digest.post_time.minute,
            timezone=ZoneInfo(digest.timezone),
        )
        job = self.scheduler.add_job(
            self._run_digest,
            trigger,
            args=[digest.id],
            id=job_id(digest.id),
            name=f"{digest.name} (guild {digest.guild_id})",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )
        next_run: dt.datetime | None = getattr(job, "next_run_time", None)
        if next_run is None:
            next_run = trigger.get_next_fire_time(None, dt.datetime.now(dt.UTC))
        log.info("Scheduled digest %s (id %s) next at %s", digest.name, digest.id, next_run)
        return next_run

    def schedule_retry(
        self, digest_id: int, attempt: int, delay: float = RETRY_DELAY_SECONDS
    ) -> dt.datetime | None:
        """Run the digest again after `delay` seconds as retry number `attempt`.

        Returns the time of the retry, or None when the digest used up its retries.
        """
        if attempt > MAX_RETRIES:
            return None
        run_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        self.scheduler.add_job(
            self._run_digest,
            "date",
            run_date=run_at,
            args=[digest_id],
            kwargs={"attempt": attempt},
            id=retry_job_id(digest_id),
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )
        return run_at

    def unschedule(self, digest_id: int) -> None:
        """Remove the digest's job and any pending retry."""
        for identifier in (job_id(digest_id), retry_job_id(digest_id)):
            if self.scheduler.get_job(identifier) is not None:
                self.scheduler.remove_job(identifier)

    def rebuild(self, digests: Iterable[Digest]) -> int:
        """Replace every digest job with one per digest in `digests`; return the job count."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                job.remove()
        return sum(1 for digest in digests if self.schedule(digest) is not None)

    def next_run_time(self, digest_id: int) -> dt.datetime | None:
        """Return when the digest's job runs next, or None if it has no job."""
        job = self.scheduler.get_job(job_id(digest_id))
        return job.next_run_time if job is not None else None
