//! The floors: no actor runtime, only what one is built from. A hand-written
//! tokio actor (a task owning its state, an mpsc channel in, a oneshot per
//! reply), a crossbeam-channel consumer thread, and a bare
//! `catch_unwind(panic!)` for `restart`.
use std::panic::catch_unwind;
use std::sync::Arc;
// A std atomic: see harness.rs.

use tokio::sync::{mpsc, oneshot};

use super::{Kind, Runtime};
use crate::harness::{self, Done, Report, Workload};

/// The floors, as the tables name them.
pub(super) const RUNTIMES: [Runtime; 3] = [
    Runtime {
        name: "tokio-mpsc",
        kind: Kind::Floor,
        version: "tokio 1.54.1",
    },
    Runtime {
        name: "crossbeam",
        kind: Kind::Floor,
        version: "crossbeam-channel 0.5.17",
    },
    Runtime {
        name: "catch_unwind",
        kind: Kind::Floor,
        version: "std",
    },
];

/// How each floor runs each workload, where a reader needs to know.
pub(super) fn notes(runtime: &str) -> &'static [(&'static str, &'static str)] {
    match runtime {
        "tokio-mpsc" => &[
            ("ask", "an mpsc request carrying a oneshot for the reply"),
            ("restart", "no supervision: a bare task"),
        ],
        "catch_unwind" => &[("restart", "one caught panic per cycle, no restart at all")],
        _ => &[],
    }
}

pub(super) fn run(runtime: &str, workload: Workload) -> Result<Report, String> {
    match runtime {
        "tokio-mpsc" => tokio_mpsc(workload),
        "crossbeam" => crossbeam(workload),
        "catch_unwind" => match workload {
            Workload::Restart => Ok(bare_catch_unwind()),
            _ => Err("only restart's reference".into()),
        },
        other => Err(format!("unknown runtime {other} (or not built)")),
    }
}

// ---- the hand-written tokio actor ----

enum Msg {
    Inc,
    Get(oneshot::Sender<u64>),
    IncGet(oneshot::Sender<u64>),
}

/// The actor: a task that owns `n` and handles one message at a time.
async fn counter(mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut n = 0u64;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Inc => n += 1,
            Msg::Get(reply) => {
                let _ = reply.send(n);
            }
            Msg::IncGet(reply) => {
                n += 1;
                let _ = reply.send(n);
            }
        }
    }
}

fn spawn_counter() -> mpsc::UnboundedSender<Msg> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(counter(rx));
    tx
}

async fn get(tx: &mpsc::UnboundedSender<Msg>) -> u64 {
    let (reply, answer) = oneshot::channel();
    tx.send(Msg::Get(reply)).expect("the counter runs");
    answer.await.expect("the counter answers")
}

/// `n` sequential asks.
async fn ask_n(tx: &mpsc::UnboundedSender<Msg>, n: u64) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        let (reply, answer) = oneshot::channel();
        tx.send(Msg::IncGet(reply)).expect("the counter runs");
        last = answer.await.expect("the counter answers");
    }
    last
}

