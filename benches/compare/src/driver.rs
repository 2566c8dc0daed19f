//! The driver: runs every (runtime, workload) as a child process of its
//! own, interleaved run by run, and prints the tables and a CSV.
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{self, Workload};
use crate::rt::{self, Kind, Runtime};

const HELP: &str = "\
keel-compare: keel beside ractor, kameo, actix, xtra and bare floors

usage: keel-compare [--reps N] [--workloads a,b,..] [--runtimes a,b,..]
                    [--scale] [--csv PATH] [--timeout SECS]

  --reps N          runs of each (runtime, workload), interleaved (default 5)
  --workloads LIST  tell, fan_in, ask, ask_actor, spawn_stop, ring, restart,
                    idle_mem, idle_cpu, skynet, scale_N, scale_N_bounded
                    (default: the main table, the first nine)
  --runtimes LIST   keel, ractor, kameo, actix, xtra, tokio-mpsc, crossbeam,
                    catch_unwind (default: every one built)
  --scale           the scaling run: scale_1..scale_16, bounded and not, and
                    skynet (instead of the main table)
  --csv PATH        where to write every run (default compare.csv)
  --timeout SECS    a run taking longer is killed and marked (default 300)
";

struct Options {
    reps: usize,
    workloads: Vec<Workload>,
    runtimes: Vec<Runtime>,
    csv: String,
    timeout: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        reps: 5,
        workloads: Workload::MAIN.to_vec(),
        runtimes: rt::all(),
        csv: "compare.csv".into(),
        timeout: Duration::from_secs(300),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Err(String::new()),
            "--reps" => o.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--csv" => o.csv = value()?,
            "--timeout" => {
                let secs: u64 = value()?.parse().map_err(|e| format!("--timeout: {e}"))?;
                o.timeout = Duration::from_secs(secs);
            }
            "--scale" => {
                o.workloads = [1, 2, 4, 8, 16]
                    .into_iter()
                    .flat_map(|pairs| {
                        [false, true].map(|bounded| Workload::Scale { pairs, bounded })
                    })
                    .chain([Workload::Skynet])
                    .collect();
            }
            "--workloads" => {
                o.workloads = value()?
                    .split(',')
                    .map(|w| Workload::parse(w).ok_or(format!("unknown workload {w}")))
                    .collect::<Result<_, _>>()?;
            }
            "--runtimes" => {
                let all = rt::all();
                o.runtimes = value()?
                    .split(',')
                    .map(|r| {
                        all.iter()
                            .find(|x| x.name == r)
                            .copied()
                            .ok_or(format!("unknown or not built: {r}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.reps == 0 {
        return Err("--reps must be at least 1".into());
    }
    Ok(o)
}

/// One child's outcome.
#[derive(Debug, Clone)]
enum Outcome {
    Ran {
        report: harness::Report,
        user: f64,
        sys: f64,
        correct: bool,
    },
    Unsupported(String),
    Failed(String),
}

pub(crate) fn main(args: &[String]) -> i32 {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            print!("{HELP}");
            return 0;
        }
        Err(e) => {
            eprintln!("{e}\n\n{HELP}");
            return 2;
        }
    };
    let exe = std::env::current_exe().expect("the path of this binary");
    let mut csv = match std::fs::File::create(&o.csv) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot write {}: {e}", o.csv);
            return 1;
        }
    };
    let _ = writeln!(
        csv,
        "rep,workload,runtime,version,secs,check,correct,user_s,sys_s,bytes_per_actor,idle_cpu,note"
    );
    println!(
        "keel-compare: {} cores, {} runs of each, every run a process of its own",
        harness::cores(),
        o.reps
    );
    for r in &o.runtimes {
        println!("  {:<13} {}", r.name, r.version);
    }
    let mut results: BTreeMap<(usize, usize), Vec<Outcome>> = BTreeMap::new();
    let started = Instant::now();
    for rep in 0..o.reps {
        for (wi, w) in o.workloads.iter().enumerate() {
            // Rotate the order each run, so no runtime always goes first.
            let n = o.runtimes.len();
            for k in 0..n {
                let ri = (k + rep) % n;
                let r = &o.runtimes[ri];
                let outcome = run_child(&exe, r.name, *w, o.timeout);
                if let Outcome::Failed(why) = &outcome {
                    eprintln!("run {rep}: {} on {} failed: {why}", w.name(), r.name);
                }
                write_csv(&mut csv, rep, w, r, &outcome);
                results.entry((wi, ri)).or_default().push(outcome);
            }
        }
        eprintln!(
            "run {} of {} done ({:.0} s)",
            rep + 1,
            o.reps,
            started.elapsed().as_secs_f64()
        );
    }
    for (wi, w) in o.workloads.iter().enumerate() {
        print_table(w, &o.runtimes, |ri| {
            results.get(&(wi, ri)).cloned().unwrap_or_default()
        });
    }
    println!("\nevery run: {}", o.csv);
    0
}

