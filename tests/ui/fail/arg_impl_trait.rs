use keel::prelude::*;

#[derive(Actor)]
struct Greeter;

#[keel::messages]
impl Greeter {
    #[message]
    fn greet(&mut self, name: impl Into<String>) {
        let _ = name.into();
    }
}

fn main() {}
