//! The Plan step: how many concurrent video calls (gateway ports, licences) and gateway VMs
//! a tenant needs, from its meeting traffic (SPEC §6).
//!
//! Peak-hour traffic `A = meetings_per_day × peak_hour_share × avg_minutes / 60` Erlangs;
//! concurrent calls = the least `N` with Erlang-B(N, A) ≤ the blocking the tenant accepts;
//! ports = N; VMs = ⌈N / ports_per_vm⌉.

use serde::{Deserialize, Serialize};

/// Gateway ports one VM serves when the tenant does not say (a conservative figure for a
/// small transcoding node; set yours with `--ports-per-vm`).
pub const DEFAULT_PORTS_PER_VM: u32 = 10;
/// The blocking probability accepted when the tenant does not say (1 in 100 calls).
pub const DEFAULT_BLOCKING: f64 = 0.01;
/// More concurrent calls than this is not a plan for one tenant but an input mistake.
const MAX_CALLS: u32 = 1_000_000;

/// What the planner needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    /// Meetings with a video room system per day.
    pub meetings_per_day: f64,
    /// Their average length, in minutes.
    pub avg_minutes: f64,
    /// The share of a day's meetings in its busiest hour (0 to 1, e.g. 0.15).
    pub peak_hour_share: f64,
    /// The share of calls that may find every port busy (between 0 and 1, e.g. 0.01).
    pub blocking: f64,
    /// Gateway ports per VM.
    pub ports_per_vm: u32,
}

/// The planner's answer (`cvi plan --json`, `GET /api/v1/plan`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// Peak-hour traffic.
    pub erlangs: f64,
    /// Calls to carry at once so that at most `blocking` of them find no free port.
    pub concurrent_calls: u32,
    /// Gateway ports (or concurrent-call licences) to buy: one per concurrent call.
    pub ports: u32,
    /// Gateway VMs at `ports_per_vm` each.
    pub gateway_vms: u32,
}

/// Why the planner cannot answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("meetings_per_day must be a number of 0 or more; got {0}")]
    Meetings(f64),
    #[error("avg_minutes must be more than 0 and at most 1440 (a day); got {0}")]
    Minutes(f64),
    #[error("peak_hour_share is a share of the day's meetings: more than 0 and at most 1 (e.g. 0.15); got {0}")]
    PeakShare(f64),
    #[error("blocking is a probability between 0 and 1, both excluded (e.g. 0.01); got {0}")]
    Blocking(f64),
    #[error("ports_per_vm must be 1 or more")]
    PortsPerVm,
    #[error("{0:.0} Erlangs needs more than {MAX_CALLS} concurrent calls; check the inputs")]
    TooLarge(f64),
}