fn tokio_mpsc(workload: Workload) -> Result<Report, String> {
    let rt = harness::tokio_runtime();
    let report = match workload {
        Workload::Tell => rt.block_on(async {
            let tx = spawn_counter();
            harness::timed_async(async {
                for _ in 0..harness::TELL_N {
                    tx.send(Msg::Inc).expect("the counter runs");
                }
                get(&tx).await
            })
            .await
        }),
        Workload::FanIn => rt.block_on(async {
            let tx = spawn_counter();
            harness::timed_async(async {
                let producers: Vec<_> = (0..2)
                    .map(|_| {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            for _ in 0..harness::FAN_IN_EACH {
                                tx.send(Msg::Inc).expect("the counter runs");
                            }
                        })
                    })
                    .collect();
                for p in producers {
                    p.await.expect("a producer finishes");
                }
                get(&tx).await
            })
            .await
        }),
        Workload::Ask => rt.block_on(async {
            let tx = spawn_counter();
            harness::timed_async(ask_n(&tx, harness::ASK_N)).await
        }),
        Workload::AskActor => rt.block_on(async {
            let tx = spawn_counter();
            harness::timed_async(async {
                // The caller is a task too, as a hand-written actor would be.
                tokio::spawn(async move { ask_n(&tx, harness::ASK_N).await })
                    .await
                    .expect("the caller finishes")
            })
            .await
        }),
        Workload::SpawnStop => rt.block_on(async {
            let done = Done::new(harness::SPAWN_STOP_N);
            harness::timed_async(async {
                for _ in 0..harness::SPAWN_STOP_N {
                    let (tx, mut rx) = mpsc::unbounded_channel::<Arc<Done>>();
                    tokio::spawn(async move {
                        if let Some(done) = rx.recv().await {
                            done.one();
                        }
                    });
                    tx.send(done.clone()).expect("a fresh task runs");
                }
                done.wait().await
            })
            .await
        }),
        Workload::Ring => rt.block_on(async {
            let done = Done::new(harness::RING_HOPS);
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..harness::RING_ACTORS)
                .map(|_| mpsc::unbounded_channel::<u64>())
                .unzip();
            for (i, mut rx) in rxs.into_iter().enumerate() {
                let next = txs[(i + 1) % txs.len()].clone();
                let done = done.clone();
                tokio::spawn(async move {
                    while let Some(hops_left) = rx.recv().await {
                        done.one();
                        if hops_left > 1 {
                            let _ = next.send(hops_left - 1);
                        }
                    }
                });
            }
            harness::timed_async(async {
                txs[0].send(harness::RING_HOPS).expect("the ring runs");
                done.wait().await
            })
            .await
        }),
        Workload::IdleMem => harness::idle_mem(|| {
            rt.block_on(async {
                let mut keep = Vec::with_capacity(harness::IDLE_N as usize);
                for _ in 0..harness::IDLE_N {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let (ready, started) = oneshot::channel::<()>();
                    tokio::spawn(async move {
                        let _ = ready.send(());
                        counter(rx).await;
                    });
                    started.await.expect("the task starts");
                    keep.push(tx);
                }
                let n = keep.len() as u64;
                (keep, n)
            })
        }),
        Workload::IdleCpu => {
            let _idle = rt.block_on(async { spawn_counter() });
            harness::idle_cpu_window()
        }
        Workload::Scale { pairs, bounded } => rt.block_on(scale_tokio(pairs, bounded)),
        Workload::Skynet => rt.block_on(harness::timed_async(async {
            skynet(0, 10u64.pow(harness::SKYNET_LEVELS)).await
        })),
        Workload::Restart => return Err("no supervision: a bare task".into()),
    };
    Ok(report)
}

async fn scale_tokio(pairs: u64, bounded: bool) -> Report {
    harness::timed_async(async {
        let producers: Vec<_> = (0..pairs)
            .map(|_| {
                tokio::spawn(async move {
                    if bounded {
                        let (tx, mut rx) = mpsc::channel::<()>(harness::SCALE_BOUND);
                        let consumer = tokio::spawn(async move {
                            let mut n = 0u64;
                            while rx.recv().await.is_some() {
                                n += 1;
                            }
                            n
                        });
                        for _ in 0..harness::SCALE_EACH {
                            tx.send(()).await.expect("the consumer runs");
                        }
                        drop(tx);
                        consumer.await.expect("the consumer finishes")
                    } else {
                        let tx = spawn_counter();
                        for _ in 0..harness::SCALE_EACH {
                            tx.send(Msg::Inc).expect("the counter runs");
                        }
                        get(&tx).await
                    }
                })
            })
            .collect();
        let mut sum = 0;
        for p in producers {
            sum += p.await.expect("a pair finishes");
        }
        sum
    })
    .await
}

