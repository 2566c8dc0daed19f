//! Restart latency: how long from a supervised child's crash until its
//! next incarnation answers an ask, beside the cost of the one thing no
//! restart can avoid, a caught panic (`catch_unwind` around a `panic!`).
//!
//! # What is measured
//!
//! - `restart`: a one-for-one supervisor (no restart limit in practice)
//!   with one [`Crashy`] child. Each cycle tells it `Crash` (its handler
//!   panics) and then asks it `Ping`: the ask is queued behind the crash
//!   on the child's address, which survives the restart, so its answer
//!   comes from the new incarnation. A cycle is: the panic caught, the
//!   exit announced, the supervisor's turn (decision, respawn, `started`),
//!   the ask handled and answered. [`CYCLES`] cycles per run, awaited
//!   sequentially from a tokio task.
//! - `catch_unwind`: [`CYCLES`] times `catch_unwind(|| panic!(..))` on the
//!   bench thread, in the same process, with the same (silent) panic hook.
//!
//! Each is run [`RUNS`] times, interleaved; the medians per cycle and their
//! ratio are printed.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench restart
//! ```
use std::convert::Infallible;
use std::panic::catch_unwind;
use std::time::{Duration, Instant};

use keel::{Actor, ChildSpec, Context, ReplyTo, Supervisor, System};

/// Crash-and-ask cycles (and caught panics) per run.
const CYCLES: u32 = 10_000;
/// Runs of each measurement.
const RUNS: usize = 7;

/// A child that panics on `Crash` and answers `Ping`.
struct Crashy;

enum CrashyMsg {
    Crash,
    Ping(ReplyTo<u32>),
}

impl Actor for Crashy {
    type Msg = CrashyMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: CrashyMsg, _: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            CrashyMsg::Crash => panic!("crash on purpose"),
            CrashyMsg::Ping(r) => r.reply(1),
        }
        Ok(())
    }
}

fn main() {
    // Silent for both measurements: the default hook's printing would
    // dominate both.
    std::panic::set_hook(Box::new(|_| {}));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let system = System::builder()
        .workers(2)
        .build()
        .expect("a System with two workers");
    let sup = Supervisor::builder()
        .max_restarts(u32::MAX)
        .within(Duration::from_millis(1))
        .child(ChildSpec::worker("crashy", || Crashy))
        .build()
        .expect("a valid supervisor");
    let crashy = rt.block_on(async {
        let sup = system.supervise(sup).await.expect("the tree starts");
        let children = sup.which_children().await.expect("the supervisor runs");
        match &children[0].state {
            keel::ChildState::Running(r) => r.downcast::<Crashy>().expect("a Crashy"),
            other => panic!("the child is not running: {other:?}"),
        }
    });

    let mut restart = Vec::new();
    let mut unwind = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        rt.block_on(async {
            for _ in 0..CYCLES {
                let _ = crashy.tell(CrashyMsg::Crash);
                let one = crashy
                    .ask(CrashyMsg::Ping)
                    .await
                    .expect("the restarted child answers");
                assert_eq!(one, 1);
            }
        });
        restart.push(start.elapsed() / CYCLES);

        let start = Instant::now();
        for i in 0..CYCLES {
            let caught = catch_unwind(|| {
                if std::hint::black_box(i) < CYCLES {
                    panic!("caught on purpose");
                }
            });
            assert!(caught.is_err());
        }
        unwind.push(start.elapsed() / CYCLES);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (r, u) = (median(&mut restart), median(&mut unwind));
    println!("restart (crash -> restarted child answers an ask), per cycle: median {r:?} of {RUNS} runs of {CYCLES} (min {:?}, max {:?})", restart[0], restart[RUNS - 1]);
    println!(
        "catch_unwind(panic!) per call: median {u:?} (min {:?}, max {:?})",
        unwind[0],
        unwind[RUNS - 1]
    );
    println!(
        "restart / catch_unwind: {:.1}x",
        r.as_secs_f64() / u.as_secs_f64()
    );
    rt.block_on(system.shutdown());
}
