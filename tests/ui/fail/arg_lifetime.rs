use std::borrow::Cow;

use keel::prelude::*;

#[derive(Actor)]
struct Greeter;

#[keel::messages]
impl Greeter {
    #[message]
    fn greet<'a>(&mut self, name: Cow<'a, str>) {
        let _ = name;
    }
}

fn main() {}
