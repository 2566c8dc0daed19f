use keel::prelude::*;

#[derive(Actor)]
#[actor(bounded = 0)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
