use keel::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 16)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
