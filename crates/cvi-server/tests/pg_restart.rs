//! A PostgreSQL restart kills every pooled connection. `cvi serve` does not ping a
//! connection on each checkout (a round trip per query), only one that has been idle: the
//! first requests after a restart must still succeed. Its own test binary, so its own
//! cluster: restarting the shared one would break the other tests.

mod common;

use common::Backend;

#[test]
fn requests_after_a_postgres_restart_succeed() {
    let s = common::start(Backend::Postgres);
    let admin = s.token("t1", "admin@t1.example", "admin");
    // Several connections in the pool, all used once.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                assert_eq!(
                    s.call("GET", "/api/v1/providers", Some(&admin), None).0,
                    200
                )
            });
        }
    });
    common::restart_postgres();
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let (st, v) = s.call("GET", "/api/v1/providers", Some(&admin), None);
                assert_eq!(st, 200, "after the restart: {v}");
            });
        }
    });
}
