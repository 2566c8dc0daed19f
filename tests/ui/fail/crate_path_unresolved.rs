use keel::prelude::*;

#[derive(Actor)]
#[actor(crate = "not_keel")]
struct Counter;

#[keel::messages(crate = "not_keel")]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
