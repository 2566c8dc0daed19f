use keel::prelude::*;

#[derive(Actor)]
#[actor(name = "")]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
