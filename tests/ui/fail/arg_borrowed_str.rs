use keel::prelude::*;

#[derive(Actor)]
struct Greeter;

#[keel::messages]
impl Greeter {
    #[message]
    fn greet(&mut self, name: &str) {
        let _ = name;
    }
}

fn main() {}
