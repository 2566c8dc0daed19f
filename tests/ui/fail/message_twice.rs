use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    #[message]
    fn add(&mut self) {}
}

fn main() {}
