use keel::prelude::*;

struct Counter;

impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
