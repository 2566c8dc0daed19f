use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn zero() -> u64 {
        0
    }
}

fn main() {}
