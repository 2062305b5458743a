//! Expectations: how many requests of a kind a test wants the mock to receive, checked when
//! the mock (or a scoped guard) goes away, as wiremock checks `Mock::expect`.
//!
//! Design notes:
//! - Requests are counted in `journal::record`, as the journal records them, and not read
//!   back from the journal: the journal is a ring of the last 1,000 requests, and a count
//!   taken from it would silently stop growing in a long test.
//! - A request counts only for expectations registered before it *arrived* (the middleware
//!   reads a watermark before running the handler), so a request still in flight when the
//!   test registers an expectation cannot satisfy it.
//! - The journal records after the handler returns and before the response is written, so a
//!   request whose response the test has received has always been counted, whichever runtime
//!   flavour the test uses: the mock serves on its own thread and the count sits behind a
//!   `std::sync::Mutex`, never an async lock, so `Drop` can verify without awaiting.
//! - Expectations belong to the test, not to the mock's state: `MockIdp::reset` and
//!   `POST /_mock/reset` leave them, and their counts, alone.
//! - The report is built under the lock and the panic raised after releasing it, so a failed
//!   verification never poisons the lock for the server thread.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::panic::Location;
use std::sync::Mutex;

use crate::control::journal::{Endpoint, RecordedRequest};
use crate::store::lock;

/// How many matching requests each expectation keeps for its failure message: enough to see
/// a pattern, few enough that a runaway loop does not flood the test output.
const KEPT_REQUESTS: usize = 20;

/// Every expectation registered on one mock.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Ids are handed out in order, so "registered before this request arrived" is
    /// `id < watermark`.
    next_id: u64,
    entries: Vec<Entry>,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) endpoint: Endpoint,
    pub(crate) grant: Option<String>,
    pub(crate) client: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) at_least: Option<u64>,
    pub(crate) at_most: Option<u64>,
    /// Scoped entries are verified by their guard only, never by the mock.
    pub(crate) scoped: bool,
    /// `Drop` cannot be `#[track_caller]`, so the message points at `idp.expect(..)` instead.
    pub(crate) registered_at: &'static Location<'static>,
    pub(crate) count: u64,
    /// The last [`KEPT_REQUESTS`] matches. Their `seq` is not yet assigned (the journal
    /// numbers requests after this), which is why the message does not show it.
    pub(crate) recent: VecDeque<RecordedRequest>,
}

impl Entry {
    /// Without any bound, an expectation means "at least once"; with only an upper bound,
    /// "never" is allowed too, as in wiremock's `expect(..=n)`.
    pub(crate) fn range(&self) -> (u64, Option<u64>) {
        let at_least = self
            .at_least
            .unwrap_or(if self.at_most.is_some() { 0 } else { 1 });
        (at_least, self.at_most)
    }

    pub(crate) fn is_met(&self) -> bool {
        let (at_least, at_most) = self.range();
        self.count >= at_least && at_most.is_none_or(|max| self.count <= max)
    }

    fn matches(&self, request: &RecordedRequest) -> bool {
        request.endpoint == self.endpoint
            && self
                .grant
                .as_ref()
                .is_none_or(|g| request.grant_type.as_ref() == Some(g))
            && self
                .client
                .as_ref()
                .is_none_or(|c| request.client_id.as_ref() == Some(c))
    }

    fn description(&self) -> String {
        let mut description = format!("{:?}", self.endpoint);
        let filters: Vec<String> = [("grant", &self.grant), ("client", &self.client)]
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label} {v}")))
            .collect();
        if !filters.is_empty() {
            let _ = write!(description, " with {}", filters.join(" and "));
        }
        description
    }

    fn wanted(&self) -> String {
        match self.range() {
            (min, Some(max)) if min == max => format!("exactly {min}"),
            (min, None) => format!("at least {min}"),
            (0, Some(max)) => format!("at most {max}"),
            (min, Some(max)) => format!("between {min} and {max}"),
        }
    }

    fn report(&self, out: &mut String) {
        let title = match &self.name {
            Some(name) => format!("{name} ({})", self.description()),
            None => self.description(),
        };
        let _ = writeln!(
            out,
            "- {title}: wanted {}, got {}",
            self.wanted(),
            self.count
        );
        let shown = self.recent.len() as u64;
        if self.count > shown {
            let _ = writeln!(out, "    ({} earlier not shown)", self.count - shown);
        }
        for request in &self.recent {
            let _ = writeln!(out, "    {}", journal_line(request));
        }
        let _ = writeln!(
            out,
            "    (registered at {}:{})",
            self.registered_at.file(),
            self.registered_at.line()
        );
    }
}

