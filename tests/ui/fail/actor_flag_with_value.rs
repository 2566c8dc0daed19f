use keel::prelude::*;

#[derive(Actor)]
#[actor(blocking = true)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
