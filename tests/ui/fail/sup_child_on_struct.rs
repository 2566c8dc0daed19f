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
#[child(restart = Transient)]
struct App {
    db: Db,
}

fn main() {}
