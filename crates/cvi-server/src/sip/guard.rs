//! Failed lookups per tenant key: a budget an operator can alert on. Video IDs carry a
//! check digit and ten digits, so guessing one takes many tries; a tenant key that draws
//! more failed INVITEs in a minute than [`BUDGET`] is logged (a warning naming the tenant)
//! and counted in `cvi_sip_guessing_alerts_total`. Nobody is refused for it: the callers
//! are already limited per network, and refusing by key would lock out a tenant's rooms
//! everywhere because of one network.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failed lookups per tenant key per minute before the warning.
pub const BUDGET: u32 = 120;
const WINDOW: Duration = Duration::from_secs(60);
/// Tenants tracked at once (the map is cleared past it: only a warning is lost).
const TRACKED: usize = 100_000;

#[derive(Default)]
pub struct Guard {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Guard {
    /// Counts one failed lookup for `tenant`; `true` the one time per window it crosses
    /// the budget.
    pub fn failed(&self, tenant: &str) -> bool {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= TRACKED && !windows.contains_key(tenant) {
            windows.retain(|_, (at, _)| now.duration_since(*at) < WINDOW);
            if windows.len() >= TRACKED {
                windows.clear();
            }
        }
        let (at, n) = windows.entry(tenant.to_string()).or_insert((now, 0));
        if now.duration_since(*at) >= WINDOW {
            (*at, *n) = (now, 0);
        }
        *n += 1;
        *n == BUDGET + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_past_its_budget_is_told_once_per_window() {
        let g = Guard::default();
        let crossed: Vec<bool> = (0..BUDGET + 50).map(|_| g.failed("t")).collect();
        assert_eq!(crossed.iter().filter(|c| **c).count(), 1);
        assert!(
            crossed[BUDGET as usize],
            "at the first lookup past the budget"
        );
        assert!(!g.failed("u"), "another tenant has its own budget");
        g.windows.lock().unwrap().get_mut("t").unwrap().0 -= WINDOW;
        assert!(!g.failed("t"), "a new window starts from zero");
    }
}
