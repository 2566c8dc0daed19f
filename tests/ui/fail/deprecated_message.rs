#![deny(deprecated)]
use keel::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[deprecated = "use `add`"]
    #[message]
    fn bump(&mut self) {
        self.n += 1;
    }
}

fn start(system: &System) {
    // The deprecation reaches the callers of the ref method.
    let counter = system.spawn(Counter::default());
    let _ = counter.bump();
}

fn main() {
    start(&System::new());
}
