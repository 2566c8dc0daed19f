use keel::prelude::*;
use keel::Supervisor;

#[derive(Actor, Clone)]
struct Db;

#[keel::messages]
impl Db {
    #[message]
    fn ping(&self) {}
}

#[derive(Supervisor)]
#[supervisor(strategy = OneForEach, within_secs = 0)]
struct App {
    #[child(restart = Transient, significant)]
    db: Db,
    #[child(shutdown = -1, id = "db")]
    replica: Db,
}

fn main() {}
