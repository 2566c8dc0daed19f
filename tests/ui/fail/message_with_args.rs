use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message(foo)]
    fn add(&mut self) {}
}

fn main() {}
