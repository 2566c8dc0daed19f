//! Two actors rally a ball. The ball carries a `ReplyTo`, so whoever hits
//! the last shot answers `main`'s ask: a reply may travel through any number
//! of actors before it is given.
//!
//! Run it with `cargo run --release --example ping_pong`.
// ANCHOR: all
use std::convert::Infallible;
use std::time::Instant;

use keel::prelude::*;
use keel::{ActorConfig, MailboxConfig};

// ANCHOR: actor
/// A player counts its hits and sends the ball back until none are left.
struct Player {
    name: &'static str,
    hits: u64,
    loud: bool,
}

/// What a player handles.
enum Shot {
    /// Start a rally of `hits` shots against `to`.
    Serve {
        to: ActorRef<Player>,
        hits: u64,
        done: ReplyTo<u64>,
    },
    /// The ball, with the shots left and the way back to `main`.
    Ball {
        from: ActorRef<Player>,
        left: u64,
        done: ReplyTo<u64>,
    },
}

impl Player {
    fn new(name: &'static str, loud: bool) -> Player {
        Player {
            name,
            hits: 0,
            loud,
        }
    }
}

impl Actor for Player {
    type Msg = Shot;
    type Error = Infallible;

    /// Settings, what `#[actor(...)]` would write: a player holds one ball
    /// at a time, so a small bounded mailbox is plenty. Every other hook
    /// (`started`, `stopped`, `on_exit`, `on_down`) keeps its default here.
    fn config() -> ActorConfig {
        ActorConfig::new().mailbox(MailboxConfig::bounded(16))
    }

    async fn handle(&mut self, shot: Shot, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        let (to, left, done) = match shot {
            Shot::Serve { to, hits, done } => (to, hits, done),
            Shot::Ball { from, left, done } => {
                self.hits += 1;
                if self.loud {
                    println!("{:>4} hits, {left} left", self.name);
                }
                (from, left, done)
            }
        };
        if left == 0 {
            done.reply(self.hits);
            return Ok(());
        }
        let ball = Shot::Ball {
            from: ctx.myself().clone(),
            left: left - 1,
            done,
        };
        // The other player is gone only if the System is shutting down.
        let _ = to.tell(ball);
        Ok(())
    }
}
// ANCHOR_END: actor

#[tokio::main]
async fn main() -> Result<(), AskError> {
    // ANCHOR: main
    let system = System::new();
    let ping = system.spawn(Player::new("ping", true));
    let pong = system.spawn(Player::new("pong", true));

    // A short rally, out loud: the ask completes when the last shot lands.
    let last = ping
        .ask(|done| Shot::Serve {
            to: pong.clone(),
            hits: 5,
            done,
        })
        .await?;
    println!("the last hitter had {last} hits");
    // ANCHOR_END: main

    // A long one, quietly, to see the speed of one hop.
    let quiet_ping = system.spawn(Player::new("ping", false));
    let quiet_pong = system.spawn(Player::new("pong", false));
    let hops = 1_000_000;
    let start = Instant::now();
    quiet_ping
        .ask_timeout(std::time::Duration::from_secs(60))
        .ask(|done| Shot::Serve {
            to: quiet_pong.clone(),
            hits: hops,
            done,
        })
        .await?;
    let took = start.elapsed();
    println!(
        "{hops} hops in {took:.2?}: {:.0} ns per hop",
        took.as_nanos() as f64 / hops as f64
    );
    system.shutdown().await;
    Ok(())
}
// ANCHOR_END: all