fn run_child(exe: &std::path::Path, runtime: &str, w: Workload, timeout: Duration) -> Outcome {
    let before = harness::children_cpu();
    let mut child = match Command::new(exe)
        .args(["child", runtime, &w.name()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("spawn: {e}")),
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::Failed(format!("over {} s, killed", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Outcome::Failed(format!("wait: {e}")),
        }
    };
    let after = harness::children_cpu();
    let output = child.wait_with_output().expect("the child's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("").to_string();
        return Outcome::Failed(format!("{status}: {last}"));
    }
    let line = stdout.lines().last().unwrap_or("");
    if let Some(why) = line.strip_prefix("UNSUPPORTED ") {
        return Outcome::Unsupported(why.to_string());
    }
    let Some(fields) = line.strip_prefix("RESULT ") else {
        return Outcome::Failed(format!("no result in {line:?}"));
    };
    let f: Vec<&str> = fields.split(' ').collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    let report = harness::Report {
        secs: num(0).unwrap_or(f64::NAN),
        check: f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0),
        bytes_per_actor: num(2),
        idle_cpu: num(3),
    };
    let correct = w.expected().is_none_or(|e| e == report.check);
    Outcome::Ran {
        report,
        user: (after.0 - before.0).as_secs_f64(),
        sys: (after.1 - before.1).as_secs_f64(),
        correct,
    }
}

fn write_csv(csv: &mut std::fs::File, rep: usize, w: &Workload, r: &Runtime, o: &Outcome) {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let line = match o {
        Outcome::Ran {
            report,
            user,
            sys,
            correct,
        } => format!(
            "{rep},{},{},{},{:.6},{},{},{user:.3},{sys:.3},{},{},",
            w.name(),
            r.name,
            r.version,
            report.secs,
            report.check,
            correct,
            opt(report.bytes_per_actor),
            opt(report.idle_cpu)
        ),
        Outcome::Unsupported(why) => format!(
            "{rep},{},{},{},,,,,,,,unsupported: {}",
            w.name(),
            r.name,
            r.version,
            why.replace(',', ";")
        ),
        Outcome::Failed(why) => format!(
            "{rep},{},{},{},,,,,,,,failed: {}",
            w.name(),
            r.name,
            r.version,
            why.replace(',', ";")
        ),
    };
    let _ = writeln!(csv, "{line}");
}

/// The median, min and max of `v` (not empty).
fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// A figure in the workload's unit: seconds, or bytes, or % of a core.
fn figure(w: &Workload, r: &harness::Report) -> f64 {
    match w {
        Workload::IdleMem => r.bytes_per_actor.unwrap_or(f64::NAN),
        Workload::IdleCpu => r.idle_cpu.unwrap_or(f64::NAN) * 100.0,
        _ => r.secs,
    }
}

fn show(w: &Workload, v: f64) -> String {
    match w {
        Workload::IdleMem => format!("{v:.0} B"),
        Workload::IdleCpu => format!("{v:.3} %"),
        _ => {
            let per_op = w.ops().map_or(String::new(), |ops| {
                let ns = v * 1e9 / ops as f64;
                if ns >= 1000.0 {
                    format!(" {:.2} µs/op", ns / 1000.0)
                } else {
                    format!(" {ns:.0} ns/op")
                }
            });
            format!("{v:.3} s{per_op}")
        }
    }
}

