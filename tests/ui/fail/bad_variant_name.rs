use keel::prelude::*;

#[derive(Actor)]
struct Counter;

#[keel::messages]
impl Counter {
    #[message]
    fn _1st(&mut self) {}

    #[message]
    fn self_(&mut self) {}

    #[message]
    fn add(&mut self) {}
}

fn main() {
    // `add` is generated although the other two are errors.
    let system = System::new();
    let counter = system.spawn(Counter);
    counter.add().unwrap();
}
