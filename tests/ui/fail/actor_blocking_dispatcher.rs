use keel::prelude::*;

#[derive(Actor)]
#[actor(blocking, dispatcher = "io")]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
