//! keel side by side with the Rust actor runtimes a user would pick instead
//! (ractor, kameo, actix, xtra) and with bare floors (a hand-written tokio
//! mpsc actor, a crossbeam-channel consumer thread), each workload written
//! idiomatically for each.
//!
//! ```text
//! cargo run --release -p keel-compare               # the main table, 5 runs each
//! cargo run --release -p keel-compare -- --scale    # 1..16 pairs and skynet
//! cargo run --release -p keel-compare -- --help
//! ```
//!
//! Every (runtime, workload) runs in a process of its own (this binary,
//! `child RUNTIME WORKLOAD`), interleaved run by run; the driver reads the
//! child's measured wall time and its user and system CPU time.
// A binary: `pub` marks what the modules share, nothing is exported.
#![allow(unreachable_pub)]
// The workspace bans std's atomics so that keel's own code takes them from
// `keel::sync` (swapped under loom); this harness is not keel.
#![allow(clippy::disallowed_types)]

mod driver;
mod harness;
mod rt;

use harness::Workload;

#[global_allocator]
static ALLOC: harness::CountingAlloc = harness::CountingAlloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child(&args[1..]);
    } else {
        std::process::exit(driver::main(&args));
    }
}

/// One measurement, in a fresh process: prints `RESULT secs check bytes
/// idle` (a `-` where the figure does not apply) or `UNSUPPORTED why`.
fn child(args: &[String]) {
    let (Some(runtime), Some(workload)) = (args.first(), args.get(1)) else {
        eprintln!("usage: keel-compare child RUNTIME WORKLOAD");
        std::process::exit(2);
    };
    let Some(workload) = Workload::parse(workload) else {
        eprintln!("unknown workload {workload}");
        std::process::exit(2);
    };
    if workload == Workload::IdleMem {
        harness::start_counting();
    }
    if workload == Workload::Restart {
        // The same empty hook on every side: printing would dominate.
        std::panic::set_hook(Box::new(|_| {}));
    }
    match rt::run(runtime, workload) {
        Ok(r) => {
            let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
            println!(
                "RESULT {} {} {} {}",
                r.secs,
                r.check,
                opt(r.bytes_per_actor),
                opt(r.idle_cpu)
            );
        }
        Err(why) => println!("UNSUPPORTED {why}"),
    }
}
