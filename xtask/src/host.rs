//! What the machine and the database were doing while a fixed-rate row ran, printed beside
//! its tail: on a shared 2-core machine a p99 of 20 ms may be the host taking the CPU away
//! (steal), both cores busy, or PostgreSQL checkpointing or vacuuming — and each run must
//! say which, since one run cannot be repeated.

use std::process::Command;

/// CPU time of the whole machine, in clock ticks (`/proc/stat`'s first line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cpu {
    total: u64,
    idle: u64,
    steal: u64,
}

/// Reads the aggregate `cpu` line of `/proc/stat` (proc(5): user nice system idle iowait
/// irq softirq steal guest guest_nice; guest time is already counted in user).
fn parse_cpu(stat: &str) -> Option<Cpu> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    Some(Cpu {
        total: (0..8).map(at).sum(),
        idle: at(3) + at(4),
        steal: at(7),
    })
}

/// PostgreSQL's background work so far: checkpoints, and autovacuum and autoanalyze runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pg {
    checkpoints: u64,
    autovacuums: u64,
}

const PG_ACTIVITY: &str =
    "SELECT (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) || ' ' || \
     (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_all_tables)";

fn parse_pg(out: &str) -> Option<Pg> {
    let mut it = out.split_whitespace().map(str::parse::<u64>);
    Some(Pg {
        checkpoints: it.next()?.ok()?,
        autovacuums: it.next()?.ok()?,
    })
}

/// A reading before the row; [`Sample::since`] after it gives what happened during it.
pub struct Sample {
    cpu: Option<Cpu>,
    pg: Option<Pg>,
}

/// What happened during a row.
#[derive(Debug, Clone, PartialEq)]
pub struct During {
    /// Share of the machine's CPU time not idle (steal included), in percent.
    pub busy_pct: f64,
    /// Share taken by the hypervisor for other guests, in percent.
    pub steal_pct: f64,
    /// PostgreSQL checkpoints and autovacuum/autoanalyze runs that started or ended.
    pub pg: Option<(u64, u64)>,
}

impl Sample {
    /// Reads the machine, and the PostgreSQL server at `database` when it is one.
    pub fn take(database: &str) -> Sample {
        let cpu = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_cpu(&s));
        let pg = database
            .starts_with("postgres")
            .then(|| {
                let out = Command::new("psql")
                    .args(["-Atq", database, "-c", PG_ACTIVITY])
                    .output()
                    .ok()?;
                parse_pg(&String::from_utf8_lossy(&out.stdout))
            })
            .flatten();
        Sample { cpu, pg }
    }

    pub fn since(&self, before: &Sample) -> Option<During> {
        let (a, b) = (before.cpu?, self.cpu?);
        let total = b.total.checked_sub(a.total).filter(|&t| t > 0)? as f64;
        let idle = b.idle.saturating_sub(a.idle) as f64;
        let steal = b.steal.saturating_sub(a.steal) as f64;
        Some(During {
            busy_pct: 100.0 * (total - idle) / total,
            steal_pct: 100.0 * steal / total,
            pg: before.pg.zip(self.pg).map(|(a, b)| {
                (
                    b.checkpoints.saturating_sub(a.checkpoints),
                    b.autovacuums.saturating_sub(a.autovacuums),
                )
            }),
        })
    }
}

impl std::fmt::Display for During {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CPU {:.0} % busy, {:.1} % stolen",
            self.busy_pct, self.steal_pct
        )?;
        if let Some((checkpoints, vacuums)) = self.pg {
            write!(
                f,
                "; PostgreSQL: {checkpoints} checkpoint(s), {vacuums} autovacuum/analyze run(s)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_aggregate_cpu_line() {
        // /proc/stat's first lines on the CI machine kind (Linux 6.x, 2 vCPUs).
        let stat = "cpu  8919634 6448 1009956 3722489 46758 0 83805 62409 0 0\n\
                    cpu0 4459817 3224 504978 1861244 23379 0 41902 31204 0 0\n";
        let c = parse_cpu(stat).unwrap();
        assert_eq!(c.steal, 62409);
        assert_eq!(c.idle, 3722489 + 46758);
        assert_eq!(
            c.total,
            8919634 + 6448 + 1009956 + 3722489 + 46758 + 83805 + 62409
        );
        assert_eq!(parse_cpu("intr 1 2 3\n"), None);
    }

    #[test]
    fn says_what_happened_between_two_readings() {
        let at = |total, idle, steal, pg| Sample {
            cpu: Some(Cpu { total, idle, steal }),
            pg,
        };
        let before = at(
            1000,
            500,
            10,
            Some(Pg {
                checkpoints: 3,
                autovacuums: 7,
            }),
        );
        let after = at(
            2000,
            700,
            60,
            Some(Pg {
                checkpoints: 4,
                autovacuums: 9,
            }),
        );
        let d = after.since(&before).unwrap();
        assert_eq!(d.busy_pct, 80.0);
        assert_eq!(d.steal_pct, 5.0);
        assert_eq!(d.pg, Some((1, 2)));
        assert_eq!(
            d.to_string(),
            "CPU 80 % busy, 5.0 % stolen; PostgreSQL: 1 checkpoint(s), 2 autovacuum/analyze run(s)"
        );
        assert_eq!(
            at(1000, 0, 0, None).since(&at(1000, 0, 0, None)),
            None,
            "no time passed"
        );
        assert_eq!(
            parse_pg("12 40\n"),
            Some(Pg {
                checkpoints: 12,
                autovacuums: 40
            })
        );
        assert_eq!(parse_pg("psql: error"), None);
    }
}
