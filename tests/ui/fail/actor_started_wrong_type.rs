use keel::prelude::*;

#[derive(Actor)]
#[actor(started = Self::init)]
struct Counter;

impl Counter {
    async fn init(&mut self, _ctx: &mut Context<Self>) -> u32 {
        0
    }
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
