use keel::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    async fn get(&self) -> u64 {
        self.n
    }
}

fn main() {}
