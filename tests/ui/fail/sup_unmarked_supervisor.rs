use keel::prelude::*;
use keel::DynamicSupervisor;

#[derive(Supervisor)]
struct App {
    sessions: DynamicSupervisor,
    nested: keel::Supervisor,
}

fn main() {}
