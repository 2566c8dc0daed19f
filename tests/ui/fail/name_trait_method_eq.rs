use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn eq(&self, other: u64) -> bool {
        other == 0
    }
}

fn main() {}
