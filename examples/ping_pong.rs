//! Two actors bounce a ball; the referee asks how many hits there were.
use std::convert::Infallible;

use keel::prelude::*;

struct Player {
    name: &'static str,
    hits: u64,
}

enum PlayerMsg {
    Serve { to: ActorRef<Player>, rounds: u64 },
    Ball { from: ActorRef<Player>, left: u64 },
    Hits(ReplyTo<u64>),
}

impl Actor for Player {
    type Msg = PlayerMsg;
    type Error = Infallible;

    async fn handle(&mut self, msg: PlayerMsg, ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            PlayerMsg::Serve { to, rounds } => {
                let _ = to.tell(PlayerMsg::Ball {
                    from: ctx.myself().clone(),
                    left: rounds,
                });
            }
            PlayerMsg::Ball { from, left } => {
                self.hits += 1;
                if left > 0 {
                    let _ = from.tell(PlayerMsg::Ball {
                        from: ctx.myself().clone(),
                        left: left - 1,
                    });
                } else {
                    println!("{} hits the last ball", self.name);
                }
            }
            PlayerMsg::Hits(reply) => reply.reply(self.hits),
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), AskError> {
    let system = System::new();
    let ping = system.spawn(Player {
        name: "ping",
        hits: 0,
    });
    let pong = system.spawn(Player {
        name: "pong",
        hits: 0,
    });
    let rounds = 1_000_000;
    let start = std::time::Instant::now();
    ping.tell(PlayerMsg::Serve {
        to: pong.clone(),
        rounds,
    })
    .ok();
    loop {
        let a = ping.ask(PlayerMsg::Hits).await?;
        let b = pong.ask(PlayerMsg::Hits).await?;
        if a + b == rounds + 1 {
            println!("ping {a} + pong {b} hits in {:?}", start.elapsed());
            break;
        }
        tokio::task::yield_now().await;
    }
    system.shutdown().await;
    Ok(())
}
