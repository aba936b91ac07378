//! Prometheus metrics at `/metrics`: request counts and latency, coordinates issued,
//! resolutions.

use std::sync::Mutex;

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The matched route template (`/api/v1/providers/{name}`), never the raw path, so
    /// label cardinality stays bounded.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RequestLabels, Histogram>,
    pub coordinates_issued: Counter,
    /// Issuances per group-commit transaction (see `writes.rs`).
    pub issuance_batch: Histogram,
    pub resolutions: Family<OutcomeLabels, Counter>,
    /// Resolution lookups per PostgreSQL statement (`store/batched_reads.rs`).
    pub lookup_batch: Histogram,
    /// Graph change notifications by outcome (`stored`, or why one was dropped).
    pub graph_notifications: Family<OutcomeLabels, Counter>,
    /// SIP INVITEs that named a tenant's key but no meeting of it.
    pub sip_failed_lookups: Counter,
    /// Times a tenant key crossed the failed-lookup budget (someone may be guessing).
    pub sip_guessing: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("cvi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0])
        });
        let coordinates_issued = Counter::default();
        let issuance_batch = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]);
        let resolutions = Family::<OutcomeLabels, Counter>::default();
        let lookup_batch = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]);
        let graph_notifications = Family::<OutcomeLabels, Counter>::default();
        let (sip_failed_lookups, sip_guessing) = (Counter::default(), Counter::default());
        registry.register(
            "sip_failed_lookups",
            "SIP INVITEs that named a tenant key but no meeting of it",
            sip_failed_lookups.clone(),
        );
        registry.register(
            "sip_guessing_alerts",
            "Times a tenant key had more failed SIP lookups in a minute than its budget",
            sip_guessing.clone(),
        );
        registry.register(
            "graph_notifications",
            "Microsoft Graph change notifications received, by outcome",
            graph_notifications.clone(),
        );
        registry.register("http_requests", "HTTP requests served", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "coordinates_issued",
            "New meeting coordinates issued",
            coordinates_issued.clone(),
        );
        registry.register(
            "issuance_batch_size",
            "Issuances written per transaction (group commit)",
            issuance_batch.clone(),
        );
        registry.register(
            "resolutions",
            "Dial-string resolutions by outcome",
            resolutions.clone(),
        );
        registry.register(
            "resolution_lookup_batch_size",
            "Resolution lookups per PostgreSQL statement (batched reads)",
            lookup_batch.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            coordinates_issued,
            issuance_batch,
            resolutions,
            lookup_batch,
            graph_notifications,
            sip_failed_lookups,
            sip_guessing,
        }
    }
}

impl Metrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        let _ = encode(&mut out, &registry);
        out
    }

    /// Counts one Graph notification's outcome.
    pub fn graph_notification(&self, outcome: &str) {
        self.graph_notifications
            .get_or_create(&OutcomeLabels {
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Counts one resolution outcome (`found`, `unknown`, `bad-check-digit`, `rate-limited`).
    pub fn resolution(&self, outcome: &str) {
        self.resolutions
            .get_or_create(&OutcomeLabels {
                outcome: outcome.into(),
            })
            .inc();
    }
}
