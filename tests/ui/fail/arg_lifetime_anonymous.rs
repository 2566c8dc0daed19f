use std::borrow::Cow;

use keel::prelude::*;

#[derive(Actor)]
struct Greeter;

#[keel::messages]
impl Greeter {
    #[message]
    fn greet(&mut self, name: Cow<'_, str>) {
        let _ = name;
    }
}

fn main() {}