/// A skynet node as a task: a leaf answers its number, a node its
/// children's sum.
fn skynet(num: u64, size: u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = u64> + Send>> {
    Box::pin(async move {
        if size == 1 {
            return num;
        }
        let step = size / 10;
        let children: Vec<_> = (0..10)
            .map(|i| {
                let (reply, answer) = oneshot::channel();
                tokio::spawn(async move {
                    let _ = reply.send(skynet(num + i * step, step).await);
                });
                answer
            })
            .collect();
        let mut total = 0;
        for c in children {
            total += c.await.expect("a child answers");
        }
        total
    })
}

// ---- the crossbeam consumer thread ----

enum CbMsg {
    Inc,
    Get(crossbeam_channel::Sender<u64>),
}

fn consumer(rx: crossbeam_channel::Receiver<CbMsg>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut n = 0u64;
        for msg in rx {
            match msg {
                CbMsg::Inc => n += 1,
                CbMsg::Get(reply) => {
                    let _ = reply.send(n);
                }
            }
        }
    })
}

fn cb_get(tx: &crossbeam_channel::Sender<CbMsg>) -> u64 {
    let (reply, answer) = crossbeam_channel::bounded(1);
    tx.send(CbMsg::Get(reply)).expect("the consumer runs");
    answer.recv().expect("the consumer answers")
}

fn crossbeam(workload: Workload) -> Result<Report, String> {
    let report = match workload {
        Workload::Tell => {
            let (tx, rx) = crossbeam_channel::unbounded();
            let thread = consumer(rx);
            let report = harness::timed(|| {
                for _ in 0..harness::TELL_N {
                    tx.send(CbMsg::Inc).expect("the consumer runs");
                }
                cb_get(&tx)
            });
            drop(tx);
            thread.join().expect("the consumer ends");
            report
        }
        Workload::FanIn => {
            let (tx, rx) = crossbeam_channel::unbounded();
            let thread = consumer(rx);
            let report = harness::timed(|| {
                std::thread::scope(|s| {
                    for _ in 0..2 {
                        let tx = tx.clone();
                        s.spawn(move || {
                            for _ in 0..harness::FAN_IN_EACH {
                                tx.send(CbMsg::Inc).expect("the consumer runs");
                            }
                        });
                    }
                });
                cb_get(&tx)
            });
            drop(tx);
            thread.join().expect("the consumer ends");
            report
        }
        Workload::Scale { pairs, bounded } => harness::timed(|| {
            std::thread::scope(|s| {
                let pairs: Vec<_> = (0..pairs)
                    .map(|_| {
                        s.spawn(move || {
                            let (tx, rx) = if bounded {
                                crossbeam_channel::bounded(harness::SCALE_BOUND)
                            } else {
                                crossbeam_channel::unbounded()
                            };
                            let thread = consumer(rx);
                            for _ in 0..harness::SCALE_EACH {
                                tx.send(CbMsg::Inc).expect("the consumer runs");
                            }
                            let n = cb_get(&tx);
                            drop(tx);
                            thread.join().expect("the consumer ends");
                            n
                        })
                    })
                    .collect();
                pairs
                    .into_iter()
                    .map(|p| p.join().expect("a pair finishes"))
                    .sum()
            })
        }),
        _ => return Err("a channel between threads: throughput workloads only".into()),
    };
    Ok(report)
}

// ---- restart's reference ----

/// What no restart can avoid: a caught panic, [`harness::RESTART_N`] times.
fn bare_catch_unwind() -> Report {
    harness::timed(|| {
        let mut caught = 0;
        for i in 0..harness::RESTART_N {
            let r = catch_unwind(|| {
                if std::hint::black_box(i) < harness::RESTART_N {
                    panic!("caught on purpose");
                }
            });
            caught += u64::from(r.is_err());
        }
        caught
    })
}
