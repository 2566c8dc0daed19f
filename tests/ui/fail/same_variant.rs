use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn a_b(&mut self) {}

    #[message]
    fn a__b(&mut self) {}
}

fn main() {}
