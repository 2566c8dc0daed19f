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
#[supervisor(within_secs = 5, within_ms = 500)]
struct App {
    db: Db,
}

fn main() {}
