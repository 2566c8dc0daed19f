use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn stop(&mut self) {}
}

fn main() {}
