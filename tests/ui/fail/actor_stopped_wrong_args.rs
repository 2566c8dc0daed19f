use keel::prelude::*;

#[derive(Actor)]
#[actor(stopped = Self::done)]
struct Counter;

impl Counter {
    async fn done(&mut self, _ctx: &mut Context<Self>) {}
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
