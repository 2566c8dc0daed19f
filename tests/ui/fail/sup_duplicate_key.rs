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
#[supervisor(strategy = OneForAll)]
#[supervisor(max_restarts = 3, strategy = RestForOne)]
struct App {
    db: Db,
}

fn main() {}
