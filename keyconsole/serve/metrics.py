"""Prometheus metrics: verifications by endpoint and reason, their latency, store errors,
and on PostgreSQL how current the rows kept from the change feed are. Nothing per key: a
label per key would grow with the store (per-key usage: `keyconsole keys usage`).

Label values come from fixed sets (endpoints, verify reasons), never from a request. With
several workers each process writes its figures to a shared folder
(PROMETHEUS_MULTIPROC_DIR, made by the serving command before the workers start) and a
scrape of any worker sums them all.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from keyconsole.service.key_state import Reason
from keyconsole.store.direct.followed_rows import FeedFigures

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
REASONS = tuple(Reason)
ENDPOINTS = ("verify", "forward_auth", "caller")
# Verify answers in tens of microseconds when warm, tens of milliseconds when argon2 runs.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A "_created" series per label pair doubles a scrape and tells nothing a counter's reset does not.
disable_created_metrics()


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        verifications = Counter(
            "keyconsole_verifications", "Keys verified, by endpoint and verdict.", ["endpoint", "reason"],
            registry=self.registry,
        )
        latency = Histogram(
            "keyconsole_verify_seconds", "Time to a verdict, by endpoint.", ["endpoint"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.store_errors = Counter(
            "keyconsole_store_errors", "Requests answered 503 because the store could not be read.",
            registry=self.registry,
        )
        self.feed_staleness = Gauge(
            "keyconsole_feed_staleness_seconds",
            "Seconds since this process last read the change feed (PostgreSQL; the worst worker).",
            multiprocess_mode="livemax", registry=self.registry,
        )
        self.feed_lease_lapses = Counter(
            "keyconsole_feed_lease_lapses",
            "Times the change feed's lease had lapsed: verifies read the store meanwhile.",
            registry=self.registry,
        )
        self.remembered_hits = Counter(
            "keyconsole_remembered_row_hits",
            "Key lookups answered from rows kept while the change feed is followed.",
            registry=self.registry,
        )
        self._feed_counted = FeedFigures(None, 0, 0)
        # Children made once: a labelled lookup per request would cost more than the count.
        self.verdicts = {
            (endpoint, reason): verifications.labels(endpoint, reason) for endpoint in ENDPOINTS for reason in REASONS
        }
        self.latency = {endpoint: latency.labels(endpoint) for endpoint in ENDPOINTS}

    def record(self, endpoint: str, reason: str, seconds: float) -> None:
        self.verdicts[endpoint, reason].inc()
        self.latency[endpoint].observe(seconds)

    def observe_feed(self, figures: FeedFigures | None) -> None:
        """Bring the feed's figures up to date (each worker, once a second and at a scrape)."""
        if figures is None:
            return
        if figures.staleness_s is not None:
            self.feed_staleness.set(figures.staleness_s)
        last, self._feed_counted = self._feed_counted, figures
        self.feed_lease_lapses.inc(max(0, figures.lease_lapses - last.lease_lapses))
        self.remembered_hits.inc(max(0, figures.remembered_hits - last.remembered_hits))

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
