use keel::prelude::*;

#[derive(Actor)]
#[actor(bounded = 8, unbounded)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
