use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    const START: u64 = 0;

    #[message]
    fn add(&mut self) {}
}

fn main() {}
