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
#[supervisor(auto_shutdown = Never)]
struct App {
    #[child(restart = Temporary, significant)]
    db: Db,
}

fn main() {}
