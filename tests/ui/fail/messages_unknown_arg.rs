use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages(bogus)]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