/// What the journal may print: never bodies, query strings or headers.
fn journal_line(request: &RecordedRequest) -> String {
    let mut line = format!("{} {} -> {}", request.method, request.path, request.status);
    let details: Vec<String> = [
        request.grant_type.as_ref().map(|g| format!("grant {g}")),
        request.client_id.as_ref().map(|c| format!("client {c}")),
        request.faulted.then(|| "faulted".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        let _ = write!(line, " ({})", details.join(", "));
    }
    line
}

pub(crate) fn report<'a>(failed: impl IntoIterator<Item = &'a Entry>) -> Option<String> {
    let failed: Vec<&Entry> = failed.into_iter().collect();
    if failed.is_empty() {
        return None;
    }
    let plural = if failed.len() == 1 { "" } else { "s" };
    let mut out = format!("mock-idp: {} expectation{plural} not met:\n", failed.len());
    for entry in failed {
        entry.report(&mut out);
    }
    Some(out)
}

/// Panics with the report, unless the thread is already panicking: a second panic would
/// abort the process and hide the test's own failure, so then the report only goes to
/// stderr (wiremock does the same).
#[track_caller]
pub(crate) fn fail(report: Option<String>) {
    let Some(report) = report else { return };
    if std::thread::panicking() {
        eprintln!("{report}");
    } else {
        panic!("{report}");
    }
}

impl Expectations {
    /// Read before a request is handled; see [`Expectations::observe`].
    pub(crate) fn watermark(&self) -> u64 {
        lock(&self.inner).next_id
    }

    /// Counts `request` for every expectation registered before it arrived.
    pub(crate) fn observe(&self, request: &RecordedRequest, watermark: u64) {
        let mut inner = lock(&self.inner);
        for entry in inner
            .entries
            .iter_mut()
            .filter(|e| e.id < watermark && e.matches(request))
        {
            entry.count += 1;
            if entry.recent.len() == KEPT_REQUESTS {
                entry.recent.pop_front();
            }
            entry.recent.push_back(request.clone());
        }
    }

    pub(crate) fn register(
        &self,
        endpoint: Endpoint,
        registered_at: &'static Location<'static>,
    ) -> u64 {
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push(Entry {
            id,
            endpoint,
            grant: None,
            client: None,
            name: None,
            at_least: None,
            at_most: None,
            scoped: false,
            registered_at,
            count: 0,
            recent: VecDeque::new(),
        });
        id
    }

    pub(crate) fn update(&self, id: u64, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = lock(&self.inner).entries.iter_mut().find(|e| e.id == id) {
            change(entry);
        }
    }

    pub(crate) fn remove(&self, id: u64) -> Option<Entry> {
        let mut inner = lock(&self.inner);
        let index = inner.entries.iter().position(|e| e.id == id)?;
        Some(inner.entries.remove(index))
    }

    /// Panics with a report of every unmet unscoped expectation (see [`fail`]). Entries stay
    /// registered: counts only grow, so the next check can still catch an `at_most`.
    #[track_caller]
    pub(crate) fn verify_unscoped(&self) {
        let report = {
            let inner = lock(&self.inner);
            report(inner.entries.iter().filter(|e| !e.scoped && !e.is_met()))
        };
        fail(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwks_request() -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/.well-known/jwks.json".into(),
            endpoint: Endpoint::Jwks,
            status: 200,
            at: 0,
            grant_type: None,
            client_id: None,
            faulted: false,
            error: None,
            tokens: Vec::new(),
            note: None,
            console: Vec::new(),
        }
    }

    #[test]
    fn a_request_in_flight_when_the_expectation_is_registered_does_not_count() {
        // Arrange: the request arrives, then the test registers an expectation.
        let expectations = Expectations::default();
        let arrived = expectations.watermark();
        let id = expectations.register(Endpoint::Jwks, Location::caller());

        // Act: the request completes.
        expectations.observe(&jwks_request(), arrived);
        expectations.observe(&jwks_request(), expectations.watermark());

        // Assert
        let entry = expectations.remove(id).unwrap();
        assert_eq!(entry.count, 1, "only the request that arrived afterwards");
    }
}
