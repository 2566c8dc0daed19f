use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn clone(&self) -> u64 {
        0
    }
}

fn main() {}