fn print_table(w: &Workload, runtimes: &[Runtime], outcomes: impl Fn(usize) -> Vec<Outcome>) {
    let unit = match w {
        Workload::IdleMem => "bytes per idle actor",
        Workload::IdleCpu => "CPU of an idle runtime, % of one core",
        _ => "wall time of the measured part",
    };
    println!("\n{} ({unit}; lower is better)", w.name());
    println!(
        "  {:<13} {:>26}  {:>22}  {:>16}",
        "runtime", "median", "min - max", "cpu user+sys"
    );
    let mut medians: Vec<(Runtime, f64)> = Vec::new();
    for (ri, r) in runtimes.iter().enumerate() {
        let all = outcomes(ri);
        let ran: Vec<_> = all
            .iter()
            .filter_map(|o| match o {
                Outcome::Ran {
                    report,
                    user,
                    sys,
                    correct,
                } => Some((report, user + sys, *correct)),
                _ => None,
            })
            .collect();
        if ran.is_empty() {
            let why = all.iter().find_map(|o| match o {
                Outcome::Unsupported(w) => Some(format!("n/a: {w}")),
                Outcome::Failed(w) => Some(format!("FAILED: {w}")),
                _ => None,
            });
            if let Some(why) = why {
                if !why.starts_with("n/a") || r.kind != Kind::Floor {
                    println!("  {:<13} {why}", r.name);
                }
            }
            continue;
        }
        let wrong = ran.iter().filter(|(_, _, ok)| !ok).count();
        let (med, min, max) = spread(ran.iter().map(|(rep, _, _)| figure(w, rep)).collect());
        let (cpu, _, _) = spread(ran.iter().map(|(_, c, _)| *c).collect());
        let mark = if wrong > 0 {
            format!("  WRONG RESULT in {wrong} runs")
        } else if ran.len() < all.len() {
            format!("  ({} runs failed)", all.len() - ran.len())
        } else {
            String::new()
        };
        println!(
            "  {:<13} {:>26}  {:>22}  {:>14.2} s{mark}",
            r.name,
            show(w, med),
            format!("{} - {}", short(w, min), short(w, max)),
            cpu
        );
        if wrong == 0 {
            medians.push((*r, med));
        }
    }
    for r in runtimes {
        for (_, note) in rt::notes(r.name).iter().filter(|(n, _)| *n == w.name()) {
            println!("  note ({}): {note}", r.name);
        }
    }
    let keel = medians
        .iter()
        .find(|(r, _)| r.kind == Kind::Keel)
        .map(|m| m.1);
    let best = |kind: Kind| {
        medians
            .iter()
            .filter(|(r, _)| r.kind == kind)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    if let Some(keel) = keel {
        let mut line = String::from("  keel's ratio:");
        if let Some((peer, v)) = best(Kind::Peer) {
            line += &ratio(w, "best peer", peer.name, keel, *v);
        }
        if let Some((floor, v)) = best(Kind::Floor) {
            line += &ratio(w, "best floor", floor.name, keel, *v);
        }
        println!("{line}");
    }
}

fn short(w: &Workload, v: f64) -> String {
    match w {
        Workload::IdleMem => format!("{v:.0}"),
        Workload::IdleCpu => format!("{v:.3}"),
        _ => format!("{v:.3}"),
    }
}

/// For times, how many times faster keel is (other / keel); for bytes and
/// CPU, keel's share of the other's (keel / other).
fn ratio(w: &Workload, label: &str, name: &str, keel: f64, other: f64) -> String {
    match w {
        Workload::IdleMem | Workload::IdleCpu => {
            format!("  {:.2}x of the {label} ({name})", keel / other)
        }
        _ => format!("  {:.2}x the speed of the {label} ({name})", other / keel),
    }
}
