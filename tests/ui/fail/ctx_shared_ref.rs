use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self, ctx: &Context<Self>) {
        let _ = ctx;
    }
}

fn main() {}