/// Erlang B: the probability that a call finds all `n` ports busy under `a` Erlangs.
/// Computed by the stable recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), never
/// with factorials or powers (which overflow long before real sizes).
///
/// ```
/// // Published tables: 10 ports carry 4.46 Erlangs at 1% blocking.
/// let b = cvi_core::plan::erlang_b(10, 4.46);
/// assert!((b - 0.01).abs() < 0.0005);
/// ```
#[must_use]
pub fn erlang_b(n: u32, a: f64) -> f64 {
    (1..=n).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Plans ports and VMs for `input`.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    let PlanInput {
        meetings_per_day,
        avg_minutes,
        peak_hour_share,
        blocking,
        ports_per_vm,
    } = *input;
    if !(meetings_per_day.is_finite() && meetings_per_day >= 0.0) {
        return Err(PlanError::Meetings(meetings_per_day));
    }
    if !(avg_minutes.is_finite() && avg_minutes > 0.0 && avg_minutes <= 1440.0) {
        return Err(PlanError::Minutes(avg_minutes));
    }
    if !(peak_hour_share.is_finite() && peak_hour_share > 0.0 && peak_hour_share <= 1.0) {
        return Err(PlanError::PeakShare(peak_hour_share));
    }
    if !(blocking.is_finite() && blocking > 0.0 && blocking < 1.0) {
        return Err(PlanError::Blocking(blocking));
    }
    if ports_per_vm == 0 {
        return Err(PlanError::PortsPerVm);
    }
    let erlangs = meetings_per_day * peak_hour_share * avg_minutes / 60.0;
    // No traffic, no calls: nothing to buy (Erlang B of 0 ports is 1 even then).
    let mut b = if erlangs > 0.0 { 1.0 } else { 0.0 };
    // Walk the recursion until the blocking is low enough: O(N), and N is the answer.
    let mut n = 0;
    while b > blocking {
        n += 1;
        if n > MAX_CALLS {
            return Err(PlanError::TooLarge(erlangs));
        }
        b = erlangs * b / (f64::from(n) + erlangs * b);
    }
    Ok(Plan {
        erlangs,
        concurrent_calls: n,
        ports: n,
        gateway_vms: n.div_ceil(ports_per_vm),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Traffic (Erlangs) that N ports carry at 1% blocking, from published Erlang B tables
    /// (e.g. the ITU-T "Teletraffic Engineering Handbook", table of the Erlang B formula;
    /// the same figures appear in every Erlang B table).
    const TABLE_1_PERCENT: [(u32, f64); 6] = [
        (1, 0.0101),
        (5, 1.361),
        (10, 4.461),
        (20, 12.031),
        (50, 37.901),
        (100, 84.064),
    ];

    #[test]
    fn matches_published_erlang_b_values() {
        for (n, a) in TABLE_1_PERCENT {
            let b = erlang_b(n, a);
            assert!((b - 0.01).abs() < 0.0002, "B({n}, {a}) = {b}");
        }
        // Large N: the recursion stays finite where factorials would overflow.
        let b = erlang_b(5_000, 4_900.0);
        assert!(b.is_finite() && b > 0.0 && b < 0.05, "{b}");
    }

    fn input(meetings: f64, minutes: f64, share: f64) -> PlanInput {
        PlanInput {
            meetings_per_day: meetings,
            avg_minutes: minutes,
            peak_hour_share: share,
            blocking: DEFAULT_BLOCKING,
            ports_per_vm: DEFAULT_PORTS_PER_VM,
        }
    }

    #[test]
    fn plans_the_least_n_that_meets_the_blocking() {
        // 4.461 Erlangs at 1%: 10 ports, one VM of 10.
        let p = plan(&input(44.61, 60.0, 0.1)).unwrap();
        assert!((p.erlangs - 4.461).abs() < 1e-9);
        assert_eq!((p.concurrent_calls, p.ports, p.gateway_vms), (10, 10, 1));
        // 84.064 Erlangs: 100 ports, 10 VMs.
        let p = plan(&input(840.64, 60.0, 0.1)).unwrap();
        assert_eq!((p.concurrent_calls, p.gateway_vms), (100, 10));
        // No traffic: nothing to buy.
        let p = plan(&input(0.0, 30.0, 0.2)).unwrap();
        assert_eq!((p.concurrent_calls, p.gateway_vms), (0, 0));
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        assert_eq!(
            plan(&input(-1.0, 30.0, 0.1)),
            Err(PlanError::Meetings(-1.0))
        );
        assert_eq!(plan(&input(10.0, 0.0, 0.1)), Err(PlanError::Minutes(0.0)));
        assert_eq!(
            plan(&input(10.0, 30.0, 1.5)),
            Err(PlanError::PeakShare(1.5))
        );
        let mut i = input(10.0, 30.0, 0.1);
        i.blocking = 1.0;
        assert_eq!(plan(&i), Err(PlanError::Blocking(1.0)));
        i.blocking = 0.01;
        i.ports_per_vm = 0;
        assert_eq!(plan(&i), Err(PlanError::PortsPerVm));
        assert!(matches!(
            plan(&input(1e12, 1440.0, 1.0)),
            Err(PlanError::TooLarge(_))
        ));
    }

    proptest! {
        #[test]
        fn the_answer_is_the_least_n(meetings in 0.0f64..5_000.0, minutes in 1.0f64..240.0, share in 0.01f64..1.0, blocking in 0.001f64..0.5) {
            let mut i = input(meetings, minutes, share);
            i.blocking = blocking;
            let p = plan(&i).unwrap();
            prop_assume!(p.erlangs > 0.0);
            prop_assert!(erlang_b(p.concurrent_calls, p.erlangs) <= blocking);
            if p.concurrent_calls > 0 {
                prop_assert!(erlang_b(p.concurrent_calls - 1, p.erlangs) > blocking);
            }
        }
    }
}
