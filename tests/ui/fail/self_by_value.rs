use keel::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    fn take(self) -> u64 {
        self.n
    }
}

fn main() {}
