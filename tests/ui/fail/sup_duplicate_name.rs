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
struct App {
    #[child(name = "store")]
    db: Db,
    #[child(name = "store")]
    replica: Db,
}

fn main() {}
