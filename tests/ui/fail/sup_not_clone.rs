use keel::prelude::*;
use keel::Supervisor;

#[derive(Actor, Clone)]
struct Db;

#[keel::messages]
impl Db {
    #[message]
    fn ping(&self) {}
}

#[derive(Actor)]
struct Cache;

#[keel::messages]
impl Cache {
    #[message]
    fn ping(&self) {}
}

#[derive(Supervisor)]
struct App {
    db: Db,
    cache: Cache,
}

fn main() {}
