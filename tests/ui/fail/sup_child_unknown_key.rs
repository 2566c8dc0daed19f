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
    #[child(restart = Transient, kind = Worker)]
    db: Db,
}

fn main() {}
