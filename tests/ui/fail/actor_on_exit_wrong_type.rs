use keel::prelude::*;

#[derive(Actor)]
#[actor(on_exit = Self::linked_exit)]
struct Counter;

impl Counter {
    async fn linked_exit(
        &mut self,
        _from: AnyRef,
        _reason: ExitReason,
        _ctx: &mut Context<Self>,
    ) -> bool {
        true
    }
}

#[keel::messages]
impl Counter {
    #[message]
    fn add(&mut self) {}
}

fn main() {}
