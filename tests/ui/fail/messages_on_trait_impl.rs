use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Default for Counter {
    fn default() -> Self {
        Counter
    }
}

fn main() {}
