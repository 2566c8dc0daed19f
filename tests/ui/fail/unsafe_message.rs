use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    unsafe fn add(&mut self) {}
}

fn main() {}
