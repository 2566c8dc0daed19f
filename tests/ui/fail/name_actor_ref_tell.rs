use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn tell(&mut self, n: u64) {
        let _ = n;
    }
}

fn main() {}
