use keel::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self, ctx: &mut Context<Self>, by: u64) {
        let _ = ctx;
        self.n += by;
    }
}

fn main() {}
