use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

#[keel::messages]
impl Counter {
    #[message]
    fn sub(&mut self) {}
}

fn main() {}
